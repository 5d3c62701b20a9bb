#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of the setup-time benchmark (tests/bench/run): how long the
# command a user types takes to bring up and take away a 1 GiB device, on
# pmemu (pmemuctl create-device / destroy-device, region 0) and on ramdax
# (ndctl create-namespace / destroy-namespace on the legacy memmap=2G!4G
# range, ramdax bound through driver_override), fsdax and devdax (2M), the
# struct pages in RAM (-M mem, --map mem) on both.  Interleaved per
# repetition; samples in $OUT/setup.jsonl, medians and ratios in
# setup-time.md and setup-time.tsv.
BENCH_REPS=5
. "$(dirname "$0")/lib.sh"

now_ns() { date +%s%N; }

# timed LABEL MODE WHAT CMD...: run CMD, record its wall time
timed() {
	local t0 t1
	t0=$(now_ns)
	"${@:4}" > /dev/null || die "$1 $2 $3: ${*:4}"
	t1=$(now_ns)
	printf '{"label":"%s","mode":"%s","op":"%s","ns":%d}\n' "$1" "$2" "$3" $((t1 - t0)) >> "$OUT/setup.jsonl"
}

ramdax_case() {	# MODE [ARGS]
	timed ramdax "$1" create ramdax_ns "$1" -s 1G "${@:2}"
	timed ramdax "$1" destroy ndctl destroy-namespace -f -b ramdax all
}

pmemu_case() {	# MODE [ARGS]
	timed pmemu "$1" create pmemuctl create-device --region region0 --mode "$1" --map mem --size 1G --name st "${@:2}"
	timed pmemu "$1" destroy pmemuctl destroy-device st
}

RAMDAX_REGION=$(ramdax_take_range) || exit 1
load_pmemu "ranges=$(pmemu_boot_ranges)" autocreate=0 || die "modprobe pmemu"
: > "$OUT/setup.jsonl"
for rep in $(seq "$REPS"); do
	ramdax_case fsdax
	pmemu_case fsdax
	ramdax_case devdax -a 2M
	pmemu_case devdax --align 2M
	: "$rep"
done

bench_jq "$OUT/setup.jsonl" '
  group_by(.mode + .op) | map(
    med("ramdax"; .ns) as $base |
    group_by(.label) | map({
      mode: .[0].mode, op: .[0].op, label: .[0].label,
      ms: (map(.ns) | median / 1e6), min_ms: (map(.ns) | min / 1e6),
      max_ms: (map(.ns) | max / 1e6), ratio: ((map(.ns) | median) / $base)
    })) | flatten |
  (["| mode | step | stack | wall ms, median (min–max) | time / ramdax |", "|---|---|---|---|---|"] +
   map("| \(.mode) | \(.op) | \(.label) | \(.ms | round) (\(.min_ms | round)–\(.max_ms | round)) | \(.ratio | r2) |"))
  | .[]' > "$OUT/setup-time.md" || die "summary"
bench_jq "$OUT/setup.jsonl" '
  (["row\tpmemu/ramdax"] +
   (group_by(.mode + .op) | map(med("ramdax"; .ns) as $r |
    "\(.[0].mode)_\(.[0].op)_1G\t\(med("pmemu"; .ns) / $r)")))
  | .[]' > "$OUT/setup-time.tsv" || die "tsv"
cat "$OUT/setup-time.md"
