#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# needs: debug 2x2G (what tests/check-local asks of a test machine)
# Error paths under fault injection (debug lane, FAILSLAB): a device is
# enabled again and again with its Nth slab allocation made to fail
# (/proc/self/fail-nth), N = 1, 2, ... until enable makes fewer than N of
# them.  Every failed enable must fail cleanly (an error, the extent free
# again) and the kernel log must stay clean (KASAN, lockdep, leaks seen by
# the judge).
#
# Which allocations count: tests/guest/failslab.sh.  devdax sweep and
# tracked share every error path but one allocation, so the sweep covers
# devdax; fsdax has its own.
#
# On the debug-kobject lane (DEBUG_KOBJECT_RELEASE: kobject releases
# delayed) the sweep also catches error paths that free what a kobject
# still owns; there the fsdax sweep is left out, since every gendisk
# removal trips that option in the 7.3 block layer itself
# (tests/vm/debug-kobject.config).
. "$(dirname "$0")/lib.sh"
if kobject_lane; then t_plan 2; else t_plan 3; fi

. "$(dirname "$0")/failslab.sh"
C=/sys/kernel/config/pmemu
MAX_N=${PMEMU_FAULTS_MAX_N:-3000}

faults_problem() {
	[ -w /proc/self/fail-nth ] || { echo "no /proc/self/fail-nth (CONFIG_FAULT_INJECTION_DEBUG_FS)"; return; }
	failslab_setup
}

# sweep NAME MODE [ATTR=VALUE...]: create NAME in region 0 with its Nth
# allocation failing, for N = 1, 2, ... until it is created.
sweep() {
	local name=$1 mode=$2 d=$C/$1 n rc left kv failed=0
	shift 2
	trap "cfs_remove $name" EXIT
	# the previous test's device may still be on its way out
	wait_for 20 region_free 0 || fail "region0 is not free to begin with"
	for ((n = 1; n <= MAX_N; n++)); do
		mkdir $d && echo 0 > $d/region && echo 2M > $d/size &&
			echo "$mode" > $d/mode || fail "configure $name"
		for kv in "$@"; do
			echo "${kv#*=}" > "$d/${kv%%=*}" || fail "configure $name $kv"
		done
		# All builtins, so the failing call is this shell's.  Opening
		# fail-nth again consumes one call too: a count not used up
		# by enable reads as N - 1 > 0, or fails to open at 1.
		rc=0 left=0
		echo $n > /proc/self/fail-nth
		echo 1 > $d/enable 2> /dev/null || rc=$?
		read -r left < /proc/self/fail-nth 2> /dev/null || left=1
		echo 0 > /proc/self/fail-nth 2> /dev/null
		echo 0 > /proc/self/fail-nth
		# enable made fewer than N calls: every one of them has failed
		[ $rc -eq 0 ] && [ "$left" -gt 0 ] && break
		if [ $rc -ne 0 ]; then
			[ "$(cat $d/enable)" = 0 ] || fail "N=$n: enable failed but reads $(cat $d/enable)"
			failed=$((failed + 1))
		fi
		cfs_remove $name
		# an enable that succeeded drains on its disable
		wait_for 20 region_free 0 ||
			fail "N=$n: region0 has $(cat /sys/class/pmemu/region0/available_size) bytes free, not all of it again"
	done
	[ $n -le $MAX_N ] || fail "N up to $MAX_N did not cover enable's calls"
	echo "$name: enable makes $((n - 1)) fault-injectable calls; $failed of them failed it"
	[ $failed -gt 0 ] || fail "no injected failure made enable fail"
}

# loaded first: the filter needs the module's text addresses
load_pmemu autocreate=0 "ranges=$(pmemu_boot_ranges)" || t_bail "modprobe pmemu"
problem=$(faults_problem)
[ -z "$problem" ] || t_bail "$problem"
t_run "devdax sweep 2M: every failing allocation of enable fails cleanly" sweep fsweep devdax
kobject_lane || t_run "fsdax: every failing allocation of enable fails cleanly" sweep ffsdax fsdax
t_run "rmmod" unload_pmemu
t_done
