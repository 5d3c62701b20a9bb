#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench-vm: --mem 14G --cmdline memmap=3G!4G memmap=2G$8G memmap=2G$11G
# Guest side of the devdax populate benchmark (tests/bench/run): time to
# populate 1 GiB of a devdax mapping by PTE (align 4K), PMD (2M) and PUD
# (1G), for pmemu lifetime=sweep and lifetime=tracked and for the in-tree
# device_dax on the legacy memmap=3G!4G range (ndctl create-namespace -m
# devdax --map=mem), first through nd_e820, then as a ramdax namespace (3 GiB
# so that a 1G-aligned namespace keeps 1 GiB of data after ramdax's label
# area and the memmap), all in this one boot.  Two phases (nd_e820 and
# ramdax cannot hold the range at once), each interleaving sweep and tracked
# with the phase's anchor over REPS repetitions.  Every sample is appended
# to $OUT/populate.jsonl; the summary (median time, minor faults, ratio to
# the phase's anchor) to $OUT/populate.md (devdax-populate.sh --summary
# makes it again).
BENCH_REPS=5
. "$(dirname "$0")/lib.sh"

# summary: per phase and align, median populate time per driver and its
# ratio to the phase's anchor
summary() {
	bench_jq "$OUT/populate.jsonl" '
	  def anchor: if .phase == 1 then "device_dax" else "ramdax" end;
	  group_by([.phase, .align]) | map(
	    (.[0] | anchor) as $a | med($a; .populate_ns) as $base |
	    group_by(.label) | map({
	      align: .[0].align, anchor: $a, label: .[0].label,
	      ms: (map(.populate_ns) | median / 1e6),
	      min_ms: (map(.populate_ns) | min / 1e6),
	      max_ms: (map(.populate_ns) | max / 1e6),
	      munmap_ms: (map(.munmap_ns) | median / 1e6),
	      faults: (map(.minflt) | median),
	      ratio: ((map(.populate_ns) | median) / $base)
	    })) | flatten |
	  (["| align | phase | driver | populate 1 GiB, median ms (min–max) | munmap ms | minor faults | time / the phase'"'"'s anchor |",
	    "|---|---|---|---|---|---|---|"] +
	   map("| \(.align) | \(.anchor) | \(.label) | \(.ms * 10 | round / 10) (\(.min_ms * 10 | round / 10)–\(.max_ms * 10 | round / 10)) | \(.munmap_ms * 10 | round / 10) | \(.faults) | \(.ratio | r2) |"))
	  | .[]' > "$OUT/populate.md" || die "summary"
	bench_jq "$OUT/populate.jsonl" '
	  def r($p; $l; $a): ph($p) as $s | ($s | med($l; .populate_ns)) as $x |
	    if $x then $x / ($s | med($a; .populate_ns)) else "NaN" end;
	  (["row\tsweep/device_dax\ttracked/device_dax\tsweep/ramdax\ttracked/ramdax"] +
	   (group_by(.align) | map(
	    "populate_1G_\(.[0].align)_time\t\(r(1; "sweep"; "device_dax"))\t\(r(1; "tracked"; "device_dax"))\t\(r(2; "sweep"; "ramdax"))\t\(r(2; "tracked"; "ramdax"))")))
	  | .[]' > "$OUT/populate.tsv" || die "tsv"
	cat "$OUT/populate.md"
}
[ "${1:-}" = --summary ] && { summary; exit; }

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

# device_dax at ALIGN on a 2 GiB ramdax namespace -> /dev name
ramdax_dev() {
	ndctl destroy-namespace -f -b ramdax all > /dev/null 2>&1
	ramdax_ns devdax -a "$1" -s 2G | jq -r '.daxregion.devices[0].chardev'
}

sample() {	# LABEL ALIGN DEV
	local j
	j=$(dax_populate "/dev/$3" $LEN) || die "dax_populate $3 failed"
	jq -c --arg l "$1" --arg a "$2" --argjson ph "$PHASE" '. + {label: $l, phase: $ph, align: $a}' \
		<<< "$j" >> "$OUT/populate.jsonl"
}

modprobe -a nd_e820 nd_pmem dax_pmem device_dax || die "in-tree nvdimm/dax modules"
sleep 1
ndctl list -N | grep -q namespace0.0 || die "no namespace0.0 on memmap=!; boot with memmap=3G!4G"
load_pmemu "ranges=$(pmemu_boot_ranges)" autocreate=0 || die "modprobe pmemu"
: > "$OUT/populate.jsonl"

phase() {	# MAKE LABEL: per align, the anchor's device (MAKE ALIGN) interleaved
		# with pmemu's sweep and tracked
	local align ad sw tr rep
	for align in 4K 2M 1G; do
		ad=$("$1" $align) && [ -c "/dev/$ad" ] || die "$2 at $align"
		sw=$(pmemu_dev sw-$align 0 $align sweep) || die "pmemu sweep $align"
		tr=""
		[ $align != 1G ] && { tr=$(pmemu_dev tr-$align 1 $align tracked) || die "pmemu tracked $align"; }
		for rep in $(seq "$REPS"); do
			sample "$2" $align "$ad"
			sample sweep $align "$sw"
			[ -n "$tr" ] && sample tracked $align "$tr"
			: "$rep"
		done
		pmemuctl destroy-device sw-$align || die "destroy sw-$align"
		[ -n "$tr" ] && { pmemuctl destroy-device tr-$align || die "destroy tr-$align"; }
	done
}

PHASE=1
phase intree_dev device_dax
RAMDAX_REGION=$(ramdax_take_range) || exit 1
PHASE=2
phase ramdax_dev ramdax

summary
