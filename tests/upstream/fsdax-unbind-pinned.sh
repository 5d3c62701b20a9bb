#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# fsdax-unbind-pinned DRIVER: the block device under a mounted ext4 -o dax
# unbound while a page of one of its files sits in a pipe
# (docs/upstream/fsdax-unbind-pinned.md).
#
#   1. ext4 -o dax on the range's block device (/dev/pmem0 of nd_e820's
#      namespace, or pmemu's /dev/pmemu0), an 8 MiB file;
#   2. pin_hold maps the file, vmsplice()s its first page into a pipe,
#      unmaps and closes it: only the pipe holds the page;
#   3. the driver is unbound (nd_pmem: namespace0.0; pmemu: e820_pmem),
#      in the background;
#   4. the unbind either returns, or is found waiting; a waiting unbind is
#      shown in the kernel log (SysRq-w: the blocked tasks' stacks);
#   5. pin_hold reads the pipe and exits; the unbind (if still waiting)
#      ends; the dead filesystem is unmounted.
# In-tree, the unbind writer waits in D state in dax_break_layout_final()
# (inode eviction inside del_gendisk) for as long as the pipe holds the
# page: no bound, no message, the admin's shell hung.  pmemu's unbind
# returns at once; the disk stays, fenced, until the pin goes.
# upstream-drivers: nd_e820
# upstream-signature: dax_break_layout_final
# upstream-bug: nd_pmem unbound under ext4 -o dax with a page pinned: the unbind waits in D state until the pin goes
. "$(dirname "$0")/lib.sh"

driver=${1:?usage: fsdax-unbind-pinned.sh nd_e820|pmemu}
MNT=/mnt/dax
pid='' upid=''

# unbind_waits PID: the unbind (PID) sleeps in dax_break_layout_final.
unbind_waits() {
	grep -q dax_break_layout_final "/proc/$1/stack" 2> /dev/null
}

block_dev "$driver"
ext4_dax $MNT
dd if=/dev/zero of=$MNT/f bs=1M count=8 status=none && sync || fail "write $MNT/f"
pin_hold $MNT/f 8388608 > /tmp/pin.out 2>&1 &
pid=$!
await_line /tmp/pin.out pinned 20
say "page of $MNT/f in a pipe, file closed and unmapped; $UNBIND"
bash -c "$UNBIND" &
upid=$!
# the unbind returns, or waits where the in-tree stack waits
if ! wait_for 60 eval "gone $upid || unbind_waits $upid"; then
	cat "/proc/$upid/stack"
	kill -USR1 $pid
	fail "unbind neither returned nor waited in dax_break_layout_final within 60 s"
fi
if gone $upid; then
	wait $upid || fail "unbind failed"
	say "unbind returned with the page in the pipe"
	[ "$driver" = pmemu ] && { [ -b /dev/$DEV ] || fail "/dev/$DEV went before the pin"; }
else
	say "unbind (pid $upid) waits in state $(awk '{ print $3 }' /proc/$upid/stat): blocked tasks follow"
	echo w > /proc/sysrq-trigger
	[ "$driver" = pmemu ] && fail "pmemu's unbind waits for the pinned page"
fi
say "reading and closing the pipe"
kill -USR1 $pid
reap $pid pin_hold
cat /tmp/pin.out
[ "$REAPED" = 0 ] && grep -q "released: data intact" /tmp/pin.out ||
	fail "pin_hold: exit $REAPED, pipe data not intact"
reap $upid unbind
say "unbind ended ($REAPED)"
wait_for 10 test ! -e /dev/$DEV || fail "/dev/$DEV still there after the pin went"
timeout $((30 * T_SLOW)) umount $MNT || fail "umount of the dead filesystem failed or hung"
say "done"
