#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The legacy memmap=SIZE!START range: the in-tree nd_e820 + nd_pmem stack
# passes the same ext4-dax fio job as pmemu (keeps the comparison anchor
# alive), and pmemu binds the e820_pmem platform device through
# driver_override and hands it back afterwards.
. "$(dirname "$0")/lib.sh"
t_plan 4
. "$(dirname "$0")/fio-jobs.sh"

MNT=/mnt/dax
E820=/sys/bus/platform/devices/e820_pmem

ext4_dax_job() {
	[ -b "$1" ] || fail "$1 is not a block device"
	mkfs_dax ext4 "$1" || fail "mkfs.ext4 $1"
	# fio_run ends the test on failure: unmount on every way out
	trap 'umount_if $MNT' EXIT
	mount_dax ext4 "$1" $MNT
	grep -q "^$1 $MNT ext4 " /proc/mounts || fail "$MNT is not $1"
	fio_fs_job $MNT psync 4k randwrite 64M
	fio_fs_job $MNT mmap 4k randwrite 64M
	umount $MNT || fail "umount $MNT"
	trap - EXIT
}

# wait_node PATH: PATH appears within 5 s.
wait_node() {
	wait_for 5 test -e "$1" || fail "$1 did not appear"
}

test_nd_pmem() {
	[ -e $E820 ] || fail "no e820_pmem platform device (memmap=!)"
	modprobe nd_e820 && modprobe nd_pmem || fail "modprobe nd_e820 nd_pmem"
	wait_node /dev/pmem0
	ext4_dax_job /dev/pmem0
}

# nd_e820's driver is also called e820_pmem.
ND_E820_DRV=/sys/bus/platform/drivers/e820_pmem

test_release_nd_pmem() {
	echo e820_pmem > $ND_E820_DRV/unbind || fail "unbind e820_pmem from nd_e820"
	[ ! -e $E820/driver ] || fail "e820_pmem still bound to $(readlink $E820/driver)"
	[ ! -e /dev/pmem0 ] || fail "/dev/pmem0 still present"
}

test_bind_pmemu() {
	modprobe pmemu || fail "modprobe pmemu (no ranges)"
	[ ! -e /dev/pmemu0 ] || fail "pmemu created a device without ranges="
	echo pmemu > $E820/driver_override || fail "driver_override"
	echo e820_pmem > /sys/bus/platform/drivers/pmemu/bind || fail "bind e820_pmem to pmemu"
	[ "$(basename "$(readlink $E820/driver)")" = pmemu ] || fail "e820_pmem not bound to pmemu"
	wait_node /dev/pmemu0
	[ "$(size_bytes /dev/pmemu0)" = $((1 << 30)) ] || fail "unexpected size $(size_bytes /dev/pmemu0)"
	grep -q 'pmemu.region0' /proc/iomem || fail "legacy range not claimed by pmemu"
	ext4_dax_job /dev/pmemu0
}

test_give_back() {
	echo e820_pmem > /sys/bus/platform/drivers/pmemu/unbind || fail "unbind"
	[ ! -e /dev/pmemu0 ] || fail "/dev/pmemu0 left after unbind"
	grep -q pmemu /proc/iomem && fail "pmemu claim left after unbind"
	echo > $E820/driver_override || fail "clear driver_override"
	rmmod pmemu || fail "rmmod pmemu"
	echo e820_pmem > $ND_E820_DRV/bind || fail "bind e820_pmem to nd_e820 again"
	wait_node /dev/pmem0
	[ "$(size_bytes /dev/pmem0)" = $((1 << 30)) ] || fail "pmem0 has the wrong size"
}

t_run "in-tree nd_pmem: ext4 -o dax fio psync+mmap verify" test_nd_pmem
t_run "release the legacy range from nd_pmem/nd_e820" test_release_nd_pmem
t_run "pmemu binds e820_pmem via driver_override: ext4 -o dax fio" test_bind_pmemu
t_run "unbind from pmemu and give the range back to nd_e820" test_give_back
t_done
