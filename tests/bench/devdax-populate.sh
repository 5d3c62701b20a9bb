#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of the devdax populate benchmark (tests/bench/run): time to
# populate 1 GiB of a devdax mapping by PTE (align 4K), PMD (2M) and PUD
# (1G), for pmemu lifetime=sweep and lifetime=tracked and for the in-tree
# device_dax on the legacy memmap=2G!4G range (ndctl create-namespace -m
# devdax --map=mem), all in this one boot, interleaved over REPS
# repetitions.  Every sample is appended to $OUT/populate.jsonl; the summary
# (median time, minor faults, ratio to device_dax) to $OUT/populate.md.
BENCH_REPS=5
. "$(dirname "$0")/lib.sh"

C=/sys/kernel/config/pmemu
LEN=1G

# pmemu device NAME REGION ALIGN LIFETIME -> /dev name
pmemu_dev() {
	pmemuctl create-device --name "$1" --region "$2" --size 2G --mode devdax \
		--align "$3" --lifetime "$4" | jq -r .chardev
}

# in-tree device_dax at ALIGN on namespace0.0 -> /dev name
intree_dev() {
	ndctl create-namespace -f -e namespace0.0 -m devdax -M mem -a "$1" |
		jq -r '.daxregion.devices[0].chardev'
}

sample() {	# LABEL ALIGN DEV
	local j
	j=$(dax_populate "/dev/$3" $LEN) || die "dax_populate $3 failed"
	jq -c --arg l "$1" --arg a "$2" '. + {label: $l, align: $a}' <<< "$j" >> "$OUT/populate.jsonl"
}

modprobe -a nd_e820 nd_pmem dax_pmem device_dax || die "in-tree nvdimm/dax modules"
sleep 1
ndctl list -N | grep -q namespace0.0 || die "no namespace0.0 on memmap=!; boot with memmap=2G!4G"
load_pmemu "ranges=$(pmemu_boot_ranges)" autocreate=0 || die "modprobe pmemu"
: > "$OUT/populate.jsonl"

for align in 4K 2M 1G; do
	dd=$(intree_dev $align) || die "device_dax at $align"
	sw=$(pmemu_dev sw-$align 0 $align sweep) || die "pmemu sweep $align"
	tr=""
	[ $align != 1G ] && { tr=$(pmemu_dev tr-$align 1 $align tracked) || die "pmemu tracked $align"; }
	for rep in $(seq "$REPS"); do
		sample device_dax $align "$dd"
		sample sweep $align "$sw"
		[ -n "$tr" ] && sample tracked $align "$tr"
		: "$rep"
	done
	pmemuctl destroy-device sw-$align || die "destroy sw-$align"
	[ -n "$tr" ] && { pmemuctl destroy-device tr-$align || die "destroy tr-$align"; }
done

# summary: median populate time per label and align, ratio to device_dax
bench_jq "$OUT/populate.jsonl" '
  group_by(.align) | map(
    med("device_dax"; .populate_ns) as $base |
    group_by(.label) | map({
      align: .[0].align, label: .[0].label,
      ms: (map(.populate_ns) | median / 1e6),
      min_ms: (map(.populate_ns) | min / 1e6),
      max_ms: (map(.populate_ns) | max / 1e6),
      munmap_ms: (map(.munmap_ns) | median / 1e6),
      faults: (map(.minflt) | median),
      ratio: ((map(.populate_ns) | median) / $base)
    })) | flatten |
  (["| align | driver | populate 1 GiB, median ms (min–max) | munmap ms | minor faults | time / device_dax |",
    "|---|---|---|---|---|---|"] +
   map("| \(.align) | \(.label) | \(.ms * 10 | round / 10) (\(.min_ms * 10 | round / 10)–\(.max_ms * 10 | round / 10)) | \(.munmap_ms * 10 | round / 10) | \(.faults) | \(.ratio | r2) |"))
  | .[]' > "$OUT/populate.md" || die "summary"
bench_jq "$OUT/populate.jsonl" '
  (["row\tsweep/device_dax\ttracked/device_dax"] +
   (group_by(.align) | map(med("device_dax"; .populate_ns) as $d |
    "populate_1G_\(.[0].align)_time\t\(med("sweep"; .populate_ns) / $d)\t\(med("tracked"; .populate_ns) // null | if . then . / $d else "NaN" end)")))
  | .[]' > "$OUT/populate.tsv" || die "tsv"
cat "$OUT/populate.md"
