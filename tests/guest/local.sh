#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/check-local, in a guest standing in for a test machine booted with
# reserved ranges: it refuses ranges the boot did not reserve, runs a suite
# on the ranges it is given, reports what the machine lacks as visible
# skips, and prints KTAP.
. "$(dirname "$0")/lib.sh"
t_plan 4

CL=tests/check-local
OUT=/tmp/check-local.out

# local_run ARGS...: tests/check-local ARGS, output in $OUT, its status
local_run() {
	"$CL" "$@" > $OUT 2>&1
}

# refused RANGES NEEDLE: exit 2, one line naming NEEDLE, pmemu not loaded
refused() {
	local rc
	local_run "$1" guest/fsdax-unbind
	rc=$?
	[ $rc -eq 2 ] || { cat $OUT; fail "exit $rc, not 2"; }
	[ "$(wc -l < $OUT)" -eq 1 ] && grep -q "$2" $OUT || { cat $OUT; fail "no one line naming '$2'"; }
	! grep -q '^pmemu ' /proc/modules || fail "pmemu was loaded"
}

# the boot reserved 2G@6G and 2G@9G (tests/vm/vm); 1G@5G is System RAM
t_run "refuses a range this boot did not reserve" \
	refused 1G@5G "1G@5G is not reserved by this boot's memmap=SIZE\$START; refusing to touch it"
t_run "refuses RANGES it cannot parse" refused 2G@ "cannot parse '2G@'"

# KTAP: the version line, a plan of one per suite, then per suite either a
# skip with its reason or an indented subtest and its result line.  The
# output is shown only when a check fails: its expected "# SKIP" lines
# would make a passing test count as skipped (tests/lib/tap.sh).
ktap_ok() {
	local n=$1
	sed -n 1p $OUT | grep -qx 'KTAP version 1' && sed -n 2p $OUT | grep -qx "1\.\.$n" ||
		{ cat $OUT; fail "no KTAP header for $n suites"; }
	[ "$(grep -cE '^(not )?ok [0-9]+ guest/' $OUT)" -eq "$n" ] ||
		{ cat $OUT; fail "not $n suite results"; }
	! grep -vE '^(KTAP version 1|1\.\.[0-9]+|(not )?ok [0-9]+ guest/.*|# .*|  .*)$' $OUT ||
		{ cat $OUT; fail "lines that are not KTAP (above)"; }
}

test_run_and_skip() {
	local_run 2G@6G,2G@9G guest/fsdax-unbind guest/nvdimm guest/params guest/leak ||
		{ cat $OUT; fail "check-local failed"; }
	ktap_ok 4
	grep -qx 'ok 1 guest/fsdax-unbind' $OUT && grep -qx '  KTAP version 1' $OUT &&
		grep -qx '  1\.\.4' $OUT || { cat $OUT; fail "fsdax-unbind did not run as a subtest"; }
	grep -qx 'ok 2 guest/nvdimm # SKIP needs an ACPI NVDIMM (NFIT)' $OUT ||
		{ cat $OUT; fail "nvdimm not skipped for the missing NVDIMM"; }
	grep -qx "ok 3 guest/params # SKIP needs the QEMU guest's fixed memory layout (make check)" $OUT ||
		{ cat $OUT; fail "params not skipped for the layout"; }
	grep -qx 'ok 4 guest/leak # SKIP needs the debug-lane kernel (kmemleak on, fault injection)' $OUT ||
		{ cat $OUT; fail "leak not skipped on the stock kernel"; }
	! grep -q '^pmemu ' /proc/modules || fail "pmemu left loaded"
}
t_run "runs a suite on the given ranges, skips what the machine lacks, KTAP" test_run_and_skip

test_wrong_ranges() {
	local_run 1G@6G guest/devdax || { cat $OUT; fail "check-local failed"; }
	ktap_ok 1
	grep -qx 'ok 1 guest/devdax # SKIP needs exactly two 2 GiB ranges, 1 GiB-aligned (RANGES=1G@6G)' $OUT ||
		{ cat $OUT; fail "devdax not skipped for one 1 GiB range"; }
}
t_run "suites written for two 2 GiB ranges are skipped on other ranges" test_wrong_ranges
t_done
