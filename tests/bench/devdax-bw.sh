#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of the devdax bandwidth benchmark (tests/bench/run): the
# in-tree device_dax (ndctl create-namespace -m devdax on the legacy
# memmap=2G!4G range, first through nd_e820, then as a ramdax namespace),
# pmemu sweep and pmemu tracked, all at align 2M, in this one boot.  Two
# phases (nd_e820 and ramdax cannot hold the range at once), each
# interleaving sweep and tracked with the phase's anchor over REPS
# repetitions; each ratio compares samples of one phase.  Rows:
#  - fio ioengine=mmap, 1 GiB: sequential read and write (1M) and random
#    read and write (4K), numjobs 1 and 2, verify off, fixed runtime;
#  - memcpy from and to the mapping (dax_bw), the limit of what the CPU
#    can move through that memory: fio's sequential rows are also given as
#    a fraction of it;
#  - O_DIRECT reads into and writes from the mapping against brd (dax_bw),
#    i.e. I/O on devdax pages pinned with GUP (no FOLL_LONGTERM).
# Samples: $OUT/devdax-bw.jsonl; tables: $OUT/devdax-bw.md; ratios for the
# plot: $OUT/devdax-bw.tsv (devdax-bw.sh --summary makes them again).
. "$(dirname "$0")/lib.sh"

# one table per phase: medians per row and driver, ratios to the phase's
# anchor, fio's sequential rows as a fraction of memcpy on the same memory
phase_table() {	# PHASE ANCHOR
	bench_jq "$OUT/devdax-bw.jsonl" --argjson p "$1" --arg a "$2" '
	  def meds: { d: med($a; .mib_s), s: med("sweep"; .mib_s), t: med("tracked"; .mib_s) };
	  ph($p) | (map(select(.row == "memcpy-read")) | meds) as $mr |
	  (map(select(.row == "memcpy-write")) | meds) as $mw |
	  group_by([.row, .numjobs]) | map(meds + { row: .[0].row, nj: .[0].numjobs,
	      smin: lo("sweep"; .mib_s), smax: hi("sweep"; .mib_s) }) |
	  (["| row | numjobs | \($a) MiB/s | sweep MiB/s (min–max) | tracked MiB/s | sweep / \($a) | tracked / \($a) | of memcpy (\($a) / sweep / tracked) |",
	    "|---|---|---|---|---|---|---|---|"] +
	   map(. as $x |
	     (if $x.row == "fio mmap read 1m" then $mr elif $x.row == "fio mmap write 1m" then $mw else null end) as $m |
	     "| \($x.row) | \($x.nj) | \($x.d | round) | \($x.s | round) (\($x.smin | round)–\($x.smax | round)) | \($x.t | round) | \($x.s / $x.d | r2) | \($x.t / $x.d | r2) | " +
	     (if $m then "\($x.d / $m.d | r2) / \($x.s / $m.s | r2) / \($x.t / $m.t | r2)" else "" end) + " |"))
	  | .[]'
}

summary() {
	{ echo "Phase 1, device_dax on nd_e820's namespace:"; echo
	  phase_table 1 device_dax; echo
	  echo "Phase 2, device_dax on a ramdax namespace:"; echo
	  phase_table 2 ramdax; } > "$OUT/devdax-bw.md" || die "summary"
	bench_jq "$OUT/devdax-bw.jsonl" '
	  def r($p; $l; $a): (ph($p) | med($l; .mib_s)) / (ph($p) | med($a; .mib_s));
	  (["row\tsweep/device_dax\ttracked/device_dax\tsweep/ramdax\ttracked/ramdax"] +
	   (group_by([.row, .numjobs]) | map(
	    "\(.[0].row | gsub(" "; "_"))_j\(.[0].numjobs)\t\(r(1; "sweep"; "device_dax"))\t\(r(1; "tracked"; "device_dax"))\t\(r(2; "sweep"; "ramdax"))\t\(r(2; "tracked"; "ramdax"))")))
	  | .[]' > "$OUT/devdax-bw.tsv" || die "tsv"
	cat "$OUT/devdax-bw.md"
}
[ "${1:-}" = --summary ] && { summary; exit; }

LEN=1G

modprobe -a nd_e820 nd_pmem dax_pmem device_dax || die "in-tree nvdimm/dax modules"
modprobe brd rd_nr=1 rd_size=$((1 << 20)) || die "brd"
sleep 1
ndctl list -N | grep -q namespace0.0 || die "no namespace0.0 on memmap=!"
load_pmemu "ranges=$(pmemu_boot_ranges)" autocreate=0 || die "modprobe pmemu"
dd if=/dev/zero of=/dev/ram0 bs=1M count=1024 oflag=direct status=none || die "fill brd"

declare -A DEV
DEV[device_dax]=/dev/$(ndctl create-namespace -f -e namespace0.0 -m devdax -M mem -a 2M |
	jq -r '.daxregion.devices[0].chardev') || die "device_dax"
for lt in sweep tracked; do
	region=0
	[ $lt = tracked ] && region=1
	DEV[$lt]=/dev/$(pmemuctl create-device --name bw-$lt --region $region --size 2G \
		--mode devdax --align 2M --lifetime $lt | jq -r .chardev) || die "pmemu $lt"
done

: > "$OUT/devdax-bw.jsonl"
fio_sample() {	# LABEL RW BS NUMJOBS
	local j
	j=$(fio --output-format=json --name=b --filename="${DEV[$1]}" --ioengine=mmap \
		--rw="$2" --bs="$3" --numjobs="$4" --size=$LEN --time_based \
		--runtime="$RUNTIME" --group_reporting --randrepeat=0 2> /dev/null) ||
		die "fio $*"
	jq -c --arg l "$1" --arg rw "$2" --arg bs "$3" --argjson nj "$4" --argjson ph "$PHASE" \
		'.jobs[0] | {label: $l, phase: $ph, row: "fio mmap \($rw) \($bs)", numjobs: $nj,
		 mib_s: ((.read.bw + .write.bw) / 1024)}' <<< "$j" >> "$OUT/devdax-bw.jsonl"
}

bw_sample() {	# LABEL MODE [TARGET]
	local j
	j=$(dax_bw "$2" "${DEV[$1]}" 256M "$RUNTIME" ${3:+"$3"}) || die "dax_bw $*"
	jq -c --arg l "$1" --arg m "$2" --argjson ph "$PHASE" \
		'{label: $l, phase: $ph, row: $m, numjobs: 1, mib_s}' <<< "$j" \
		>> "$OUT/devdax-bw.jsonl"
}

phase() {	# LABEL...
	local rep nj row mode label
	for rep in $(seq "$REPS"); do
		for nj in 1 2; do
			for row in "read 1m" "write 1m" "randread 4k" "randwrite 4k"; do
				for label in "$@"; do
					fio_sample $label $row $nj
				done
			done
		done
		for mode in memcpy-read memcpy-write; do
			for label in "$@"; do
				bw_sample $label $mode
			done
		done
		for mode in odirect-read odirect-write; do
			for label in "$@"; do
				bw_sample $label $mode /dev/ram0
			done
		done
		: "$rep"
	done
}

PHASE=1
phase device_dax sweep tracked
RAMDAX_REGION=$(ramdax_take_range) || exit 1
DEV[ramdax]=/dev/$(ramdax_ns devdax -a 2M | jq -r '.daxregion.devices[0].chardev') ||
	die "ramdax devdax namespace"
[ -c "${DEV[ramdax]}" ] || die "no ramdax dax device"
PHASE=2
phase ramdax sweep tracked

for lt in sweep tracked; do
	pmemuctl destroy-device bw-$lt || die "destroy bw-$lt"
done

summary
