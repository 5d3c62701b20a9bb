#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# xfs-pre-remove DRIVER: the block device under a mounted xfs -o dax with
# the reverse-mapping btree (rmapbt=1, mkfs's default) unbound while a file
# has extents in an allocation group other than the last
# (docs/upstream/xfs-pre-remove.md).
#
#   1. xfs -o dax on the range's block device (/dev/pmem0 of nd_e820's
#      namespace, or pmemu's /dev/pmemu0), mkfs's defaults: rmapbt=1,
#      several AGs; a 16 MiB file written and synced, in AG 0;
#   2. the driver is unbound in the background (nd_pmem: namespace0.0;
#      pmemu: e820_pmem): kill_dax() tells xfs MF_MEM_PRE_REMOVE;
#   3. the unbind returns within 20 s, or is found using CPU in
#      mf_dax_kill_procs() (perf's cpu-clock samples of it, with their call
#      chains): xfs_dax_notify_failure() gives the last block of every
#      AG but the last as ri_high.rm_startblock + 1 in 32 bits, which wraps
#      to 0, and mf_dax_kill_procs() gets a page count of about 2^32;
#   4. a spinning unbind cannot be stopped and holds the device's lock,
#      which power-off's device shutdown would wait for: the script asks
#      guest-init to reset the guest instead (/run/pmemu-wedged).
# The loop is xfs's, reached through kill_dax(), which every fsdax driver
# calls when its device goes: pmemu's unbind spins the same, and its run
# notes it.
# upstream-drivers: nd_e820
# upstream-signature: script
# upstream-bug: unbind under xfs -o dax (rmapbt=1) spins for ever in mf_dax_kill_procs
. "$(dirname "$0")/lib.sh"

driver=${1:?usage: xfs-pre-remove.sh nd_e820|pmemu}
MNT=/mnt/dax

# profile PID SECONDS: where PID spends its CPU for SECONDS, as perf
# report prints the cpu-clock samples' kernel call chains (a running
# task's /proc/PID/stack is empty)
profile() {
	perf record -q -e cpu-clock -g -p "$1" -o /tmp/unbind.perf -- sleep "$2" \
		> /dev/null 2>&1 &&
		perf report -i /tmp/unbind.perf --stdio --no-children -G 2> /dev/null
}

# cpu_ticks PID: user + system clock ticks PID has used.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

block_dev "$driver"
mkfs_dax xfs "/dev/$DEV" > /dev/null || fail "mkfs.xfs /dev/$DEV"
mount_dax xfs "/dev/$DEV" $MNT
info=$(xfs_info $MNT) || fail "xfs_info $MNT"
grep -q 'rmapbt=1' <<< "$info" || fail "xfs made without rmapbt"
agcount=$(sed -n 's/.*agcount=\([0-9]*\).*/\1/p' <<< "$info")
[ "${agcount:-0}" -gt 1 ] || fail "xfs has $agcount AG: needs an AG before the last"
dd if=/dev/urandom of=$MNT/f bs=1M count=16 status=none && sync || fail "write $MNT/f"
ags=$(xfs_bmap -v $MNT/f | awk 'NR > 2 && $4 ~ /^[0-9]+$/ { print $4 }' | sort -un)
grep -qvx "$((agcount - 1))" <<< "$ags" ||
	fail "$MNT/f has no extent before the last AG (AG ${ags:-none})"
say "xfs rmapbt=1, $agcount AGs, $MNT/f in AG $(paste -sd , <<< "$ags"); $UNBIND"
bash -c "$UNBIND" &
upid=$!
# an unbind still running at the end cannot be stopped and holds the
# device's lock, which power-off would wait for: have guest-init reset
trap '[ ! -d /proc/$upid ] || touch /run/pmemu-wedged' EXIT
if wait_for 20 gone $upid; then
	wait $upid || fail "unbind failed"
	say "unbind returned"
	timeout $((30 * T_SLOW)) umount $MNT || fail "umount of the dead filesystem failed or hung"
	say "done"
	exit 0
fi
t0=$(cpu_ticks $upid)
sleep 5
t1=$(cpu_ticks $upid)
profile $upid 5 > /tmp/unbind.txt || fail "perf record of the unbind (pid $upid)"
gone $upid && fail "unbind returned after 20 s"
say "unbind (pid $upid) still running after 20 s, state $(awk '{ print $3 }' /proc/$upid/stat), $((t1 - t0)) of $(($(getconf CLK_TCK) * 5)) clock ticks of CPU in 5 s; where 5 s of them went:"
grep -m 12 -E 'mf_dax_kill_procs|dax_lock_mapping_entry|xfs_dax|notify_failure|kill_dax|release_disk|unbind_store' /tmp/unbind.txt
grep -q mf_dax_kill_procs /tmp/unbind.txt ||
	{ head -n 40 /tmp/unbind.txt; fail "the unbind's samples are not in mf_dax_kill_procs"; }
[ $((t1 - t0)) -gt 0 ] || fail "the unbind used no CPU: waiting, not spinning"
if [ "$driver" = pmemu ]; then
	say "note: pmemu's unbind spins the same: the loop is xfs's, reached through kill_dax() (docs/upstream/xfs-pre-remove.md)"
else
	say "reproduced: the unbind spins in mf_dax_kill_procs, called from xfs_dax_notify_failure with MF_MEM_PRE_REMOVE"
fi
say "done"
