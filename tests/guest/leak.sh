#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# needs: debug 2x2G (what tests/check-local asks of a test machine)
# Debug lane only (kmemleak=on): module load/unload, platform unbind/bind and
# create -> mount -o dax -> map -> destroy loops, then kmemleak scans.  Fails
# on any unreferenced object allocated from pmemu code, or from an unloaded
# module's address (pmemu is the only module this suite cycles).
. "$(dirname "$0")/lib.sh"
t_plan 6

KL=/sys/kernel/debug/kmemleak
LOOPS=${PMEMU_TEST_LOOPS:-12}

test_kmemleak_on() {
	[ -w $KL ] || fail "no $KL: needs the debug kernel booted with kmemleak=on"
	echo clear > $KL
}

test_module_cycles() {
	local i
	trap 'grep -q "^pmemu " /proc/modules && rmmod pmemu' EXIT
	for i in $(seq 5); do
		load_pmemu || fail "load $i"
		[ -b /dev/pmemu0 ] || fail "no device in cycle $i"
		rmmod pmemu || fail "rmmod $i"
	done
}

test_unbind_cycles() {
	local i
	trap 'grep -q "^pmemu " /proc/modules && rmmod pmemu' EXIT
	load_pmemu || fail load
	for i in $(seq 5); do
		echo pmemu.0 > /sys/bus/platform/drivers/pmemu/unbind || fail "unbind $i"
		echo pmemu.0 > /sys/bus/platform/drivers/pmemu/bind || fail "bind $i"
	done
	rmmod pmemu || fail rmmod
}

test_create_map_destroy() {
	local i map blk
	load_pmemu "ranges=$(pmemu_boot_ranges)" autocreate=0 || fail load
	for i in $(seq "$LOOPS"); do
		map=mem
		[ $((i % 2)) -eq 0 ] && map=dev
		pmemuctl create-device --region $((i % 2)) --size 256M --mode fsdax \
			--map $map --name l$i > /dev/null || fail "create $i"
		blk=$(cat /sys/kernel/config/pmemu/l$i/dev) && [ -b "/dev/$blk" ] || fail "no block device for l$i"
		mkfs.ext4 -q -F -b 4096 /dev/$blk || fail "mkfs $i"
		# shellcheck disable=SC2064 # this round's device name, now
		trap "umount_if /mnt/l; cfs_remove l$i" EXIT
		mount_dax ext4 /dev/$blk /mnt/l
		PMEMU_MNT=/mnt/l fsdax_test -t map_sync_mapping > /tmp/map.out 2>&1 ||
			{ cat /tmp/map.out; fail "map $i"; }
		umount /mnt/l || fail "umount $i"
		pmemuctl destroy-device l$i || fail "destroy $i"
	done
}

test_no_leaks() {
	local report
	[ -w $KL ] || fail "no $KL"
	echo scan > $KL || fail "kmemleak scan"
	# not a wait for a helper: kmemleak reports an object only when it is
	# older than its minimum age (5 s, MSECS_MIN_AGE in mm/kmemleak.c) at
	# a scan, so the second scan must come more than 5 s after the objects
	# the loops above freed or leaked were last touched
	sleep 6
	echo scan > $KL || fail "kmemleak scan"
	report=$(cat $KL)
	echo "$(grep -c 'unreferenced object' <<< "$report") unreferenced objects in total"
	# objects allocated from pmemu, or from an address in the module area
	# that no loaded module owns any more (an unloaded pmemu)
	if awk '/^unreferenced object/ { obj = $0; hit = 0 }
		/\[pmemu\]|pmemu_|\] 0xffffffffc/ { if (!hit) print obj; hit = 1; print }' \
		<<< "$report" | tee /tmp/pmemu-leaks | grep -q .; then
		fail "kmemleak reports objects allocated by pmemu"
	fi
}

t_run "kmemleak is on" test_kmemleak_on
t_run "5 x modprobe/rmmod with devices" test_module_cycles
t_run "5 x platform unbind/bind" test_unbind_cycles
t_run "$LOOPS x pmemuctl create, mkfs, mount -o dax, MAP_SYNC map, destroy" test_create_map_destroy
t_run "kmemleak: nothing allocated by pmemu is unreferenced" test_no_leaks
t_run "rmmod" unload_pmemu
t_done
