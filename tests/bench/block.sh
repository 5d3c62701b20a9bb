#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of the raw block benchmark (tests/bench/run): fio on the raw
# block device of pmemu (fsdax, region 0), the in-tree nd_pmem (the legacy
# memmap=2G!4G range, first through nd_e820, then as a ramdax fsdax
# namespace) and brd (2 GiB of RAM), in this one boot.  Rows: 4K randread
# and randwrite with psync and io_uring, 1M sequential read and write with
# psync; numjobs 1 and 2; verify off; fixed runtime.  nd_e820 and ramdax
# cannot hold the range at once, so there are two phases, each interleaving
# pmemu with the anchors of the phase (pmemu nd_pmem brd, then pmemu
# ramdax) over REPS repetitions; each ratio compares samples of one phase.
# The table reports median bandwidth and the ratio of pmemu to each anchor.
# Samples: $OUT/block.jsonl; table: $OUT/block.md; ratios: $OUT/block.tsv
# (block.sh --summary makes them again from the samples).
. "$(dirname "$0")/lib.sh"

summary() {
	bench_jq "$OUT/block.jsonl" '
	  group_by([.engine, .rw, .bs, .numjobs]) | map(ph(1) as $a | ph(2) as $b |
	    { job: "\(.[0].engine) \(.[0].rw) \(.[0].bs)", nj: .[0].numjobs,
	      p: ($a | med("pmemu"; .kib_s)), pmin: ($a | lo("pmemu"; .kib_s)),
	      pmax: ($a | hi("pmemu"; .kib_s)), n: ($a | med("nd_pmem"; .kib_s)),
	      b: ($a | med("brd"; .kib_s)), q: ($b | med("pmemu"; .kib_s)),
	      r: ($b | med("ramdax"; .kib_s)) }) |
	  (["| job | numjobs | pmemu MiB/s (min–max) | nd_pmem MiB/s | brd MiB/s | pmemu / nd_pmem | pmemu / brd | pmemu MiB/s, ramdax phase | ramdax MiB/s | pmemu / ramdax |",
	    "|---|---|---|---|---|---|---|---|---|---|"] +
	   map("| \(.job) | \(.nj) | \(.p / 1024 | round) (\(.pmin / 1024 | round)–\(.pmax / 1024 | round)) | \(.n / 1024 | round) | \(.b / 1024 | round) | \(.p / .n | r2) | \(.p / .b | r2) | \(.q / 1024 | round) | \(.r / 1024 | round) | \(.q / .r | r2) |"))
	  | .[]' > "$OUT/block.md" || die "summary"
	bench_jq "$OUT/block.jsonl" '
	  (["row\tpmemu/nd_pmem\tpmemu/ramdax\tpmemu/brd"] +
	   (group_by([.engine, .rw, .bs, .numjobs]) | map(ph(1) as $a | ph(2) as $b |
	    ($a | med("pmemu"; .kib_s)) as $p |
	    "\(.[0].engine)_\(.[0].rw)_\(.[0].bs)_j\(.[0].numjobs)\t\($p / ($a | med("nd_pmem"; .kib_s)))\t\(($b | med("pmemu"; .kib_s)) / ($b | med("ramdax"; .kib_s)))\t\($p / ($a | med("brd"; .kib_s)))")))
	  | .[]' > "$OUT/block.tsv" || die "tsv"
	cat "$OUT/block.md"
}
[ "${1:-}" = --summary ] && { summary; exit; }

modprobe -a nd_e820 nd_pmem || die "nd_pmem"
modprobe brd rd_nr=1 rd_size=$((2 << 20)) || die "brd"
load_pmemu "ranges=$(pmemu_boot_ranges)" || die "modprobe pmemu"
sleep 1
[ -b /dev/pmem0 ] && [ -b /dev/ram0 ] && [ -b /dev/pmemu0 ] || die "devices missing"
[ "$(size_bytes /dev/pmem0)" -ge $((2 << 30)) ] || die "pmem0 smaller than 2 GiB"

declare -A DEV=([pmemu]=/dev/pmemu0 [nd_pmem]=/dev/pmem0 [brd]=/dev/ram0)
# brd allocates its pages on first write: fill it once so reads read RAM
dd if=/dev/zero of=/dev/ram0 bs=1M count=2048 oflag=direct status=none

: > "$OUT/block.jsonl"
run() {	# LABEL DEV ENGINE RW BS NUMJOBS
	local j
	j=$(fio --output-format=json --name=b --filename="$2" --ioengine="$3" \
		--rw="$4" --bs="$5" --numjobs="$6" --size="$(size_bytes "$2")" --direct=1 \
		--time_based --runtime="$RUNTIME" --group_reporting --randrepeat=0 \
		2> /dev/null) || die "fio $*"
	jq -c --arg l "$1" --arg e "$3" --arg rw "$4" --arg bs "$5" --argjson nj "$6" \
		--argjson ph "$PHASE" '.jobs[0] | {label: $l, phase: $ph, engine: $e, rw: $rw, bs: $bs, numjobs: $nj,
		 kib_s: (.read.bw + .write.bw), iops: (.read.iops + .write.iops)}' \
		<<< "$j" >> "$OUT/block.jsonl"
}

phase() {	# LABEL...
	local labels=("$@") rep nj row label
	for rep in $(seq "$REPS"); do
		for nj in 1 2; do
			for row in "psync randread 4k" "psync randwrite 4k" "io_uring randread 4k" \
				   "io_uring randwrite 4k" "psync read 1m" "psync write 1m"; do
				set -- $row
				for label in "${labels[@]}"; do
					run $label "${DEV[$label]}" "$1" "$2" "$3" $nj
				done
			done
		done
		: "$rep"
	done
}

PHASE=1
phase pmemu nd_pmem brd
DEV[ramdax]=$(ramdax_fsdax) || exit 1
PHASE=2
phase pmemu ramdax

summary
