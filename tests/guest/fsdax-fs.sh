#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Filesystem DAX on pmemu: ext4 and xfs mount with -o dax (dax=always in
# /proc/mounts), files report STATX_ATTR_DAX, MAP_SYNC works, 2 MiB-aligned
# mappings fault in by PMD, fio verifies data through psync and mmap, and the
# module cannot go away while a filesystem is mounted.
. "$(dirname "$0")/lib.sh"

MNT=/mnt/dax
TRACE=/sys/kernel/tracing

# The fio job shared with the nd_pmem anchor (anchor.sh).
. "$(dirname "$0")/fio-jobs.sh"

test_mount() {
	mkfs_dax "$1" /dev/pmemu0 || fail "mkfs.$1"
	mount_dax "$1" /dev/pmemu0 $MNT
}

test_c_suite() {
	PMEMU_MNT=$MNT fsdax_test
}

# PMD faults seen by the kernel itself: fs_dax:dax_pmd_fault_done, NOPAGE.
test_pmd_trace() {
	local ev=$TRACE/events/fs_dax/dax_pmd_fault_done n
	[ -d $ev ] || fail "no fs_dax trace events"
	echo > $TRACE/trace
	echo 1 > $ev/enable
	PMEMU_MNT=$MNT fsdax_test -t pmd_faults_on_aligned_mapping > /dev/null
	echo 0 > $ev/enable
	n=$(grep -c 'dax_pmd_fault_done.*NOPAGE' $TRACE/trace)
	echo "$n PMD faults with result NOPAGE"
	[ "$n" -ge 16 ] || { tail -n 5 $TRACE/trace; fail "expected >= 16 NOPAGE PMD faults, saw $n"; }
}

test_rmmod_refused_while_mounted() {
	expect_fail rmmod pmemu 2> /tmp/rmmod.err
	grep -q 'in use' /tmp/rmmod.err || { cat /tmp/rmmod.err; fail "rmmod did not say the module is in use"; }
	[ -b /dev/pmemu0 ] || fail "/dev/pmemu0 gone after refused rmmod"
	echo still-here > $MNT/probe && grep -q still-here $MNT/probe
}

test_umount() {
	umount $MNT || fail "umount"
}

load_pmemu || { echo "not ok 1 - modprobe pmemu"; exit 1; }
for fs in ext4 xfs; do
	t_run "$fs: mkfs and mount -o dax shows dax=always" test_mount $fs
	t_run "$fs: statx DAX, MAP_SYNC, PMD faults (fsdax_test)" test_c_suite
	t_run "$fs: fs_dax PMD fault trace events" test_pmd_trace
	t_run "$fs: fio psync 4K randwrite+verify" fio_fs_job $MNT psync 4k randwrite 64M
	t_run "$fs: fio psync 1M write+verify" fio_fs_job $MNT psync 1M write 256M
	t_run "$fs: fio mmap 4K randwrite+verify" fio_fs_job $MNT mmap 4k randwrite 64M
	t_run "$fs: fio mmap 1M write+verify" fio_fs_job $MNT mmap 1M write 256M
	t_run "$fs: rmmod refused while mounted" test_rmmod_refused_while_mounted
	t_run "$fs: umount" test_umount
done
t_run "rmmod after umount" unload_pmemu
t_done
