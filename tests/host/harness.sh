#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The harness's own self-test (TAP, host only, seconds): tests/check run on
# fixture suites (tests/host/harness/) through a stub of tests/vm/vm must
# fail every way a suite can go wrong and pass a clean suite, and
# tests/vm/judge must fail every class of kernel problem in a log and pass
# a clean one.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"

fix=$top/tests/host/harness
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# check [ENV=VALUE...] SUITE...: tests/check on fixture suites; its output
# in $tmp/out, its exit status returned.
check() {
	local a envs=() suites=()
	for a; do
		case "$a" in
		*=*) envs+=("$a") ;;
		*) suites+=("$a") ;;
		esac
	done
	env PMEMU_VM="$fix/vm-stub" PMEMU_SUITES_DIR="$fix" PMEMU_CHECK_RESULTS="$tmp/results" \
		PMEMU_STUB_TIMEOUT=5 "${envs[@]}" "$top/tests/check" "${suites[@]}" > "$tmp/out" 2>&1
}

# closing LINE: the last line of the last check was exactly LINE.
closing() {
	local last
	last=$(tail -n 1 "$tmp/out")
	[ "$last" = "$1" ] || { cat "$tmp/out"; fail "closing line '$last', expected '$1'"; }
}

# failing NEEDLE SUITE...: the run exits non-zero, counts at least one
# failure and names NEEDLE among its failures.
failing() {
	local needle=$1
	shift
	if check "$@"; then
		cat "$tmp/out"
		fail "tests/check $* exited 0"
	fi
	tail -n 1 "$tmp/out" | grep -qE '^[0-9]+ passed, [1-9][0-9]* failed' ||
		{ cat "$tmp/out"; fail "no failure counted"; }
	sed -n '/^failed tests:/,$p' "$tmp/out" | grep -qF -- "$needle" ||
		{ cat "$tmp/out"; fail "failures do not name '$needle'"; }
}

t_plan 35

t_run "clean suite passes (2 tests + guest clean)" \
	eval 'check guest/clean && closing "3 passed, 0 failed"'
t_run "clean host suite passes" \
	eval 'check host/clean && closing "2 passed, 0 failed"'
t_run "suite exiting 1 after its first of 3 tests fails, missing tests named" \
	failing "test 3 of 3 has no result" guest/early-exit
t_run "suite reporting 2 of 4 planned tests and exiting 0 fails" \
	failing "test 4 of 4 has no result" guest/short-plan
t_run "suite without a plan fails" failing "no TAP plan" guest/no-plan
t_run "not ok fails" failing "fails" guest/not-ok
t_run "result beyond the plan fails" failing "result outside the plan" guest/extra
t_run "second result for one test fails" failing "second result for test 2" guest/extra
t_run "guest script exiting 3 after all tests passed fails" \
	failing "exited with status 3" guest/exit-after-pass
t_run "host suite exiting 1 after all tests passed fails" \
	failing "exited with status 1" host/exit-after-pass
t_run "skips fail the run and are listed by name" \
	failing "tests skipped" guest/skip
t_run "kselftest SKIP inside a passing test is a skip, not a pass" \
	eval 'check PMEMU_ALLOW_SKIP=1 guest/skip &&
		grep -q "kselftest skip inside # SKIP kselftest skipped sub_b (no 1G pages)" $tmp/out &&
		closing "2 passed, 0 failed, 2 skipped"'
t_run "guest timing out fails (missing test and guest clean)" \
	failing "guest clean: the script did not finish" guest/timeout
t_run "guest crashing during boot fails" \
	failing "guest clean: the script did not finish" guest/crash
t_run "crash during boot: the plan is missing" failing "no TAP plan" guest/crash
t_run "WARNING then 2 MB of kernel messages fails guest clean" \
	failing "guest clean: kernel log" guest/kernel-warning
t_run "test names on the console that look like kernel problems pass" \
	eval 'check guest/console-noise && closing "3 passed, 0 failed"'
t_run "kernel log without its end-of-log marker fails guest clean" \
	eval 'failing "guest clean: kernel log" guest/kmsg-dies &&
		grep -q "the kernel log is incomplete" $tmp/out'
t_run "filter selecting nothing fails" \
	failing "selects no test" PMEMU_TEST_ONLY=nothing-matches guest/clean
t_run "filter selecting one test passes" \
	eval 'check PMEMU_TEST_ONLY=second guest/clean && closing "2 passed, 0 failed"'
t_run "unknown suite fails" \
	eval '! check guest/no-such-suite && grep -q "no suite guest/no-such-suite" $tmp/out'

# kver_refused KVER NEEDLE: make build KVER=KVER fails at once, before any
# set-up, with one line naming NEEDLE, and writes nothing to the cache.
kver_refused() {
	local cache=$tmp/kver-cache rc
	PMEMU_CACHE=$cache make -s -C "$top" build KVER="$1" > "$tmp/kver.out" 2>&1
	rc=$?
	[ $rc -ne 0 ] || fail "make build KVER=$1 succeeded"
	[ "$(grep -c '^error: ' "$tmp/kver.out")" -eq 1 ] &&
		grep -q "^error: .*$2" "$tmp/kver.out" ||
		{ cat "$tmp/kver.out"; fail "no one-line error naming '$2'"; }
	[ ! -e "$cache" ] || fail "the cache was written: $(ls "$cache")"
}
t_run "make build KVER=6.12 fails at once naming the 6.15 minimum" \
	kver_refused 6.12 "needs Linux 6.15 or later; its devdax faults map pages with vmf_insert_page_mkwrite"
t_run "make build KVER=7.9 (no Debian kernel) fails naming the known ones" \
	kver_refused 7.9 "KVER=7.3 (trixie-backports, the default) or 7.2 (sid)"

# a bad accelerator is refused before anything is made
accel_refused() {
	local rdir=$tmp/accel-results
	rm -rf "$rdir"
	PMEMU_ACCEL=hvf PMEMU_RESULTS=$rdir "$top/tests/vm/vm" run /bin/true > "$tmp/accel.out" 2>&1 &&
		fail "PMEMU_ACCEL=hvf was accepted"
	[ "$(wc -l < "$tmp/accel.out")" -eq 1 ] &&
		grep -q '^error: PMEMU_ACCEL=hvf: tcg, kvm or icount$' "$tmp/accel.out" ||
		{ cat "$tmp/accel.out"; fail "no one-line error naming the choices"; }
	[ ! -e "$rdir" ] || fail "a results directory was made"
}
t_run "tests/vm/vm refuses an unknown PMEMU_ACCEL, making nothing" accel_refused

# JOBS > 1: guest suites boot at once, yet print and count as they would in
# turn.
jobs_meet() {
	mkdir -p "$tmp/pair" && rm -f "$tmp/pair"/*
	check PMEMU_JOBS=2 PMEMU_JOBS_UNCAPPED=1 PMEMU_TEST_PAIR="$tmp/pair" \
		guest/pair-a guest/pair-b && closing "4 passed, 0 failed" ||
		{ cat "$tmp/out"; fail "the two suites did not run at once"; }
}
t_run "JOBS=2 boots two guest suites at once" jobs_meet
# failures_named: the failure list and closing line of the last check,
# less the results path and each test's duration (measured, not counted:
# "fails (exit 1, 0.0s)" serially was "0.1s" with JOBS=3 once, on a
# loaded machine)
failures_named() {
	sed -n '/^failed tests:/,$p' "$tmp/out" | grep -v 'results in' |
		sed -E 's/, [0-9]+\.[0-9]s\)$/)/'
}
jobs_counts() {
	local serial
	check guest/clean guest/not-ok guest/early-exit host/clean
	serial=$(failures_named)
	check PMEMU_JOBS=3 PMEMU_JOBS_UNCAPPED=1 guest/clean guest/not-ok guest/early-exit host/clean
	[ "$(failures_named)" = "$serial" ] ||
		{ echo "serial:"; echo "$serial"; cat "$tmp/out"; fail "JOBS=3 counts differently"; }
}
t_run "JOBS=3 names the same failures and closes with the same line as JOBS=1" jobs_counts
t_run "JOBS=abc is refused" \
	eval '! check PMEMU_JOBS=abc guest/clean && grep -q "JOBS=abc: the number of guests at once" $tmp/out'
jobs_lowered() {
	check PMEMU_JOBS=1000 guest/clean && grep -q "JOBS=1000 lowered to [0-9]*: $(nproc) cores" "$tmp/out" ||
		{ cat "$tmp/out"; fail "JOBS=1000 not lowered on $(nproc) cores"; }
}
t_run "JOBS beyond the machine is lowered, saying why" jobs_lowered

# a failing test whose helper holds its output open ends at once
leftover() {
	local t0=$SECONDS
	"$fix/guest/leftover.sh" > "$tmp/leftover.tap" 2>&1 && fail "suite passed"
	[ $((SECONDS - t0)) -lt 20 ] || fail "took $((SECONDS - t0)) s: t_run waited for the holder"
	grep -q '^not ok 1 - fails with a holder running' "$tmp/leftover.tap" &&
		grep -q '^ok 2 - next test runs' "$tmp/leftover.tap" &&
		grep -q 'killed 1 process' "$tmp/leftover.tap" ||
		{ cat "$tmp/leftover.tap"; fail "wrong results"; }
}
t_run "t_run reports a failing test at once and kills the helper it left" leftover

# judge_fails LINE...: tests/vm/judge fails a log of clean lines plus LINE.
judge_fails() {
	{
		echo "<6>[    0.100000] Memory: 12G available"
		printf '%s\n' "$@"
		echo "<6>[   20.000000] pmemu: loaded"
	} > "$tmp/log"
	"$top/tests/vm/judge" "$tmp/log" > "$tmp/judge.out" 2>&1 &&
		fail "judge passed: $*"
	grep -qF -- "$1" "$tmp/judge.out" || { cat "$tmp/judge.out"; fail "judge did not print the line"; }
}

judge_classes() {
	local l
	while IFS= read -r l; do
		[ -n "$l" ] || continue
		( judge_fails "$l" ) || fail "class not judged: $l"
	done <<'EOF'
<4>[   10.000000] WARNING: CPU: 1 PID: 345 at mm/memremap.c:512 memunmap_pages+0x1a/0x3c0
<4>[   10.000000] ------------[ cut here ]------------ kernel BUG at mm/memory.c:1234!
<1>[   10.000000] BUG: unable to handle page fault for address: ffff888100000000
<4>[   10.000000] Oops: general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] SMP NOPTI
<0>[   10.000000] Kernel panic - not syncing: Fatal exception
<4>[   10.000000] Call Trace:
<3>[   10.000000] UBSAN: array-index-out-of-bounds in drivers/pmemu/region.c:100:5
<4>[   10.000000] list_add corruption. prev->next should be next (ffff888102030400), but was 0000000000000000.
<4>[   10.000000] list_del corruption, ffff888102030400->next is LIST_POISON1 (dead000000000100)
<4>[   10.000000] refcount_t: underflow; use-after-free.
<1>[   10.000000] BUG: Bad page state in process fio  pfn:180000
<3>[   10.000000] BUG: KASAN: slab-use-after-free in pmemu_dev_release+0x20/0x40
<3>[   10.000000] BUG: KFENCE: out-of-bounds read in pmemu_zero+0x10/0x20
<4>[   10.000000] page dumped because: VM_WARN_ON_FOLIO(folio_ref_count(folio) != 0)
<4>[   10.000000] WARNING: possible circular locking dependency detected
<4>[   10.000000] WARNING: inconsistent lock state
<4>[   10.000000] INFO: trying to register non-static key.
<4>[   10.000000] WARNING: suspicious RCU usage
<3>[   10.000000] BUG: sleeping function called from invalid context at mm/memory.c:6000
<3>[   10.000000] INFO: task rmdir:567 blocked for more than 122 seconds.
<3>[   10.000000] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:
<3>[   10.000000] rcu: INFO: rcu_sched self-detected stall on CPU
<0>[   10.000000] watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [kworker/1:2:89]
<0>[   10.000000] Watchdog detected hard LOCKUP on cpu 1
<4>[   10.000000] fio invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0
<3>[   10.000000] Out of memory: Killed process 777 (fio) total-vm:1000kB
<4>[   10.000000] modprobe: page allocation failure: order:11, mode:0x40dc0(GFP_KERNEL|__GFP_COMP|__GFP_ZERO), nodemask=(null)
<3>[   10.000000] kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak) [pmemu]
kmsg_log: 1734 kernel messages lost before seq 90210
EOF
}
t_run "judge fails every class of kernel problem" judge_classes

judge_clean() {
	cat > "$tmp/clean" <<'EOF'
<6>[    0.000000] Linux version 7.3.4+deb13-amd64
<6>[    0.300000] kfence: initialized - using 2097152 bytes for 255 objects
<6>[    5.000000] pmemu: pmemu0: fsdax, 2.00 GiB at 0x180000000
<12>[    6.000000] pmemu-test: WARNING name of a test, a marker, not the kernel
<4>[    7.000000] Memory failure: 0x180123: recovery action for dax page: Recovered
<3>[    7.100000] Injecting memory failure for pfn 0x180123 at process virtual address 0x7f0000000000
<6>[    8.000000] EXT4-fs (pmemu0): mounted filesystem with ordered data mode.
EOF
	"$top/tests/vm/judge" "$tmp/clean" || fail "judge failed a clean log"
}
t_run "judge passes a clean log (markers, recovered memory failures)" judge_clean

# With PMEMU_JUDGE_EXPECT (tests/check-upstream) the judge excuses the
# report of the expected bug, records its signature, and still fails every
# other report: one before it, one after it, and each class on its own.
judge_expect() {
	local sig='RIP: 0010:page_cache_pipe_buf_release+0x10/0x60'
	cat > "$tmp/expect" <<EOF
<6>[    1.000000] pmemu: loaded
<1>[    2.000000] BUG: unable to handle page fault for address: ffeb2b9204008008
<4>[    2.000000] $sig
<4>[    2.000000] Call Trace:
<4>[    2.000000]  free_pipe_info+0x8c/0x130
<4>[    2.000000] ---[ end trace 0000000000000000 ]---
<6>[    3.000000] pipe released
EOF
	PMEMU_JUDGE_EXPECT='page_cache_pipe_buf_release' PMEMU_JUDGE_EXCUSED=$tmp/excused \
		"$top/tests/vm/judge" "$tmp/expect" || fail "judge failed the expected report"
	[ "$(cat "$tmp/excused")" = "$tmp/expect:3:<4>[    2.000000] $sig" ] ||
		{ cat "$tmp/excused"; fail "signature not recorded"; }
	{ echo '<4>[    0.500000] WARNING: CPU: 0 PID: 1 at mm/memremap.c:1 x+0x1/0x2'
	  echo '<4>[    0.500000] ---[ end trace 0000000000000000 ]---'
	  cat "$tmp/expect"
	  echo '<3>[    9.000000] INFO: task umount:99 blocked for more than 122 seconds.'
	} > "$tmp/expect2"
	PMEMU_JUDGE_EXPECT='page_cache_pipe_buf_release' \
		"$top/tests/vm/judge" "$tmp/expect2" > "$tmp/judge.out" && fail "judge passed other reports"
	grep -q 'mm/memremap.c' "$tmp/judge.out" && grep -q 'umount:99' "$tmp/judge.out" &&
		! grep -q 'ffeb2b9204008008' "$tmp/judge.out" ||
		{ cat "$tmp/judge.out"; fail "judge printed the wrong lines"; }
	# a WARN's message comes between "cut here" and its WARNING line
	printf '%s\n' '<6>[    5.000000] ------------[ cut here ]------------' \
		'<4>[    5.000000] OOB write or bad count 4100 at dev_attr_show+0x0/0x40' \
		'<4>[    5.000000] WARNING: fs/sysfs/file.c:74 at sysfs_kf_seq_show+0x106/0x130, CPU#1: cat/240' \
		'<4>[    5.000000] ---[ end trace 0000000000000000 ]---' > "$tmp/expect3"
	PMEMU_JUDGE_EXPECT='OOB write or bad count' "$top/tests/vm/judge" "$tmp/expect3" ||
		fail "judge failed a WARN whose message holds the signature"
	PMEMU_JUDGE_EXPECT='no such signature' judge_classes
}
t_run "judge with PMEMU_JUDGE_EXPECT excuses the expected report, no other" judge_expect

# tests/check-upstream through the stub, on fixture scenarios
# (tests/host/harness/upstream/): a reproduction (with a consequence
# after it), one the script sees (with pmemu's note), a fixed bug, a scenario that cannot run its steps with a
# pmemu run that makes a report, and another report before the expected
# one.  Only the last three fail; one scenario alone passes.
upstream_lane() {
	local run=(env PMEMU_VM="$fix/vm-stub" PMEMU_UPSTREAM_DIR="$fix/upstream"
		   PMEMU_CHECK_RESULTS="$tmp/upstream" "$top/tests/check-upstream")
	"${run[@]}" > "$tmp/up.tap" 2>&1 && { cat "$tmp/up.tap"; fail "the lane passed with failures"; }
	grep -qx '8 passed, 3 failed' "$tmp/up.tap" &&
		grep -q '^ok [0-9]* - a: the bug the script sees: reproduced (op=x dropped the mapping)$' "$tmp/up.tap" &&
		grep -qx '# on pmemu too' "$tmp/up.tap" &&
		grep -q '^ok [0-9]* - a: the stub bug: reproduced (RIP: 0010:stub_bug+0x10/0x60)$' "$tmp/up.tap" &&
		grep -q '^ok [0-9]* - b: the stub bug: reproduced' "$tmp/up.tap" &&
		grep -q '^#   INFO: task stub:9 blocked' "$tmp/up.tap" &&
		grep -q '^ok [0-9]* - a: the fixed bug: not reproduced on 7.3.4$' "$tmp/up.tap" &&
		grep -q '^not ok [0-9]* - a: the broken scenario: the scenario did not run to its end' "$tmp/up.tap" &&
		grep -q '^not ok [0-9]* - pmemu: broken: kernel-log' "$tmp/up.tap" &&
		grep -q '^not ok [0-9]* - a: the bug after another: another report before the expected one' "$tmp/up.tap" ||
		{ cat "$tmp/up.tap"; fail "wrong results"; }
	"${run[@]}" repro > "$tmp/up1.tap" 2>&1 && grep -qx '3 passed, 0 failed' "$tmp/up1.tap" ||
		{ cat "$tmp/up1.tap"; fail "one clean scenario did not pass"; }
	"${run[@]}" no-such-scenario > /dev/null 2>&1 && fail "an unknown scenario ran"
	return 0
}
t_run "check-upstream: reproduced, not reproduced, and its failures" upstream_lane

judge_missing() {
	"$top/tests/vm/judge" "$tmp/no-such-log" 2>/dev/null
	[ $? -eq 2 ] || fail "an unreadable log is not an error"
}
t_run "judge refuses an unreadable log" judge_missing

# The real vm and the guest's init: the options and the wiring the self-test
# cannot boot (the guest run of docs/testing.md covers that).
wiring() {
	grep -q 'log_buf_len=' "$top/tests/vm/vm" || fail "vm: no log_buf_len"
	grep -q 'printk.devkmsg=on' "$top/tests/vm/vm" || fail "vm: /dev/kmsg writes rate-limited"
	grep -q 'kmsg_log > /mnt/results/kmsg.txt' "$top/tests/vm/guest-init" || fail "guest-init: no kmsg_log"
	grep -q 'cgroup.kill' "$top/tests/vm/guest-init" || fail "guest-init: job's leftovers not killed"
}
t_run "vm and guest-init capture the whole log and kill leftovers" wiring

t_done
