#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of the filesystem benchmark (tests/bench/run): fio on a file of
# ext4 and of xfs mounted -o dax, on pmemu (fsdax, region 0) and on the
# in-tree nd_pmem (the legacy memmap=2G!4G range, first through nd_e820,
# then as a ramdax fsdax namespace), in this one boot.  Rows: 4K random read
# and write and 1M sequential read and write, with psync (read/write through
# fs/dax's dax_iomap_rw) and mmap (DAX page faults, then loads and stores);
# numjobs 1 and 2; verify off; fixed runtime.  Two phases (nd_e820 and
# ramdax cannot hold the range at once), each interleaving pmemu with the
# phase's anchor (A B A B ...) over REPS repetitions; each ratio compares
# samples of one phase.  The table reports median bandwidth and the ratios.
# Samples: $OUT/fs.jsonl; table: $OUT/fs.md; ratios: $OUT/fs.tsv (fs.sh
# --summary makes them again from the samples).
. "$(dirname "$0")/lib.sh"

summary() {
	bench_jq "$OUT/fs.jsonl" '
	  group_by([.fs, .engine, .rw, .bs, .numjobs]) | map(ph(1) as $a | ph(2) as $b | {
	      fs: .[0].fs, job: "\(.[0].engine) \(.[0].rw) \(.[0].bs)", nj: .[0].numjobs,
	      p: ($a | med("pmemu"; .mib_s)), pmin: ($a | lo("pmemu"; .mib_s)),
	      pmax: ($a | hi("pmemu"; .mib_s)), n: ($a | med("nd_pmem"; .mib_s)),
	      q: ($b | med("pmemu"; .mib_s)), r: ($b | med("ramdax"; .mib_s)) }) |
	  (["| fs | job | numjobs | pmemu MiB/s (min–max) | nd_pmem MiB/s | pmemu / nd_pmem | pmemu MiB/s, ramdax phase | ramdax MiB/s | pmemu / ramdax |",
	    "|---|---|---|---|---|---|---|---|---|"] +
	   map("| \(.fs) | \(.job) | \(.nj) | \(.p | round) (\(.pmin | round)–\(.pmax | round)) | \(.n | round) | \(.p / .n | r2) | \(.q | round) | \(.r | round) | \(.q / .r | r2) |"))
	  | .[]' > "$OUT/fs.md" || die "summary"
	bench_jq "$OUT/fs.jsonl" '
	  def r($p; $a): ph($p) as $s | ($s | med("pmemu"; .mib_s)) / ($s | med($a; .mib_s));
	  (["row\tpmemu/nd_pmem\tpmemu/ramdax"] +
	   (group_by([.fs, .engine, .rw, .bs, .numjobs]) |
	    map("\(.[0].fs)_\(.[0].engine)_\(.[0].rw)_\(.[0].bs)_j\(.[0].numjobs)\t\(r(1; "nd_pmem"))\t\(r(2; "ramdax"))")))
	  | .[]' > "$OUT/fs.tsv" || die "tsv"
	cat "$OUT/fs.md"
}
[ "${1:-}" = --summary ] && { summary; exit; }

modprobe -a nd_e820 nd_pmem || die "nd_pmem"
load_pmemu "ranges=$(pmemu_boot_ranges)" || die "modprobe pmemu"
sleep 1
[ -b /dev/pmem0 ] && [ -b /dev/pmemu0 ] || die "devices missing"
declare -A DEV=([pmemu]=/dev/pmemu0 [nd_pmem]=/dev/pmem0)
declare -A MNT=([pmemu]=/mnt/b-pmemu [nd_pmem]=/mnt/b-nd_pmem [ramdax]=/mnt/b-ramdax)

: > "$OUT/fs.jsonl"
run() {	# FS LABEL ENGINE RW BS NUMJOBS
	local j direct=1
	[ "$3" = mmap ] && direct=0
	j=$(fio --output-format=json --name=b --filename="${MNT[$2]}/f" --ioengine="$3" \
		--rw="$4" --bs="$5" --numjobs="$6" --size=512M --direct=$direct \
		--time_based --runtime="$RUNTIME" --group_reporting --randrepeat=0 \
		2> /dev/null) || die "fio $*"
	jq -c --arg fs "$1" --arg l "$2" --arg e "$3" --arg rw "$4" --arg bs "$5" --argjson nj "$6" \
		--argjson ph "$PHASE" '.jobs[0] | {fs: $fs, label: $l, phase: $ph, engine: $e, rw: $rw, bs: $bs, numjobs: $nj,
		 mib_s: ((.read.bw + .write.bw) / 1024)}' <<< "$j" >> "$OUT/fs.jsonl"
}

phase() {	# LABEL...
	local fs rep nj row label
	for fs in ext4 xfs; do
		for label; do
			mkfs_dax $fs "${DEV[$label]}" > /dev/null || die "mkfs.$fs ${DEV[$label]}"
			mount_dax $fs "${DEV[$label]}" "${MNT[$label]}"
			dd if=/dev/zero of="${MNT[$label]}/f" bs=1M count=512 status=none conv=fsync ||
				die "lay out ${MNT[$label]}/f"
		done
		for rep in $(seq "$REPS"); do
			for nj in 1 2; do
				for row in "psync randread 4k" "psync randwrite 4k" "psync read 1m" \
					   "psync write 1m" "mmap randread 4k" "mmap randwrite 4k" \
					   "mmap read 1m" "mmap write 1m"; do
					for label; do
						run $fs $label $row $nj
					done
				done
			done
			: "$rep"
		done
		for label; do
			umount "${MNT[$label]}" || die "umount ${MNT[$label]}"
		done
	done
}

PHASE=1
phase pmemu nd_pmem
DEV[ramdax]=$(ramdax_fsdax) || exit 1
PHASE=2
phase pmemu ramdax

summary
