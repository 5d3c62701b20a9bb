#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# needs: layout (what tests/check-local asks of a test machine)
# Bad ranges= values: each load is refused with one clear message naming the
# range and the reason, nothing is left behind (no module, no device, no
# iomem claim), and a good load works afterwards.
. "$(dirname "$0")/lib.sh"
t_plan 20

# The boot layout (tests/vm/vm): RAM at 5G..6G, reserved 6G..8G and 9G..11G.
R0=$(pmemu_boot_ranges | cut -d, -f1)
R0_START=${R0#*@}
[ -n "$R0" ] || t_bail "no memmap=SIZE\$START range on the kernel command line"

nothing_left() {
	grep -q '^pmemu ' /proc/modules && fail "module still loaded"
	ls /dev/pmemu* 2>/dev/null && fail "device node left behind"
	grep -q pmemu /proc/iomem && fail "iomem claim left behind"
	ls /sys/bus/platform/devices/ | grep -q '^pmemu' && fail "platform device left behind"
	return 0
}

# refused PARAM EXPECTED-MESSAGE
refused() {
	local tag="params-$RANDOM"
	# a load that wrongly succeeds must not spoil the tests after this one
	trap 'grep -q "^pmemu " /proc/modules && rmmod pmemu' EXIT
	dmesg_mark "$tag"
	expect_fail modprobe pmemu "ranges=$1" 2> /tmp/modprobe.err
	grep -q 'Invalid argument' /tmp/modprobe.err || { cat /tmp/modprobe.err; fail "modprobe did not fail with EINVAL"; }
	local msg
	# the one-time taint notice on first load is not ours
	msg=$(dmesg_since "$tag" | grep 'pmemu' | grep -v -e 'taints kernel' -e 'module verification failed')
	echo "$msg"
	echo "$msg" | grep -q -- "$2" || fail "expected a message containing '$2'"
	[ "$(echo "$msg" | grep -c .)" -eq 1 ] || fail "expected exactly one pmemu error line"
	nothing_left
}

# unload_all: pmemu and the test module, whichever is loaded (clean-up).
unload_all() {
	grep -q '^pmemu ' /proc/modules && rmmod pmemu
	grep -q '^pmemu_iomem_test ' /proc/modules && rmmod pmemu_iomem_test
	return 0
}

# A second Reserved resource over range 0 (the test module's nest=, which
# iomem nests around the first): the range is still entirely reserved and
# must be counted once, not twice.
test_nested_reserved() {
	trap unload_all EXIT
	modprobe pmemu_iomem_test nest="$R0" || fail "modprobe pmemu_iomem_test nest=$R0"
	grep -B1 -A1 "pmemu_iomem_test" /proc/iomem
	load_pmemu "ranges=$R0" autocreate=0 || fail "ranges=$R0 refused under a nested Reserved entry"
	[ -d /sys/class/pmemu/region0 ] || fail "no region0"
	rmmod pmemu && rmmod pmemu_iomem_test || fail "unload"
}

# A platform device of another driver bound to pmemu through
# driver_override, over a hole in the physical address space, whose own
# platform data reads as pmemu's NFIT source: pmemu must not trust it, and
# refuses the range as not reserved.
test_foreign_pdata() {
	local d=/sys/bus/platform/devices/pmemu_iomem_test.0 tag="foreign-$RANDOM"
	trap unload_all EXIT
	load_pmemu "ranges=$R0" autocreate=0 || fail "modprobe pmemu"
	modprobe pmemu_iomem_test foreign=2M@100G || fail "modprobe pmemu_iomem_test foreign=2M@100G"
	[ -d $d ] || fail "no $d"
	echo pmemu > $d/driver_override || fail "driver_override"
	dmesg_mark "$tag"
	echo pmemu_iomem_test.0 > /sys/bus/platform/drivers/pmemu/bind 2> /dev/null &&
		fail "pmemu bound a foreign device over a hole, trusting its platform data"
	dmesg_since "$tag" | grep "pmemu" | grep -q "not entirely reserved memory" ||
		{ dmesg_since "$tag"; fail "no 'not entirely reserved memory' refusal"; }
	rmmod pmemu_iomem_test && rmmod pmemu || fail "unload"
}

# Physical addresses are for root alone, as regionN/start is.
test_ranges_root_only() {
	local p=/sys/module/pmemu/parameters/ranges
	ensure_pmemu || fail "modprobe pmemu"
	[ "$(cat $p)" = "$(pmemu_boot_ranges)" ] || fail "root reads '$(cat $p)', not the ranges given"
	[ "$(stat -c %a $p)" = 400 ] || fail "$p has mode $(stat -c %a $p), not 400"
	expect_fail setpriv --reuid=nobody --regid=nogroup --clear-groups cat $p
}

t_run "zero size" refused "0@$R0_START" "size is zero"
t_run "unaligned start" refused "1G@0x180001000" "start is not 2 MiB aligned"
t_run "unaligned size" refused "1025M@$R0_START" "size is not a multiple of 2 MiB"
t_run "overlaps System RAM" refused "1G@5G" "overlaps System RAM"
t_run "straddles reserved and System RAM" refused "4G@9G" "overlaps System RAM"
t_run "not reserved memory" refused "1G@100G" "not entirely reserved memory"
t_run "two overlapping ranges" refused "1G@6G,1G@0x190000000" "overlaps range 0"
t_run "same range twice" refused "$R0,$R0" "overlaps range 0"
t_run "garbage text" refused "banana" "cannot parse"
t_run "missing start" refused "1G@" "cannot parse"
t_run "trailing garbage" refused "1G@6Gx" "cannot parse"
t_run "trailing comma" refused "1G@6G," "cannot parse"
t_run "negative size" refused "-1G@6G" "cannot parse"
t_run "beyond the addressable range" refused "1G@0x7fffffffc0000000" "outside the physical range"
t_run "nested Reserved entries over a range: counted once, the range loads" test_nested_reserved
t_run "foreign platform data (driver_override) not trusted: a hole is refused" test_foreign_pdata
t_run "good load after refusals" load_pmemu
t_run "ranges= (physical addresses) readable by root only" test_ranges_root_only
t_run "rmmod clean after refusals" unload_pmemu
t_run "nothing left after rmmod" nothing_left
t_done
