#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# needs: 2x2G (what tests/check-local asks of a test machine)
# Media errors: badblocks, injection and clearing, memory_failure routing,
# recovery writes.
#
# Raw block device: an injected error is listed in /sys/block/pmemuN/badblocks
# and by pmemuctl list --media-errors, reads touching it fail with EIO,
# neighbours read fine, a direct write of whole sectors clears exactly those
# sectors, pmemuctl inject-error --clear clears the rest; pmemuctl refuses
# unaligned, out-of-range and incomplete requests (exit 2) and disabled
# devices (exit 1) without changing anything.
# ext4 and xfs (rmapbt=1, the holder notifier) -o dax, and devdax sweep
# 4K/2M/1G and tracked 4K/2M: the kselftest program media_test
# (MADV_HWPOISON on a mapped page -> SIGBUS BUS_MCEERR_AR with the mapping's
# size in si_addr_lsb; by default not recorded, the data reads back; with
# sw_poison=media recorded as a media error, again at the next
# access, EIO for file reads, cleared by a page overwrite or clear_error;
# an injected error -> SIGBUS/EIO, EFAULT without a signal for kernel
# copies, clear_error restores the data; malformed ranges refused).
# Afterwards the filesystem checks clean, the device has no error left, and
# it is taken away and its extent freed.
. "$(dirname "$0")/lib.sh"
t_plan 13

C=/sys/kernel/config/pmemu
R=/sys/class/pmemu

# Take away what an earlier failed test left behind.
cleanup() {
	local d
	umount /mnt/media 2> /dev/null
	for d in "$C"/me-*; do
		[ -d "$d" ] || continue
		echo 0 > "$d/enable" 2> /dev/null
		rmdir "$d"
	done
	wait_for 10 region_free 0
}

destroy() {
	echo 0 > "$C/$1/enable" && rmdir "$C/$1" || fail "destroy $1"
	wait_for 10 region_free 0 || fail "region0 not free after destroying $1"
}

# The filesystem checker's verdict, read-only.
fsck_clean() {
	case "$1" in
	ext4) e2fsck -fn "$2" > /tmp/fsck.out 2>&1 ;;
	xfs) xfs_repair -n "$2" > /tmp/fsck.out 2>&1 ;;
	esac || { cat /tmp/fsck.out; fail "$1 on $2 does not check clean"; }
}

# read_sectors DEV SECTOR COUNT: O_DIRECT read; fails on EIO.
read_sectors() {
	dd if="$1" of=/dev/null iflag=direct bs=512 skip="$2" count="$3" status=none 2> /tmp/dd.err
}

write_sectors() {
	dd if=/dev/zero of="$1" oflag=direct bs=512 seek="$2" count="$3" status=none
}

test_raw_block() {
	local dev bb json
	cleanup
	trap cleanup EXIT
	dev=$(cfs_device me-raw 0 64M fsdax) || fail "create me-raw"
	bb=/sys/block/$dev/badblocks
	[ -z "$(cat "$bb")" ] || fail "new device has badblocks: $(cat "$bb")"
	json=$(pmemuctl inject-error me-raw --offset 1M --length 4K) || fail "inject-error"
	echo "$json"
	[ "$(cat "$bb")" = "2048 8" ] || fail "badblocks '$(cat "$bb")', want '2048 8'"
	json=$(pmemuctl list --media-errors) || fail "list --media-errors"
	echo "$json" | jq -e '.[] | select(.dev == "me-raw") |
		.badblock_count == 8 and .badblocks == [{"offset": 2048, "length": 8}]' > /dev/null ||
		fail "list --media-errors: $json"
	read_sectors "/dev/$dev" 2048 1 && fail "read of a bad sector succeeded"
	grep -q "Input/output error" /tmp/dd.err || { cat /tmp/dd.err; fail "expected EIO"; }
	read_sectors "/dev/$dev" 2052 4 && fail "read of bad sectors 2052-2055 succeeded"
	grep -q "Input/output error" /tmp/dd.err || { cat /tmp/dd.err; fail "2052-2055: expected EIO"; }
	read_sectors "/dev/$dev" 2040 8 || fail "read before the error"
	read_sectors "/dev/$dev" 2056 8 || fail "read after the error"
	write_sectors "/dev/$dev" 2048 2 || fail "write over bad sectors"
	[ "$(cat "$bb")" = "2050 6" ] || fail "after writing 2 sectors: '$(cat "$bb")'"
	read_sectors "/dev/$dev" 2048 2 || fail "rewritten sectors still fail"
	pmemuctl inject-error "$dev" --offset 0x100400 --length 3072 --clear > /dev/null ||
		fail "inject-error --clear"
	[ -z "$(cat "$bb")" ] || fail "after --clear: '$(cat "$bb")'"
	read_sectors "/dev/$dev" 2048 8 || fail "cleared sectors still fail"
	# write-zeroes (BLKZEROOUT) clears what it covers, as pmem's does
	pmemuctl inject-error "$dev" --offset 1M --length 4K > /dev/null || fail "inject again"
	blkdiscard -f -z -o 1048576 -l 4096 "/dev/$dev" || fail "blkdiscard -z"
	[ -z "$(cat "$bb")" ] || fail "after write-zeroes: '$(cat "$bb")'"
	destroy me-raw
}

# The badblocks table takes separate errors until its listing would not fit
# in the one page the kernel prints it into (badblocks_show() on 7.3 WARNs
# past that): more are refused with ENOSPC and a message, everything
# accepted is listed (sysfs and pmemuctl list -M), one clear_error empties it.
test_table_full() {
	local dev a i full=0 accepted lines json tag=full-$RANDOM
	cleanup
	trap cleanup EXIT
	dev=$(cfs_device me-full 0 1G fsdax) || fail "create me-full"
	a=/sys/block/$dev/pmemu
	dmesg_mark "$tag"
	# single sectors around sector 1,000,000: 7 digits a line
	for i in $(seq 0 599); do
		echo "$(((1000000 + 2 * i) * 512)) 512" > $a/inject_error 2> /tmp/e.err ||
			{ grep -q "No space left" /tmp/e.err || { cat /tmp/e.err; fail "error $i: not ENOSPC"; }; full=$((full + 1)); }
	done
	[ $full -gt 0 ] || fail "600 separate errors all accepted"
	accepted=$((600 - full))
	dmesg_since "$tag" | grep -q "media error table is full" || fail "no message"
	lines=$(grep -c . /sys/block/$dev/badblocks)
	echo "$accepted errors accepted, $lines listed in /sys/block/$dev/badblocks"
	[ "$lines" = $accepted ] || fail "$accepted errors accepted, $lines in badblocks"
	json=$(pmemuctl list --media-errors) || fail "pmemuctl list --media-errors"
	jq -e --argjson n $accepted '.[] | select(.dev == "me-full") |
		.badblock_count == $n and (.badblocks | length) == $n' <<< "$json" > /dev/null ||
		fail "pmemuctl list -M does not list the $accepted errors"
	echo "0 $((1 << 30))" > $a/clear_error || fail "clear_error of the whole device"
	[ -z "$(cat /sys/block/$dev/badblocks)" ] || fail "errors left after clearing all"
	destroy me-full
}

# fake_root DIR DEV NAME: a copy, under DIR, of what pmemuctl reads about
# configfs device NAME (fsdax, node DEV): its configfs item, its block
# device's attributes and badblocks (PMEMUCTL_SYSFS_ROOT=DIR).
fake_root() {
	local f=$1 a
	rm -rf "$f"
	mkdir -p "$f/sys/module/pmemu" "$f/sys/class/pmemu" "$f/sys/kernel/config/pmemu/$3" \
		"$f/sys/block/$2/pmemu" || return 1
	for a in /sys/kernel/config/pmemu/$3/*; do
		cat "$a" > "$f/sys/kernel/config/pmemu/$3/${a##*/}" 2> /dev/null
	done
	for a in /sys/block/$2/pmemu/*; do
		[ -f "$a" ] && [ -r "$a" ] && cat "$a" > "$f/sys/block/$2/pmemu/${a##*/}" 2> /dev/null
	done
	cat /sys/block/$2/badblocks > "$f/sys/block/$2/badblocks"
}

# pmemuctl list -M on a device whose badblocks cannot be read (a faked sysfs
# where it is a directory): an error naming the device, not a listing that
# reads as "no media errors".  The same fake with a readable badblocks file
# lists its errors, so the fake itself is sound.
test_list_media_read_error() {
	local dev f=/tmp/fakesys json rc=0
	cleanup
	trap 'rm -rf $f; cleanup' EXIT
	dev=$(cfs_device me-fake 0 64M fsdax) || fail "create me-fake"
	echo "4096 1024" > /sys/block/$dev/pmemu/inject_error || fail "inject_error"
	fake_root $f "$dev" me-fake || fail "make the fake sysfs"
	json=$(PMEMUCTL_SYSFS_ROOT=$f pmemuctl list -M) || fail "list -M on the sound fake"
	jq -e '.[] | select(.dev == "me-fake") | .badblock_count == 2' <<< "$json" > /dev/null ||
		{ echo "$json"; fail "the fake does not list the injected error"; }
	rm "$f/sys/block/$dev/badblocks" && mkdir "$f/sys/block/$dev/badblocks" || fail "break the fake"
	PMEMUCTL_SYSFS_ROOT=$f pmemuctl list -M > /tmp/out 2> /tmp/err || rc=$?
	cat /tmp/err
	[ $rc -eq 1 ] || { cat /tmp/out; fail "list -M exit $rc with unreadable badblocks, want 1"; }
	grep -q "me-fake" /tmp/err || fail "the message does not name the device"
	[ -s /tmp/out ] && { cat /tmp/out; fail "list -M printed a listing anyway"; }
	echo "4096 1024" > /sys/block/$dev/pmemu/clear_error || fail "clear_error"
	destroy me-fake
}

# pmemuctl_refuses EXIT ARGS...: pmemuctl inject-error fails with EXIT and a
# message, and the device still has no error.
pmemuctl_refuses() {
	local want=$1 rc=0
	shift
	pmemuctl inject-error "$@" > /tmp/out 2> /tmp/err || rc=$?
	[ "$rc" = "$want" ] || { cat /tmp/out /tmp/err; fail "exit $rc, want $want: $*"; }
	[ -s /tmp/err ] || fail "no message: $*"
	[ -z "$(cat /sys/block/$DEV/badblocks)" ] || fail "badblocks changed: $*"
}

test_pmemuctl_bad_input() {
	cleanup
	trap cleanup EXIT
	DEV=$(cfs_device me-bad 0 64M fsdax) || fail "create me-bad"
	pmemuctl_refuses 2 me-bad --offset 100 --length 512
	pmemuctl_refuses 2 me-bad --offset 0 --length 100
	pmemuctl_refuses 2 me-bad --offset 0 --length 0
	pmemuctl_refuses 2 me-bad --offset 64M --length 512
	pmemuctl_refuses 2 me-bad --offset 63M --length 2M
	pmemuctl_refuses 2 me-bad --offset 0
	pmemuctl_refuses 2 me-bad --offset x1 --length 512
	pmemuctl_refuses 2 --offset 0 --length 512
	pmemuctl_refuses 1 no-such-device --offset 0 --length 512
	echo 0 > $C/me-bad/enable || fail "disable"
	local rc=0
	pmemuctl inject-error me-bad --offset 0 --length 512 2> /tmp/err || rc=$?
	[ "$rc" = 1 ] || { cat /tmp/err; fail "disabled device: exit $rc"; }
	[ -s /tmp/err ] || fail "disabled device: no message"
	rmdir $C/me-bad || fail "rmdir me-bad"
	wait_for 10 region_free 0 || fail "region0 not free"
}

# fs_case FS [MKFS OPTIONS]: media_test on an 8 MiB file of FS -o dax.
fs_case() {
	local fs=$1 dev
	shift
	cleanup
	trap cleanup EXIT
	dev=$(cfs_device me-$fs 0 1G fsdax) || fail "create me-$fs"
	MKFS_XFS_EXTRA="$*" mkfs_dax "$fs" "/dev/$dev" > /dev/null || fail "mkfs.$fs"
	mount_dax "$fs" "/dev/$dev" /mnt/media
	require_dax_mount /mnt/media "$fs"
	dd if=/dev/urandom of=/mnt/media/f bs=1M count=8 status=none conv=fsync ||
		fail "write the file"
	PMEMU_MEDIA_TARGET=/mnt/media/f PMEMU_MEDIA_SYSFS=/sys/block/$dev/pmemu \
		PMEMU_MEDIA_BADBLOCKS=/sys/block/$dev/badblocks media_test ||
		fail "media_test on $fs"
	[ -z "$(cat /sys/block/$dev/badblocks)" ] || fail "errors left: $(cat /sys/block/$dev/badblocks)"
	umount /mnt/media || fail "umount"
	fsck_clean "$fs" "/dev/$dev"
	destroy "me-$fs"
}

# A media error injected while a devdax fault is between its media check
# and its insert (hold point fault_insert): the mapping the fault makes
# must not stay over the error, so the writer gets SIGBUS at once instead
# of writing on over the bad range.
test_fault_inject_race() {
	# not local: the EXIT trap runs after the function has returned
	local name=me-race dev rc=0
	pid='' H=$DBG/hold/fault_insert
	cleanup
	trap 'echo 0 > $H; [ -n "$pid" ] && kill -KILL $pid 2> /dev/null; wait; cleanup' EXIT
	[ -w $H ] || fail "no hold point $H"
	dev=$(cfs_device "$name" 0 2G devdax align=2M) || fail "create $name"
	echo 1 > $H
	mmap_writer "/dev/$dev" 2097152 > /tmp/wr.out 2>&1 &
	pid=$!
	wait_for 10 grep -qx "1 1" $H || { cat $H /tmp/wr.out; fail "the fault did not reach the hold point"; }
	echo "0 512" > $R/$dev/inject_error || fail "inject_error"
	echo 0 > $H
	timeout $((10 * T_SLOW)) tail --pid=$pid -f /dev/null ||
		fail "the writer kept writing over the injected error"
	wait $pid || rc=$?
	pid=
	[ $rc -eq 7 ] && grep -q SIGBUS /tmp/wr.out || { cat /tmp/wr.out; fail "writer exit $rc, expected 7 (SIGBUS)"; }
	echo "0 512" > $R/$dev/clear_error || fail "clear_error"
	destroy "$name"
}

test_ext4() { fs_case ext4; }
test_xfs_rmapbt() { fs_case xfs -m rmapbt=1; }

# dax_case LIFETIME ALIGN: media_test on a 2 GiB devdax device.
dax_case() {
	local name=me-$1-$2 dev
	cleanup
	trap cleanup EXIT
	dev=$(cfs_device "$name" 0 2G devdax lifetime="$1" align="$2") || fail "create $name"
	PMEMU_MEDIA_TARGET=/dev/$dev PMEMU_MEDIA_SYSFS=$R/$dev \
		PMEMU_MEDIA_BADBLOCKS=$R/$dev/badblocks media_test ||
		fail "media_test on $dev ($1, $2)"
	[ -z "$(cat $R/$dev/badblocks)" ] || fail "errors left: $(cat $R/$dev/badblocks)"
	# one transient and one recorded software poison
	[ "$(cat $DBG/$dev/memory_failures)" = 2 ] ||
		fail "memory_failures $(cat $DBG/$dev/memory_failures), want 2"
	[ "$(cat $DBG/$dev/folios_in_use)" = 0 ] || fail "folios in use"
	destroy "$name"
}

load_pmemu "ranges=$(pmemu_boot_ranges)" autocreate=0 || t_bail "modprobe pmemu autocreate=0 failed"
t_run "raw block: inject, EIO, list --media-errors, write clears, --clear" test_raw_block
t_run "pmemuctl inject-error: bad input refused, nothing changed" test_pmemuctl_bad_input
t_run "error table full: ENOSPC with a message, all accepted listed, one clear empties it" test_table_full
t_run "pmemuctl list -M: unreadable badblocks is an error naming the device" test_list_media_read_error
t_run "ext4 -o dax: hwpoison SIGBUS, EIO, recovery write, inject/clear" test_ext4
t_run "xfs -o dax rmapbt=1: hwpoison via the holder, EIO, recovery write, inject/clear" test_xfs_rmapbt
t_run "devdax sweep 4K: media errors" dax_case sweep 4K
t_run "devdax sweep 2M: media errors" dax_case sweep 2M
t_run "devdax sweep 1G: media errors" dax_case sweep 1G
t_run "devdax tracked 4K: media errors" dax_case tracked 4K
t_run "devdax tracked 2M: media errors" dax_case tracked 2M
t_run "devdax 2M: error injected between a fault's check and its insert: the mapping goes, SIGBUS" \
	test_fault_inject_race
t_run "rmmod" unload_pmemu
t_done
