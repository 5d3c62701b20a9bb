#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# needs: 2x2G legacy layout (what tests/check-local asks of a test machine)
# Software poison on DAX filesystems: pmemu must do what nd_pmem does.
#
# Each scenario runs twice in this boot, on nd_pmem (/dev/pmem0 over the
# memmap=1G!4G range) and on a 1 GiB pmemu fsdax device, from a fresh
# filesystem with the same data, and each run is summed up in one line:
# how the poisoning process ended and what it printed (mf_actor), what a
# second process reading the same data through its own mapping saw, whether
# read(2) of each file works and returns the data, and the verdict of the
# filesystem checker on the unmounted device.  The lines must be equal, and
# the nd_pmem line must show what the scenario is about (the poisoner killed
# by SIGBUS, a clean check), so a scenario that went wrong on both devices
# does not pass.
#
# xfs (-m reflink=1,rmapbt=1: the holder's reverse map) with two files
# sharing their extents (cp --reflink=always; a COW copy by write(2) and by
# a write fault), and ext4 (no holder: the generic handler) with one file.
. "$(dirname "$0")/lib.sh"
t_plan 8

C=/sys/kernel/config/pmemu
MNT=/mnt/poison
ORIG=/tmp/poison.orig
PMEM=/dev/pmem0
PMEMU=

cleanup() {
	pkill -KILL -x mf_actor 2> /dev/null
	umount_if $MNT
}

# fs_fresh FS DEV: a new FS on DEV mounted -o dax at $MNT, holding file a
# (the 64 KiB of $ORIG) and, on xfs, its reflinked copy b.
fs_fresh() {
	case "$1" in
	xfs) mkfs.xfs -q -f -m reflink=1,rmapbt=1 "$2" ;;
	ext4) mkfs.ext4 -q -F -b 4096 "$2" ;;
	esac > /dev/null || fail "mkfs.$1 $2"
	mount_dax "$1" "$2" $MNT
	cp $ORIG $MNT/a && sync $MNT/a || fail "write a"
	if [ "$1" = xfs ]; then
		cp --reflink=always $MNT/a $MNT/b && sync $MNT/b || fail "reflink a to b"
	fi
}

# poisoner ARGS...: mf_actor poison ARGS; prints "exit STATUS: LINES".
poisoner() {
	local out rc=0
	out=$(ulimit -c 0; timeout $((30 * T_SLOW)) mf_actor poison "$@" 2>&1) || rc=$?
	echo "exit $rc: $(echo "$out" | paste -sd';')"
}

# reader_start FILE PAGE: a reader mapping page PAGE of FILE, once ready.
reader_start() {
	(ulimit -c 0; exec mf_actor reader "$1" "$2") > /tmp/reader.out 2>&1 &
	READER=$!
	wait_for 10 grep -qx ready /tmp/reader.out || { cat /tmp/reader.out; fail "the reader did not get ready"; }
}

# reader_end: let the reader read again; prints "exit STATUS: LINES".
# Not in a command substitution: only this shell can wait for the reader.
reader_end() {
	local rc=0
	kill -TERM $READER
	wait $READER || rc=$?
	echo "exit $rc: $(paste -sd';' /tmp/reader.out)"
}

# file_read FILE [EXPECTED]: read(2) of all of FILE: "EIO" if it fails,
# else "same" or "differs" against EXPECTED, or "ok".
file_read() {
	if ! cat "$1" > /tmp/poison.read 2> /dev/null; then
		echo EIO
	elif [ $# -lt 2 ]; then
		echo ok
	elif cmp -s /tmp/poison.read "$2"; then
		echo same
	else
		echo differs
	fi
}

# fs_check FS DEV: unmount and print the checker's exit status.
fs_check() {
	local rc=0
	umount $MNT || fail "umount $MNT"
	case "$1" in
	xfs) xfs_repair -n "$2" > /tmp/check.out 2>&1 || rc=$? ;;
	ext4) e2fsck -fn "$2" > /tmp/check.out 2>&1 || rc=$? ;;
	esac
	echo "$rc"
	[ "$rc" = 0 ] || sed 's/^/# check: /' /tmp/check.out | head -5 >&2
}

# The scenarios: SCENARIO FS DEV prints the run's summary line.

# poison page 1 of the reflinked copy through a mapping of it
xfs_copy() {
	fs_fresh xfs "$2"
	echo "poisoner $(poisoner $MNT/b 1 1) | a $(file_read $MNT/a $ORIG) | b $(file_read $MNT/b) | check $(fs_check xfs "$2")"
}

# shared_case FS DEV FILE [CMD...]: a reader maps page 1 of a, CMD runs,
# the poisoner poisons page 1 of FILE through its mapping; the summary.
shared_case() {
	local fs=$1 dev=$2 file=$3 p b=""
	shift 3
	fs_fresh "$fs" "$dev"
	reader_start $MNT/a 1
	[ $# -eq 0 ] || "$@" || fail "$*"
	p=$(poisoner "$file" 1 1)
	reader_end > /tmp/reader.sum
	[ "$fs" = xfs ] && b=" | b $(file_read $MNT/b)"
	echo "poisoner $p | reader $(cat /tmp/reader.sum) | a $(file_read $MNT/a $ORIG)$b | check $(fs_check "$fs" "$dev")"
}

# a reader maps page 1 of a, the poisoner poisons it through b
xfs_shared() { shared_case xfs "$2" $MNT/b; }

# as xfs_shared, then a second poisoner poisons that page and the next
# (on pmemu before sw_poison: madvise failed with EFAULT, nobody killed)
xfs_shared_twice() {
	local p p2
	fs_fresh xfs "$2"
	reader_start $MNT/a 1
	p=$(poisoner $MNT/b 1 1)
	p2=$(poisoner $MNT/b 1 2)
	reader_end > /tmp/reader.sum
	echo "poisoner $p | poisoner $p2 | reader $(cat /tmp/reader.sum) | a $(file_read $MNT/a $ORIG) | b $(file_read $MNT/b) | check $(fs_check xfs "$2")"
}

# page 1 of b is rewritten (its own block now), then poisoned through b
xfs_cow() {
	fs_fresh xfs "$2"
	dd if=/dev/zero of=$MNT/b bs=4k seek=1 count=1 conv=notrunc,fsync status=none || fail "rewrite b"
	echo "poisoner $(poisoner $MNT/b 1 1) | a $(file_read $MNT/a $ORIG) | b $(file_read $MNT/b) | check $(fs_check xfs "$2")"
}

# a reader maps page 1 of a; page 1 of b is written through a mapping of
# b (the write fault copies the shared block) and poisoned through b
xfs_mapped_cow() { shared_case xfs "$2" $MNT/b mf_actor writer $MNT/b 1; }

# ext4: poison page 1 of a through a mapping of it
ext4_file() {
	fs_fresh ext4 "$2"
	echo "poisoner $(poisoner $MNT/a 1 1) | a $(file_read $MNT/a $ORIG) | check $(fs_check ext4 "$2")"
}

# ext4: a reader maps page 1 of a, another process poisons it
ext4_shared() { shared_case ext4 "$2" $MNT/a; }

# compare SCENARIO FS: run it on nd_pmem and on pmemu; the lines must be
# equal, and nd_pmem's must show the poisoner killed by SIGBUS (exit
# status 128 + 7) and a clean check.
compare() {
	local ref got
	cleanup
	trap cleanup EXIT
	ref=$("$1" "$2" $PMEM) || fail "$1 on nd_pmem"
	echo "nd_pmem: $ref"
	[[ $ref == "poisoner exit 135: "* && $ref == *"| check 0" ]] ||
		fail "nd_pmem did not kill the poisoner or check clean: the scenario is wrong"
	got=$("$1" "$2" "/dev/$PMEMU") || fail "$1 on pmemu"
	echo "pmemu:   $got"
	[ "$ref" = "$got" ] || fail "pmemu differs from nd_pmem"
}

# nd_pmem and a pmemu fsdax device of 1 GiB, whatever PMEMU_TEST_ONLY says
setup() {
	[ -e /sys/bus/platform/devices/e820_pmem ] || fail "no e820_pmem device (memmap=!)"
	modprobe nd_e820 && modprobe nd_pmem || fail "modprobe nd_e820 nd_pmem"
	wait_for 5 test -b $PMEM || fail "$PMEM did not appear"
	[ "$(size_bytes $PMEM)" = $((1 << 30)) ] || fail "$PMEM is not 1 GiB"
	load_pmemu "ranges=$(pmemu_boot_ranges)" autocreate=0 || fail "modprobe pmemu"
	cfs_device poison 0 1G fsdax > /tmp/poison.dev || fail "create the pmemu device"
	[ -b "/dev/$(cat /tmp/poison.dev)" ] || fail "no block device for the pmemu device"
	head -c 65536 /dev/urandom > $ORIG || fail "make $ORIG"
}


test_teardown() {
	cleanup
	cfs_remove poison
	wait_for 10 region_free 0 || fail "region 0 not free"
	unload_pmemu || fail "rmmod pmemu"
	[ -z "$(cat /sys/block/pmem0/badblocks)" ] || fail "nd_pmem has media errors"
}

(setup) >&2 || t_bail "no nd_pmem and pmemu devices to compare"
PMEMU=$(cat /tmp/poison.dev)
t_run "xfs reflink: poison the copy's page: as nd_pmem" compare xfs_copy xfs
t_run "xfs reflink: poison a page another process maps through the other file: as nd_pmem" \
	compare xfs_shared xfs
t_run "xfs reflink: poison a page, then it and the next from a new process, with a reader: as nd_pmem" \
	compare xfs_shared_twice xfs
t_run "xfs reflink: poison a page of the copy after COW: as nd_pmem" compare xfs_cow xfs
t_run "xfs reflink: a page written through one file's mapping, poisoned there, read through the other: as nd_pmem" \
	compare xfs_mapped_cow xfs
t_run "ext4: poison a file page: as nd_pmem" compare ext4_file ext4
t_run "ext4: poison a page another process maps: as nd_pmem" compare ext4_shared ext4
t_run "teardown: pmemu device removed, module unloaded" test_teardown
t_done
