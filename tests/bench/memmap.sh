#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench-vm: --mem 22G --cmdline memmap=17G$4G
# Guest side of the struct-page memory benchmark (tests/bench/run): how
# much System RAM a device's struct pages take, measured from the kernel
# (MemFree before and after enabling a 16 GiB device, caches and slabs
# dropped), per
# personality, map and devdax lifetime/align.  Sweep's compound folios
# share most of their vmemmap (vmemmap_can_optimize); tracked and fsdax
# pages are not compound at creation; map=dev keeps the memmap in the
# device.  Samples go to $OUT/memmap.jsonl, the table to $OUT/memmap.md.
. "$(dirname "$0")/lib.sh"

C=/sys/kernel/config/pmemu
SIZE=16G
load_pmemu "ranges=$(pmemu_boot_ranges)" autocreate=0 || die "modprobe pmemu"
: > "$OUT/memmap.jsonl"
for rep in $(seq "$REPS"); do
	for cfg in "fsdax mem - -" "fsdax dev - -" "devdax mem sweep 4K" \
		   "devdax mem sweep 2M" "devdax mem sweep 1G" "devdax mem tracked 4K" \
		   "devdax mem tracked 2M" "devdax dev sweep 2M"; do
		set -- $cfg
		mkdir $C/m && echo 0 > $C/m/region && echo $SIZE > $C/m/size &&
			echo "$1" > $C/m/mode && echo "$2" > $C/m/map || die "configure $cfg"
		[ "$3" != - ] && { echo "$3" > $C/m/lifetime && echo "$4" > $C/m/align || die "configure $cfg"; }
		before=$(memfree_kb)
		echo 1 > $C/m/enable || die "enable $cfg"
		after=$(memfree_kb)
		echo 0 > $C/m/enable && rmdir $C/m
		printf '{"mode":"%s","map":"%s","lifetime":"%s","align":"%s","rep":%d,"kb":%d}\n' \
			"$1" "$2" "$3" "$4" "$rep" $((before - after)) >> "$OUT/memmap.jsonl"
	done
done
bench_jq "$OUT/memmap.jsonl" '
  group_by([.mode, .map, .lifetime, .align]) | map({
      mode: .[0].mode, map: .[0].map, lifetime: .[0].lifetime, align: .[0].align,
      kb: (map(.kb) | median), min: (map(.kb) | min), max: (map(.kb) | max) }) |
  (["| mode | map | lifetime | align | System RAM for a 16 GiB device, median KiB (min–max) | per GiB, MiB |",
    "|---|---|---|---|---|---|"] +
   map("| \(.mode) | \(.map) | \(.lifetime) | \(.align) | \(.kb) (\(.min)–\(.max)) | \(.kb / 16 / 1024 | r2) |"))
  | .[]' > "$OUT/memmap.md" || die "summary"
cat "$OUT/memmap.md"
