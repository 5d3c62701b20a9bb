# SPDX-License-Identifier: GPL-2.0
# TAP output for pmemu's shell suites (sourced; host and guest alike).
#
# A suite declares its plan first, runs each test with t_run and ends with
# t_done, as the kernel's ktap_helpers.sh does:
#
#	t_plan 3
#	t_run "name" cmd args...
#	...
#	t_done
#
# A test is a command, usually a shell function, run in a subshell in its
# own process group, with its output in a file (so a helper it left running
# cannot hold the suite) and killed with everything it started when it
# returns.  Its exit status is the verdict: 0 pass, 4 (KSFT_SKIP, via skip)
# skip, anything else fail.  A passing test whose output carries a
# kselftest "# SKIP" result is reported as skipped, never as a pass.  Output
# is shown as "# " diagnostics when the test fails or skips, or always with
# PMEMU_TEST_VERBOSE.  PMEMU_TEST_ONLY=WORDS runs only the tests whose name
# contains WORDS; the others are reported as skipped.
#
# tests/check reads this output: the plan must match the results, and the
# suite's exit status must be 0.

KSFT_SKIP=4
T_N=0
T_PASS=0
T_FAIL=0
T_SKIP=0
T_PLAN=
T_ONLY=${PMEMU_TEST_ONLY:-}

# t_plan N: the suite runs N tests.
t_plan() {
	T_PLAN=$1
	echo "TAP version 13"
	echo "1..$1"
}

# t_bail REASON: the suite cannot go on (its set-up failed); the tests not
# run yet count as failures in tests/check.
t_bail() {
	echo "Bail out! $*"
	exit 1
}

# t_killgroup PGID: kill what a test left running and reap it.
t_killgroup() {
	local n

	n=$(pgrep -g "$1" | grep -cvx "$1")
	if kill -KILL -- "-$1" 2>/dev/null && [ "$n" -gt 0 ]; then
		echo "t_run: killed $n process(es) the test left running" >&2
	fi
}

# t_run NAME CMD [ARGS...]: run one test and print its TAP line.
t_run() {
	local name=$1 out rc t0 ms dt pid skips
	shift
	T_N=$((T_N + 1))
	if [ -n "$T_ONLY" ] && [[ "$name" != *$T_ONLY* ]]; then
		T_SKIP=$((T_SKIP + 1))
		echo "ok $T_N - $name # SKIP not selected by PMEMU_TEST_ONLY"
		return 0
	fi
	out=$(mktemp)
	t0=$(date +%s%N)
	set -m
	("$@") > "$out" 2>&1 < /dev/null &
	pid=$!
	set +m
	wait "$pid"
	rc=$?
	t_killgroup "$pid" 2>> "$out"
	ms=$((($(date +%s%N) - t0) / 1000000))
	dt=$((ms / 1000)).$(((ms % 1000) / 100))
	skips=$(grep -E '^ok [0-9]+ .*# SKIP' "$out" |
		sed -E 's/^ok [0-9]+ (.*) # SKIP ?(.*)$/\1 (\2)/' | paste -sd ';' -)
	[ -z "$skips" ] || skips="kselftest skipped $skips"
	if [ $rc -eq 0 ] && [ -z "$skips" ]; then
		T_PASS=$((T_PASS + 1))
		echo "ok $T_N - $name (${dt}s)"
		[ -n "${PMEMU_TEST_VERBOSE:-}" ] && sed 's/^/# /' "$out"
	elif [ $rc -eq 0 ] || [ $rc -eq $KSFT_SKIP ]; then
		T_SKIP=$((T_SKIP + 1))
		[ -n "$skips" ] || skips=$(sed -n 's/^SKIP: //p' "$out" | tail -n1)
		echo "ok $T_N - $name # SKIP ${skips:-no reason given}"
		tail -n 20 "$out" | sed 's/^/# /'
	else
		T_FAIL=$((T_FAIL + 1))
		echo "not ok $T_N - $name (exit $rc, ${dt}s)"
		tail -n 60 "$out" | sed 's/^/# /'
	fi
	rm -f "$out"
	return 0
}

# t_done: the closing line; fails the suite on a failed test or a plan the
# results do not match.
t_done() {
	echo "# $T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
	if [ -z "$T_PLAN" ]; then
		echo "# no plan declared (t_plan N)"
		exit 1
	fi
	if [ "$T_N" -ne "$T_PLAN" ]; then
		echo "# planned $T_PLAN tests, ran $T_N"
		exit 1
	fi
	[ $T_FAIL -eq 0 ] || exit 1
	exit 0
}

# fail MSG: end the current test with a message.
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# skip MSG: end the current test as skipped (a precondition the machine
# lacks, never a failed check).
skip() {
	echo "SKIP: $*" >&2
	exit "$KSFT_SKIP"
}

# expect_fail CMD...: CMD must exit non-zero.
expect_fail() {
	if "$@"; then
		fail "expected failure: $*"
	fi
	return 0
}
