#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# needs: 2x2G (what tests/check-local asks of a test machine)
# Filesystem DAX on pmemu: ext4 and xfs mount with -o dax (dax=always in
# /proc/mounts), files report STATX_ATTR_DAX, MAP_SYNC works, 2 MiB-aligned
# mappings fault in by PMD, fio verifies data through psync and mmap, and the
# module cannot go away while a filesystem is mounted.
. "$(dirname "$0")/lib.sh"
t_plan 19

MNT=/mnt/dax
TRACE=/sys/kernel/tracing

# The fio job shared with the nd_pmem anchor (anchor.sh).
. "$(dirname "$0")/fio-jobs.sh"

test_mount() {
	# what the other filesystem's round left mounted if its umount failed
	umount_if $MNT
	mountpoint -q $MNT && fail "$MNT is still mounted"
	mkfs_dax "$1" /dev/pmemu0 || fail "mkfs.$1"
	# mounted but not dax=always: take it down again
	trap 'umount_if $MNT' EXIT
	mount_dax "$1" /dev/pmemu0 $MNT
	grep -q "^/dev/pmemu0 $MNT $1 " /proc/mounts || fail "$MNT is not /dev/pmemu0 as $1"
	trap - EXIT
}

test_c_suite() {
	require_dax_mount $MNT
	PMEMU_MNT=$MNT fsdax_test
}

# PMD faults seen by the kernel itself: fs_dax:dax_pmd_fault_done, NOPAGE.
test_pmd_trace() {
	local ev=$TRACE/events/fs_dax/dax_pmd_fault_done n want
	local rc=0
	[ -d $ev ] || fail "no fs_dax trace events"
	require_dax_mount $MNT
	echo > $TRACE/trace || fail "clear the trace buffer"
	trap "echo 0 > $ev/enable" EXIT
	echo 1 > $ev/enable || fail "enable $ev"
	PMEMU_MNT=$MNT fsdax_test -t pmd_faults_on_aligned_mapping > /tmp/pmd.out 2>&1 || rc=$?
	echo 0 > $ev/enable
	[ $rc -eq 0 ] || { cat /tmp/pmd.out; fail "fsdax_test pmd_faults_on_aligned_mapping exit $rc"; }
	# one per 2 MiB the filesystem placed on aligned blocks
	want=$(sed -n 's/^# pmd-chunks: \([0-9]*\)$/\1/p' /tmp/pmd.out)
	[ -n "$want" ] || { cat /tmp/pmd.out; fail "fsdax_test did not say how many PMD chunks it faulted"; }
	n=$(grep -c 'dax_pmd_fault_done.*NOPAGE' $TRACE/trace)
	echo "$n PMD faults with result NOPAGE, $want aligned 2 MiB chunks touched"
	[ "$n" -ge "$want" ] || { tail -n 5 $TRACE/trace; fail "expected >= $want NOPAGE PMD faults, saw $n"; }
}

test_rmmod_refused_while_mounted() {
	require_dax_mount $MNT
	expect_fail rmmod pmemu 2> /tmp/rmmod.err
	grep -q 'in use' /tmp/rmmod.err || { cat /tmp/rmmod.err; fail "rmmod did not say the module is in use"; }
	[ -b /dev/pmemu0 ] || fail "/dev/pmemu0 gone after refused rmmod"
	require_dax_mount $MNT
	echo still-here > $MNT/probe && grep -q still-here $MNT/probe ||
		fail "the filesystem does not take a write after the refused rmmod"
}

test_umount() {
	mountpoint -q $MNT || fail "$MNT is not mounted"
	umount $MNT || fail "umount"
	mountpoint -q $MNT && fail "$MNT still mounted after umount"
	return 0
}

load_pmemu || t_bail "modprobe pmemu failed"
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
