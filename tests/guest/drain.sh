#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# needs: 2x2G (what tests/check-local asks of a test machine)
# Draining: a devdax device taken away while a GUP pin (a page vmsplice'd
# into a pipe, with no mapping and no open file left) still holds one of its
# folios.  Disable returns at once and the node goes; the extent stays
# reserved and rmmod is refused while the pin lives, the drain reports the
# held folio, the pipe still returns the right data, and releasing it
# completes the teardown (extent free, rmmod works) with a clean dmesg.
# This is the regression test for the use-after-free of the device-dax
# model (struct pages freed under a pipe buffer).
# Taking a devdax device away under processes writing through their
# mappings (configfs rmdir, platform unbind): the command returns at once,
# every writer gets SIGBUS, and the extent is released once they are gone.
. "$(dirname "$0")/lib.sh"
# 17 single tests, 5 rmdir writers cases, 2 unbind writers cases, rmmod
t_plan 25

C=/sys/kernel/config/pmemu
R=/sys/class/pmemu

# release PID: end a helper a failed test left running (SIGUSR1 lets a
# pin_hold go, SIGKILL whatever does not react) and reap it.
release() {
	[ -n "$1" ] || return 0
	kill -USR1 "$1" 2> /dev/null
	wait_for 5 eval "proc_state $1 Z || ! kill -0 $1 2> /dev/null" || kill -KILL "$1" 2> /dev/null
	wait "$1" 2> /dev/null
	return 0
}

# drained N NAME: clean-up after a failed test: configfs item NAME gone and
# regionN's extent free (its drain may take a moment).
drained() {
	cfs_remove "$2"
	wait_for 10 region_free "$1" || echo "drained: region$1 not free" >&2
	return 0
}

# eio_in FILE: fio's output in FILE reports an I/O error that is EIO.
eio_in() {
	grep -qE 'Input/output error|err= *5[^0-9]' "$1"
}

# fio_failed_with CHECK: fio (status ENDED, output /tmp/fio.out) failed,
# with an error CHECK (eio_in, dead_dax_err_in) accepts.
fio_failed_with() {
	grep -m1 -iE 'error|EIO' /tmp/fio.out
	[ "$ENDED" -ne 0 ] || fail "fio did not report the failed I/O"
	"$1" /tmp/fio.out || { tail /tmp/fio.out; fail "fio failed, but not as $1 expects"; }
}

# dead_dax_err_in FILE: fio's output in FILE reports ENXIO (a DAX access
# through a killed dax_device: dax_direct_access() returns -ENXIO, as for
# nd_pmem) or EIO (the fenced block device).
dead_dax_err_in() {
	grep -qE 'No such device or address|err= *6[^0-9]' "$1" || eio_in "$1"
}

# pin_case LIFETIME ALIGN [PIN_HOLD-OPTION]
pin_case() {
	local lt=$1 align=$2 how=${3:-} d=$C/pin dev pid='' bytes tag rc=0
	bytes=$(numfmt --from=iec "$align")
	trap 'release "$pid"; drained 0 pin' EXIT
	dev=$(cfs_device "$(basename $d)" 0 2G devdax align="$align" lifetime="$lt") || fail "create pin"
	# shellcheck disable=SC2086
	pin_hold $how "/dev/$dev" "$bytes" > /tmp/pin.out 2>&1 &
	pid=$!
	wait_for 20 grep -q pinned /tmp/pin.out || { cat /tmp/pin.out; fail "pin_hold did not pin"; }
	[ "$(cat $DBG/$dev/folios_in_use)" = 1 ] || fail "folios_in_use $(cat $DBG/$dev/folios_in_use), expected 1"
	tag=pin-$lt-$align
	dmesg_mark "$tag"
	[ "$(cat $d/state)" = live ] || fail "state $(cat $d/state) while enabled"
	echo 0 > $d/enable || fail "disable with a pinned folio"
	[ ! -e "/dev/$dev" ] || fail "/dev/$dev still there after disable"
	[ "$(cat $d/state)" = draining ] || fail "state $(cat $d/state), expected draining"
	[ "$(pmemuctl list -D -i | jq -r '.[] | select(.name == "pin") | .state')" = draining ] ||
		fail "pmemuctl does not show the device draining"
	region_free 0 && fail "extent released while a folio is pinned"
	expect_fail rmmod pmemu
	# the drain reports what it waits for (every 5 s)
	drain_reported() {
		dmesg_since "$tag" | grep -q "$dev: draining: 1 folios still in use (0 mapped, 1 pinned"
	}
	wait_for 15 drain_reported ||
		{ dmesg_since "$tag"; fail "no drain progress message"; }
	kill -USR1 $pid
	wait $pid || rc=$?
	pid=
	cat /tmp/pin.out
	[ $rc -eq 0 ] || fail "release failed: pipe data after teardown wrong? (pin_hold exit $rc)"
	if [ -n "$how" ]; then
		grep -qx released /tmp/pin.out || fail "the ring was not closed"
	else
		grep -q "released: data intact" /tmp/pin.out || fail "pin_hold did not find the pipe data intact"
	fi
	wait_for 10 region_free 0 || fail "extent not released after the pin went"
	[ "$(cat $d/state)" = disabled ] || fail "state $(cat $d/state) after the drain"
	dmesg_since "$tag" | grep pmemu
	rmdir $d || fail "rmdir"
}

# writers_case LIFETIME ALIGN HOW: two processes write through mappings of
# a 2 GiB devdax device on region0 while it is taken away by HOW (rmdir of
# its configfs item, or unbind of region0's platform device).
writers_case() {
	local lt=$1 align=$2 how=$3 d=$C/wr dev len pids="" pid i t0
	len=$(numfmt --from=iec "$align")
	[ "$len" -lt $((64 << 20)) ] && len=$((64 << 20))
	# on failure: writers killed, region0 bound again, the item gone
	trap 'for pid in $pids; do kill -KILL $pid 2> /dev/null; wait $pid 2> /dev/null; done
		[ -d $R/region0 ] || echo pmemu.0 > /sys/bus/platform/drivers/pmemu/bind
		drained 0 wr' EXIT
	dev=$(cfs_device "$(basename $d)" 0 2G devdax align="$align" lifetime="$lt") || fail "create wr"
	for i in 1 2; do
		mmap_writer "/dev/$dev" "$len" > /tmp/wr$i.out 2>&1 &
		pids="$pids $!"
	done
	for i in 1 2; do
		wait_for 30 grep -q writing /tmp/wr$i.out || fail "writer $i did not start"
	done
	t0=$SECONDS
	case $how in
	rmdir) timeout $((20 * T_SLOW)) rmdir $d || fail "rmdir failed or hung" ;;
	unbind) timeout $((20 * T_SLOW)) bash -c "echo pmemu.0 > /sys/bus/platform/drivers/pmemu/unbind" ||
		fail "unbind failed or hung" ;;
	esac
	echo "$how returned after $((SECONDS - t0)) s"
	[ ! -e "/dev/$dev" ] || fail "/dev/$dev still there"
	i=0
	for pid in $pids; do
		i=$((i + 1))
		ended "$pid" 20 "writer $i"
		sigbus_in /tmp/wr$i.out
	done
	pids=
	if [ $how = unbind ]; then
		# the range is released once drained: rebinding must work at once
		wait_for 10 bash -c "echo pmemu.0 > /sys/bus/platform/drivers/pmemu/bind 2>/dev/null" ||
			fail "bind after the writers exited"
		[ -d $R/region0 ] || wait_for 5 test -d $R/region0 || fail "region0 not back"
		rmdir $d 2>/dev/null
	fi
	wait_for 10 region_free 0 || fail "extent not released after the writers exited"
}

# fsdax_pin_finish TAG DEV MNT: the unpublish reported DEV's pinned page
# (in the log since mark TAG); pin_hold ($pid of the caller) lets go with
# its data intact, the disk goes, the dead filesystem at MNT unmounts and
# region1's extent is freed.
fsdax_pin_finish() {
	local tag=$1 dev=$2 rc=0
	pin_reported() {
		dmesg_since "$tag" | grep -q "$dev: 1 pages pinned"
	}
	wait_for 10 pin_reported || { dmesg_since "$tag"; fail "no message about the pinned page"; }
	kill -USR1 $pid
	wait $pid || rc=$?
	pid=
	[ $rc -eq 0 ] || { cat /tmp/pin.out; fail "pipe data wrong after teardown (pin_hold exit $rc)"; }
	grep -q "released: data intact" /tmp/pin.out || { cat /tmp/pin.out; fail "pipe data not checked"; }
	wait_for 10 test ! -e "/dev/$dev" || fail "/dev/$dev not removed after the pin went"
	timeout $((30 * T_SLOW)) umount "$3" || fail "umount of the dead filesystem failed or hung"
	wait_for 10 region_free 1 || fail "extent not released after umount"
}

# fsdax_pin_case FS: a filesystem -o dax on a configfs fsdax device of
# region1, one page of a closed, unmapped file pinned in a pipe; rmdir of
# the item (forced teardown while mounted) must return at once, although
# deleting the gendisk would make the filesystem's inode eviction wait for
# the pin: the disk stays (fenced: no open, no I/O) until the pin goes.
fsdax_pin_case() {
	local fs=$1 d=$C/fpin dev pid='' tag t0
	trap 'release "$pid"; umount_if /mnt/fpin; drained 1 fpin' EXIT
	dev=$(cfs_device "$(basename $d)" 1 1G fsdax) || fail "create fpin"
	mkfs_dax "$fs" "/dev/$dev" > /dev/null || fail "mkfs $fs"
	mount_dax "$fs" "/dev/$dev" /mnt/fpin
	dd if=/dev/zero of=/mnt/fpin/f bs=1M count=8 status=none && sync || fail "write file"
	pin_hold /mnt/fpin/f 8388608 > /tmp/pin.out 2>&1 &
	pid=$!
	wait_for 20 grep -q pinned /tmp/pin.out || { cat /tmp/pin.out; fail "pin_hold did not pin"; }
	tag=fpin-$fs
	dmesg_mark "$tag"
	t0=$SECONDS
	timeout $((20 * T_SLOW)) rmdir $d || fail "rmdir of a mounted device with a pinned page failed or hung"
	echo "rmdir returned after $((SECONDS - t0)) s"
	region_free 1 && fail "extent released while a page is pinned"
	expect_fail rmmod pmemu
	[ -b "/dev/$dev" ] || fail "/dev/$dev went before the pin did"
	expect_fail dd if="/dev/$dev" of=/dev/null bs=4k count=1 status=none
	fsdax_pin_finish "$tag" "$dev" /mnt/fpin
	dmesg_since "$tag" | grep -E 'pmemu|EXT4|XFS' | tail -n 8
}

# rmapbt=0: with rmapbt the PRE_REMOVE notification hangs on 7.3 (docs/lifetime.md)
test_fsdax_pin_xfs() { MKFS_XFS_EXTRA="-m rmapbt=0" fsdax_pin_case xfs; }

# A page of an xfs file that is mapped and pinned, shared with a reflinked
# copy that was mapped once and closed: deleting the gendisk evicts the
# copy, and fs/dax's eviction waits for a page with more references than
# mappings.  The disk must stay (fenced) until the pin goes; rmdir returns
# at once.  rmapbt=0: no PRE_REMOVE unmapping of the users (see above).
test_fsdax_reflink_pin() {
	local d=$C/rpin dev pid='' rpid tag
	trap 'release "$pid"; umount_if /mnt/rpin; drained 1 rpin' EXIT
	dev=$(cfs_device "$(basename $d)" 1 1G fsdax) || fail "create rpin"
	mkfs.xfs -q -f -m reflink=1,rmapbt=0 "/dev/$dev" || fail "mkfs.xfs reflink=1"
	mount_dax xfs "/dev/$dev" /mnt/rpin
	dd if=/dev/urandom of=/mnt/rpin/a bs=1M count=2 status=none && sync || fail "write a"
	cp --reflink=always /mnt/rpin/a /mnt/rpin/b || fail "reflink copy"
	# the copy maps the shared page once and is closed: its DAX entry stays
	xfs_io -r -c "mmap -r 0 4k" -c "mread 0 4k" /mnt/rpin/b > /dev/null || fail "read-fault b"
	pin_hold --mapped /mnt/rpin/a 2097152 > /tmp/pin.out 2>&1 &
	pid=$!
	wait_for 20 grep -q pinned /tmp/pin.out || { cat /tmp/pin.out; fail "pin_hold did not pin"; }
	tag=rpin
	dmesg_mark "$tag"
	# in the background: a rmdir stuck behind the pin ends only when the
	# pin goes, so a failure releases the pin first
	rmdir $d &
	rpid=$!
	if ! wait_for 20 eval "proc_state $rpid Z || ! kill -0 $rpid 2> /dev/null"; then
		grep -l dax_break_layout /proc/*/task/*/stack 2> /dev/null
		release "$pid"
		pid=
		wait $rpid
		fail "rmdir with a page pinned under a reflinked copy hung until the pin went"
	fi
	wait $rpid || fail "rmdir failed"
	[ -b "/dev/$dev" ] || fail "/dev/$dev went before the pin did"
	fsdax_pin_finish "$tag" "$dev" /mnt/rpin
}

# I/O in flight when a device is taken away: fio randrw on the raw
# /dev/pmemuN of a configfs fsdax device; rmdir returns at once, fio ends
# with EIO instead of hanging, the extent is freed once it has exited.
test_fsdax_raw_fio() {
	local d=$C/rawio dev pid='' t0
	trap '[ -n "$pid" ] && kill -KILL $pid 2> /dev/null && wait $pid; drained 1 rawio' EXIT
	dev=$(cfs_device "$(basename $d)" 1 512M fsdax) || fail "create rawio"
	[ -b "/dev/$dev" ] || fail "/dev/$dev is not a block device"
	fio --name=raw --filename="/dev/$dev" --ioengine=psync --rw=randrw --bs=4k --thread \
		--size=256M --time_based --runtime=120 > /tmp/fio.out 2>&1 &
	pid=$!
	# in flight: fio's random reads are going on (its read calls count up)
	wait_for 30 fio_reads_above $pid 1000 || { cat /tmp/fio.out; fail "fio did not start reading"; }
	t0=$SECONDS
	timeout $((20 * T_SLOW)) rmdir $d || fail "rmdir under fio failed or hung"
	echo "rmdir returned after $((SECONDS - t0)) s"
	ended "$pid" 30 fio
	pid=
	fio_failed_with eio_in
	wait_for 10 region_free 1 || fail "extent not released after fio exited"
}

# ext4 -o dax under fio (files, psync) and a process writing through a
# mapped file, taken away by rmdir: rmdir returns, fio's DAX I/O fails with
# ENXIO from the dead dax_device (EIO if it reaches the fenced disk); ext4 gets
# no MF_MEM_PRE_REMOVE, so the writer keeps its mapping until a write
# faults again (writeback write-protects the pages) and gets SIGBUS from
# the dead dax_device; umount then frees the extent.
test_fsdax_ext4_writers() {
	local d=$C/fsw dev fpid='' wpid='' t0
	trap '[ -n "$fpid$wpid" ] && kill -KILL $fpid $wpid 2> /dev/null; wait $fpid $wpid 2> /dev/null
		umount_if /mnt/fsw; drained 1 fsw' EXIT
	dev=$(cfs_device "$(basename $d)" 1 1G fsdax) || fail "create fsw"
	mkfs_dax ext4 "/dev/$dev" > /dev/null || fail mkfs
	mount_dax ext4 "/dev/$dev" /mnt/fsw
	dd if=/dev/zero of=/mnt/fsw/mapped bs=1M count=16 status=none && sync || fail "write file"
	mmap_writer /mnt/fsw/mapped $((16 << 20)) > /tmp/wr.out 2>&1 &
	wpid=$!
	require_dax_mount /mnt/fsw ext4
	fio --name=fsw --directory=/mnt/fsw --ioengine=psync --rw=randrw --bs=4k --thread \
		--size=64M --time_based --runtime=120 > /tmp/fio.out 2>&1 &
	fpid=$!
	wait_for 30 grep -q writing /tmp/wr.out || fail "writer did not start"
	# in flight: fio has laid its file out and its random reads are going on
	wait_for 60 fio_reads_above $fpid 1000 || { cat /tmp/fio.out; fail "fio did not start reading"; }
	t0=$SECONDS
	timeout $((20 * T_SLOW)) rmdir $d || fail "rmdir under writers failed or hung"
	echo "rmdir returned after $((SECONDS - t0)) s"
	ended "$fpid" 60 fio
	fpid=
	fio_failed_with dead_dax_err_in
	# its next write fault (writeback write-protects the pages) fails
	ended "$wpid" 60 "mapped writer"
	wpid=
	sigbus_in /tmp/wr.out
	timeout $((30 * T_SLOW)) umount /mnt/fsw || fail "umount failed or hung"
	wait_for 10 region_free 1 || fail "extent not released after umount"
}

# xfs with rmapbt=1: kill_dax tells xfs (MF_MEM_PRE_REMOVE), which unmaps
# the mapped writer with SIGBUS and shuts down; fio gets EIO; umount frees
# the extent.  Two AGs with all file data in the last one: 7.3 overflows
# for file extents in any other AG and spins forever (docs/lifetime.md);
# xfs puts successive new directories in alternating AGs.
test_fsdax_xfs_rmapbt_writers() {
	local d=$C/fsx dev fpid='' wpid='' t0
	trap '[ -n "$fpid$wpid" ] && kill -KILL $fpid $wpid 2> /dev/null; wait $fpid $wpid 2> /dev/null
		umount_if /mnt/fsx; drained 1 fsx' EXIT
	dev=$(cfs_device "$(basename $d)" 1 1G fsdax) || fail "create fsx"
	MKFS_XFS_EXTRA="-m rmapbt=1 -d agcount=2" mkfs_dax xfs "/dev/$dev" > /dev/null || fail mkfs
	mount_dax xfs "/dev/$dev" /mnt/fsx
	mkdir /mnt/fsx/ag0 /mnt/fsx/ag1 || fail mkdir
	dd if=/dev/zero of=/mnt/fsx/ag1/mapped bs=1M count=16 status=none && sync || fail "write file"
	xfs_bmap -v /mnt/fsx/ag1/mapped | awk 'NR > 2 && $4 != 1 { bad = 1 } END { exit bad }' ||
		{ xfs_bmap -v /mnt/fsx/ag1/mapped; fail "test file not in the last AG"; }
	mmap_writer /mnt/fsx/ag1/mapped $((16 << 20)) > /tmp/wr.out 2>&1 &
	wpid=$!
	require_dax_mount /mnt/fsx xfs
	fio --name=fsx --directory=/mnt/fsx/ag1 --ioengine=psync --rw=randrw --bs=4k --thread \
		--size=64M --time_based --runtime=120 > /tmp/fio.out 2>&1 &
	fpid=$!
	wait_for 30 grep -q writing /tmp/wr.out || fail "writer did not start"
	# in flight: fio has laid its file out and its random reads are going on
	wait_for 60 fio_reads_above $fpid 1000 || { cat /tmp/fio.out; fail "fio did not start reading"; }
	t0=$SECONDS
	timeout $((30 * T_SLOW)) rmdir $d || fail "rmdir under writers failed or hung"
	echo "rmdir returned after $((SECONDS - t0)) s"
	ended "$wpid" 30 "mapped writer"
	wpid=
	sigbus_in /tmp/wr.out
	ended "$fpid" 60 fio
	fpid=
	fio_failed_with eio_in
	timeout $((30 * T_SLOW)) umount /mnt/fsx || fail "umount failed or hung"
	wait_for 10 region_free 1 || fail "extent not released after umount"
}

# An O_DIRECT read into a devdax mapping, held in flight by a suspended
# device-mapper device (the destination page is GUP-pinned meanwhile): rmdir
# returns, mappings go, the read still completes into the pinned page when
# the I/O is let go, and the teardown finishes after it.  With --unmap the
# reader also unmaps its buffer after rmdir, so neither a mapping nor an
# open file holds the device: rmmod must still be refused (the drain holds
# the module), else exit would have to free or leave behind pages whose
# folio->mapping->a_ops is module code that a dirtying unpin calls.
test_odirect_in_flight() {
	local lt=$1 how=${2:-} d=$C/odir dev loop='' pid='' dm rc=0
	# on failure: the dm device resumed (else its held I/O blocks the next
	# test's clean-up), the reader gone, dm, loop and configfs item removed
	trap 'dmsetup resume held 2> /dev/null; release "$pid"; dmsetup remove held 2> /dev/null
		[ -n "$loop" ] && losetup -d "$loop"; rm -f /var/tmp/dmback; drained 0 odir' EXIT
	modprobe -a loop dm-mod || fail "modprobe loop dm-mod"
	dmsetup remove held 2> /dev/null
	truncate -s 64M /var/tmp/dmback && loop=$(losetup -f --show /var/tmp/dmback) ||
		fail "loop device"

	dmsetup create held --table "0 131072 linear $loop 0" || fail "dmsetup create"
	# no udev: use the node devtmpfs made, /dev/dm-N
	dm=/dev/$(dmsetup info -c --noheadings -o blkdevname held) && [ -b "$dm" ] || fail "dmsetup info"
	dmsetup suspend held || fail "dmsetup suspend"
	dev=$(cfs_device "$(basename $d)" 0 2G devdax lifetime="$lt") || fail "create odir"
	# shellcheck disable=SC2086
	odirect_hold $how "/dev/$dev" "$dm" > /tmp/od.out 2>&1 &
	pid=$!
	wait_for 20 grep -q reading /tmp/od.out || { cat /tmp/od.out; fail "reader did not start"; }
	# the read is in flight: its task sleeps uninterruptibly on the held I/O
	wait_for 10 proc_state $pid D || { cat /tmp/od.out; cat /proc/$pid/stack 2> /dev/null; fail "the read did not block"; }
	timeout $((20 * T_SLOW)) rmdir $d || fail "rmdir with a read in flight failed or hung"
	region_free 0 && fail "extent released with a read in flight"
	if [ "$how" = --unmap ]; then
		kill -USR1 $pid
		wait_for 10 grep -q unmapped /tmp/od.out || { cat /tmp/od.out; fail "reader did not unmap"; }
		# only the pin is left: no mapping, no file, no configfs item
		grep -q "/dev/$dev" /proc/$pid/maps && fail "the buffer is still mapped"
	fi
	expect_fail rmmod pmemu
	dmsetup resume held || fail "dmsetup resume"
	wait $pid || rc=$?
	pid=
	cat /tmp/od.out
	[ $rc -eq 0 ] || fail "the read did not complete (exit $rc)"
	grep -qx "read 4096" /tmp/od.out || fail "the read did not return 4096 bytes"
	wait_for 10 region_free 0 || fail "extent not released after the read"
	dmsetup remove held && losetup -d "$loop" && rm -f /var/tmp/dmback || fail "remove dm and loop"
	loop=
}

# A pin taken after the unpublish work found none (hold point
# unpublish_checked): a page of an ext4 file mapped before the rmdir is
# vmspliced, unmapped and closed, so deleting the gendisk waits in fs/dax's
# eviction until the pin goes.  That blocks this device's rmdir (and, by
# configfs's directory lock, other rmdirs and mkdirs in the group), but
# not another device's disable, which frees its extent at once.
test_unpublish_pin_race() {
	# not local: the EXIT trap runs after the function has returned
	local d=$C/upin dev rc=0
	pid='' rpid='' opid='' H=$DBG/hold/unpublish_checked
	trap 'echo 0 > $H; release "$pid"; [ -n "$rpid" ] && wait $rpid; [ -n "$opid" ] && wait $opid
		umount_if /mnt/upin; cfs_remove other; drained 1 upin' EXIT
	[ -w $H ] || fail "no hold point $H"
	dev=$(cfs_device "$(basename $d)" 1 1G fsdax) || fail "create upin"
	cfs_device other 0 1G devdax > /dev/null || fail "create other"
	mkfs_dax ext4 "/dev/$dev" > /dev/null || fail "mkfs ext4"
	mount_dax ext4 "/dev/$dev" /mnt/upin
	dd if=/dev/zero of=/mnt/upin/f bs=1M count=8 status=none && sync || fail "write file"
	pin_hold --late /mnt/upin/f 8388608 > /tmp/pin.out 2>&1 &
	pid=$!
	wait_for 20 grep -q mapped /tmp/pin.out || { cat /tmp/pin.out; fail "pin_hold did not map"; }
	echo 1 > $H
	rmdir $d &
	rpid=$!
	wait_for 10 grep -qx "1 1" $H || { cat $H; fail "the unpublish did not reach the hold point"; }
	kill -USR2 $pid
	wait_for 10 grep -q pinned /tmp/pin.out || { cat /tmp/pin.out; fail "pin_hold did not pin"; }
	echo 0 > $H
	# the deletion now waits for the pin; the other device must not (in
	# the background: a disable stuck behind it ends only with the pin)
	(echo 0 > $C/other/enable) &
	opid=$!
	if ! wait_for 10 eval "proc_state $opid Z || ! kill -0 $opid 2> /dev/null"; then
		release "$pid"
		pid=
		wait $opid
		fail "another device's disable was held up by the blocked deletion"
	fi
	wait $opid || fail "disable of the other device failed"
	opid=
	region_free 0 || fail "the other device's extent is not free after its disable"
	kill -USR1 $pid
	wait $pid || rc=$?
	pid=
	[ $rc -eq 0 ] || { cat /tmp/pin.out; fail "pipe data wrong (pin_hold exit $rc)"; }
	timeout $((20 * T_SLOW)) tail --pid=$rpid -f /dev/null || fail "rmdir still blocked after the pin went"
	wait $rpid || fail "rmdir failed"
	rpid=
	rmdir $C/other || fail "rmdir other"
	wait_for 10 test ! -e "/dev/$dev" || fail "/dev/$dev not removed after the pin went"
	timeout $((30 * T_SLOW)) umount /mnt/upin || fail "umount of the dead filesystem failed or hung"
	wait_for 10 region_free 1 || fail "extent not released after umount"
}

# Platform unbind and configfs disable/rmdir racing for one device: the
# unbind is held (hold point destroy_claimed) after it claimed the device
# and before its teardown.  Disable and rmdir find the device taken and
# return; the unbind then tears it down once and the range is released.
test_unbind_disable_race() {
	# not local: the EXIT trap runs after the function has returned
	local d=$C/race dev rc=0
	upid='' H=$DBG/hold/destroy_claimed
	trap 'echo 0 > $H; [ -n "$upid" ] && wait $upid; cfs_remove race
		[ -d $R/region0 ] || wait_for 10 bash -c "echo pmemu.0 > /sys/bus/platform/drivers/pmemu/bind 2> /dev/null"' EXIT
	[ -w $H ] || fail "no hold point $H"
	dev=$(cfs_device "$(basename $d)" 0 1G devdax) || fail "create race"
	echo 1 > $H
	echo pmemu.0 > /sys/bus/platform/drivers/pmemu/unbind &
	upid=$!
	wait_for 10 grep -qx "1 1" $H || { cat $H; fail "the unbind did not reach the hold point"; }
	timeout $((10 * T_SLOW)) bash -c "echo 0 > $d/enable" || fail "disable during the unbind failed or hung"
	timeout $((10 * T_SLOW)) rmdir $d || fail "rmdir during the unbind failed or hung"
	echo 0 > $H
	wait $upid || rc=$?
	upid=
	[ $rc -eq 0 ] || fail "unbind failed ($rc)"
	[ ! -e "/dev/$dev" ] || fail "/dev/$dev still there after the unbind"
	# the range is released once drained: rebinding must work
	wait_for 10 bash -c "echo pmemu.0 > /sys/bus/platform/drivers/pmemu/bind 2> /dev/null" ||
		fail "bind after the unbind"
	[ -d $R/region0 ] || fail "region0 not back after bind"
}

test_sweep_4k() { pin_case sweep 4K; }
test_sweep_2m_uring() { pin_case sweep 2M --io-uring; }
test_sweep_2m() { pin_case sweep 2M; }
test_sweep_1g() { pin_case sweep 1G; }
test_tracked_4k() { pin_case tracked 4K; }
test_tracked_2m() { pin_case tracked 2M; }

load_pmemu "ranges=$(pmemu_boot_ranges)" autocreate=0 || t_bail "modprobe pmemu autocreate=0 failed"
t_run "devdax sweep 4K: disable with a pinned page defers, pipe data intact, release completes" test_sweep_4k
t_run "devdax sweep 2M: disable with a pinned page defers, pipe data intact, release completes" test_sweep_2m
t_run "devdax sweep 1G: disable with a pinned page defers, pipe data intact, release completes" test_sweep_1g
t_run "devdax tracked 4K: disable with a pinned page defers, pipe data intact, release completes" test_tracked_4k
t_run "devdax tracked 2M: disable with a pinned page defers, pipe data intact, release completes" test_tracked_2m
t_run "devdax sweep 2M: disable with an io_uring fixed buffer (FOLL_LONGTERM) defers, ring close completes" test_sweep_2m_uring
t_run "devdax sweep 2M: rmdir with an O_DIRECT read in flight: returns, read completes, teardown after it" \
	test_odirect_in_flight sweep
t_run "devdax tracked 2M: rmdir with an O_DIRECT read in flight: returns, read completes, teardown after it" \
	test_odirect_in_flight tracked
t_run "devdax sweep 2M: O_DIRECT read in flight, buffer unmapped after rmdir: rmmod refused until the read completes" \
	test_odirect_in_flight sweep --unmap
t_run "fsdax ext4: rmdir while mounted with a pinned page: returns, disk fenced until the pin goes, umount safe" \
	fsdax_pin_case ext4
t_run "fsdax xfs: rmdir while mounted with a pinned page: returns, disk fenced until the pin goes, umount safe" \
	test_fsdax_pin_xfs
t_run "fsdax xfs reflink: rmdir with a mapped, pinned page a closed copy shares: returns, disk stays until the pin goes" \
	test_fsdax_reflink_pin
t_run "fsdax raw: rmdir under fio randrw: returns, fio gets EIO, extent released" test_fsdax_raw_fio
t_run "fsdax ext4: rmdir under fio and a mapped writer: returns, fio gets ENXIO/EIO, SIGBUS at the next fault, umount frees" \
	test_fsdax_ext4_writers
t_run "fsdax xfs rmapbt=1 (data in the last AG): rmdir under fio and a mapped writer: SIGBUS, EIO, umount frees" \
	test_fsdax_xfs_rmapbt_writers
for cfg in "sweep 4K" "sweep 2M" "sweep 1G" "tracked 4K" "tracked 2M"; do
	# shellcheck disable=SC2086
	t_run "devdax $cfg: rmdir under mmap writers: returns, writers get SIGBUS, extent released" \
		writers_case $cfg rmdir
done
t_run "devdax sweep 2M: platform unbind under mmap writers: returns, SIGBUS, range released" \
	writers_case sweep 2M unbind
t_run "devdax tracked 2M: platform unbind under mmap writers: returns, SIGBUS, range released" \
	writers_case tracked 2M unbind
t_run "devdax: configfs disable and rmdir while a platform unbind holds the claimed device: one teardown" \
	test_unbind_disable_race
t_run "fsdax ext4: a pin taken after the unpublish check blocks only that device's rmdir, not another's disable" \
	test_unpublish_pin_race
t_run "rmmod after the last drain" unload_pmemu
t_done
