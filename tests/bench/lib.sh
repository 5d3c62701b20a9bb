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

# bench_jq JSONL FILTER: jq over every sample of JSONL (slurped, raw output)
# with tests/bench/stats.jq included (median, med, r2).
bench_jq() {
	jq -L "$BENCH_DIR" -rs "include \"stats\"; $2" "$1"
}
