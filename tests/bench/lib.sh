# SPDX-License-Identifier: GPL-2.0
# Sourced by every guest-side benchmark (tests/bench/*.sh): the guest test
# helpers, the benchmark defaults and the summary helper.
#   REPS     repetitions (PMEMU_TEST_BENCH_REPS, else the script's
#            BENCH_REPS, else 3)
#   RUNTIME  seconds per timed job (PMEMU_TEST_BENCH_RUNTIME, else 3)
#   OUT      where samples, tables and ratios go (the run's results dir)
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$BENCH_DIR/../guest/lib.sh"

REPS=${PMEMU_TEST_BENCH_REPS:-${BENCH_REPS:-3}}
RUNTIME=${PMEMU_TEST_BENCH_RUNTIME:-3}
OUT=${PMEMU_BENCH_OUT:-/mnt/results}

die() { echo "bench: $*" >&2; exit 1; }

# bench_jq JSONL [JQ-OPTION...] FILTER: jq over every sample of JSONL
# (slurped, raw output) with tests/bench/stats.jq included (median, med,
# ph, r2).
bench_jq() {
	local file=$1 filter=${!#}
	jq -L "$BENCH_DIR" -rs "${@:2:$#-2}" "include \"stats\"; $filter" "$file"
}

# ramdax_take_range: hand the boot's legacy memmap=! range (the one
# e820_pmem platform device) to ramdax, unbinding nd_e820 if it holds it,
# and print the ramdax region's name.  The label area (the range's last
# 128 KiB) is initialised afresh: an anchor measured before on the same
# range may have written over it.  ramdax and nd_e820 cannot share the
# range, so a benchmark measures them one after the other in the same boot.
ramdax_take_range() {
	local region
	modprobe -a ramdax nd_pmem dax_pmem device_dax ||
		die "modprobe ramdax nd_pmem dax_pmem device_dax"
	region=$(ramdax_region) || die "bind e820_pmem to ramdax: no ramdax region (boot with memmap=nn!ss)"
	{ ndctl disable-region -b ramdax all &&
	  ndctl init-labels -f -b ramdax all &&
	  ndctl enable-region -b ramdax all; } > /dev/null 2>&1 ||
		die "initialise ramdax's label area"
	echo "$region"
}

# ramdax_fsdax: the range handed to ramdax and one fsdax namespace made
# over all of it (less the label area and the memmap); prints its block
# device
ramdax_fsdax() {
	local dev
	RAMDAX_REGION=$(ramdax_take_range) || exit 1
	dev=/dev/$(ramdax_ns fsdax | jq -r .blockdev) || die "ramdax fsdax namespace"
	[ -b "$dev" ] || die "no ramdax block device"
	echo "$dev"
}

# ramdax_ns MODE ARGS...: create a namespace on the ramdax range; prints
# ndctl's JSON
ramdax_ns() {
	ndctl create-namespace -b ramdax -r "$RAMDAX_REGION" -m "$1" -M mem "${@:2}"
}

# perf_top DATA LIMIT N: the top N symbols of perf record's DATA at LIMIT
# percent or more, as a fenced block for a .md report
perf_top() {
	echo '```'
	perf report -i "$1" --stdio --sort symbol --percent-limit "$2" 2> /dev/null |
		grep -E '^ +[0-9]' | head -n "$3" | sed -e 's/ *- *- *$//' -e 's/  */ /g'
	echo '```'
}
