#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# needs: 2x2G (what tests/check-local asks of a test machine)
# Taking an fsdax device away (platform unbind) while a filesystem is still
# mounted on it and a DAX file is mapped.  The unbind returns at once; the
# struct pages stay until the filesystem is unmounted and no page is in use,
# so the mapping keeps working, umount of the dead filesystem is safe (it
# walks the folios of its DAX entries), the range is released afterwards,
# and rmmod is refused until then.
#
# xfs runs with rmapbt=0: with rmapbt=1 the 7.3 kernel spins forever in
# kill_dax() (MF_MEM_PRE_REMOVE over a multi-AG filesystem: the u32
# "ri_high.rm_startblock + 1" in xfs_dax_notify_dev_failure() wraps to 0 for
# every AG but the last, giving mf_dax_kill_procs() a ~2^32-page count).
# The in-tree nd_pmem hangs the same way; see docs/lifetime.md.
. "$(dirname "$0")/lib.sh"
t_plan 4

DRV=/sys/bus/platform/drivers/pmemu

# start_holder FILE LEN: mmap_hold in the background; sets HOLDER and HOLD_OUT.
start_holder() {
	HOLD_OUT=$(mktemp)
	mmap_hold "$1" "$2" > "$HOLD_OUT" 2>&1 &
	HOLDER=$!
	wait_for 10 grep -q ready "$HOLD_OUT" || { cat "$HOLD_OUT"; fail "mmap_hold did not map $1"; }
}

# claimed N: regionN's range is claimed in /proc/iomem.
claimed() {
	grep -q "pmemu.region$1\$" /proc/iomem
}

# wait_released N: the iomem claim of regionN goes away within 10 s.
wait_released() {
	wait_for 10 eval "! claimed $1" || fail "region$1 still claimed 10 s after its last user went"
}

# unbind_mounted N FS HOLDER-EXIT: the scenario for /dev/pmemuN.
unbind_mounted() {
	local n=$1 fs=$2 want=$3 mnt=/mnt/d$1 t0 hrc
	[ -b /dev/pmemu$n ] || fail "/dev/pmemu$n is not a block device"
	mkfs_dax "$fs" /dev/pmemu$n || fail "mkfs.$fs"
	# on failure: no holder, no mount left for the next test
	trap '[ -n "${HOLDER:-}" ] && kill -TERM $HOLDER 2> /dev/null && wait $HOLDER; umount_if '"$mnt" EXIT
	mount_dax "$fs" /dev/pmemu$n $mnt
	start_holder $mnt/held 8388608
	dmesg_mark "unbind$n"
	t0=$SECONDS
	timeout $((20 * T_SLOW)) sh -c "echo pmemu.$n > $DRV/unbind" || fail "unbind failed or hung"
	echo "unbind returned after $((SECONDS - t0)) s"
	[ ! -e /dev/pmemu$n ] || fail "/dev/pmemu$n still present after unbind"
	claimed "$n" || fail "range released while a filesystem is still mounted on it"
	expect_fail rmmod pmemu 2> /tmp/rmmod.err
	grep -q 'in use' /tmp/rmmod.err || { cat /tmp/rmmod.err; fail "rmmod not refused"; }
	kill -TERM $HOLDER
	wait $HOLDER
	hrc=$?
	HOLDER=
	cat "$HOLD_OUT"
	[ $hrc -eq "$want" ] || fail "holder exit $hrc, expected $want"
	[ "$want" -ne 0 ] || grep -qx intact "$HOLD_OUT" || fail "mmap_hold did not find the mapping's data intact"
	umount $mnt || fail "umount of the dead filesystem"
	wait_released "$n"
	dmesg_since "unbind$n" | grep -E 'pmemu|EXT4|XFS' | tail -n 8
}

load_pmemu || t_bail "modprobe pmemu failed"
# ext4 gets no PRE_REMOVE: the mapping stays valid and its data intact.
t_run "ext4: unbind while mounted+mapped: returns, mapping intact, umount safe, range released" \
	unbind_mounted 0 ext4 0
export MKFS_XFS_EXTRA="-m rmapbt=0"
t_run "xfs (rmapbt=0): unbind while mounted+mapped: returns, mapping intact, umount safe, range released" \
	unbind_mounted 1 xfs 0
# an unbind with nothing in use releases the range before it returns
test_rebind_at_once() {
	local i
	for i in 1 2 3; do
		echo pmemu.0 > $DRV/bind || fail "bind $i right after the last unbind"
		[ -b /dev/pmemu0 ] || fail "no /dev/pmemu0 after bind $i"
		echo pmemu.0 > $DRV/unbind || fail "unbind $i"
	done
}

t_run "bind right after an idle unbind x3" test_rebind_at_once
t_run "rmmod once both torn-down devices drained" unload_pmemu
t_done
