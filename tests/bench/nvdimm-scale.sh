#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench-vm: --mem 12G --nvdimm 64G --cmdline memmap=2G$6G
# Guest side of the large-NVDIMM benchmark (tests/bench/run): a 64 GiB QEMU
# NVDIMM on a sparse host file, found by pmemu in the NFIT (source nfit).
# For a device over all of it: bring-up time (enable) and take-away time
# (disable, teardown, drain) and the System RAM its struct pages take
# (MemFree before and after, caches and slabs dropped), for fsdax map=mem,
# fsdax map=dev (the memmap in the NVDIMM itself), devdax sweep 1G and 2M
# (compound devmaps, deduplicated vmemmap).  REPS repetitions, medians.
# Samples: $OUT/nvdimm-scale.jsonl; table: $OUT/nvdimm-scale.md.
. "$(dirname "$0")/lib.sh"

C=/sys/kernel/config/pmemu
R=/sys/class/pmemu

now_ns() { date +%s%N; }
load_pmemu "ranges=$(pmemu_boot_ranges)" autocreate=0 || die "modprobe pmemu"
id=$(region_with_source nfit) || die "no nfit region (is the NVDIMM attached?)"
size=$(cat $R/region$id/size)

: > "$OUT/nvdimm-scale.jsonl"
for rep in $(seq "$REPS"); do
	for cfg in "fsdax mem -" "fsdax dev -" "devdax mem 1G" "devdax mem 2M"; do
		set -- $cfg
		mkdir $C/big && echo "$id" > $C/big/region && echo "$size" > $C/big/size &&
			echo "$1" > $C/big/mode && echo "$2" > $C/big/map || die "configure $cfg"
		[ "$3" != - ] && { echo "$3" > $C/big/align || die "align $cfg"; }
		before=$(memfree_kb)
		t0=$(now_ns)
		echo 1 > $C/big/enable || die "enable $cfg"
		t1=$(now_ns)
		after=$(memfree_kb)
		t2=$(now_ns)
		echo 0 > $C/big/enable || die "disable $cfg"
		t3=$(now_ns)
		rmdir $C/big
		printf '{"label":"%s map=%s align=%s","rep":%d,"gib":%d,"create_ns":%d,"destroy_ns":%d,"kb":%d}\n' \
			"$1" "$2" "$3" "$rep" $((size >> 30)) $((t1 - t0)) $((t3 - t2)) $((before - after)) \
			>> "$OUT/nvdimm-scale.jsonl"
	done
done

bench_jq "$OUT/nvdimm-scale.jsonl" '
  group_by(.label) | map({ label: .[0].label, gib: .[0].gib,
      create_ms: (map(.create_ns) | median / 1e6), cmin: (map(.create_ns) | min / 1e6),
      cmax: (map(.create_ns) | max / 1e6), destroy_ms: (map(.destroy_ns) | median / 1e6),
      kb: (map(.kb) | median) }) |
  (["| device over the whole NVDIMM | GiB | bring-up ms, median (min–max) | take away ms | System RAM, KiB | per GiB, MiB |",
    "|---|---|---|---|---|---|"] +
   map("| \(.label) | \(.gib) | \(.create_ms | round) (\(.cmin | round)–\(.cmax | round)) | \(.destroy_ms | round) | \(.kb) | \(.kb / .gib / 1024 | r2) |"))
  | .[]' > "$OUT/nvdimm-scale.md" || die "summary"
cat "$OUT/nvdimm-scale.md"
