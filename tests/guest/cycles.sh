#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# needs: 2x2G (what tests/check-local asks of a test machine)
# Teardown under a pin, many times over: PMEMU_CYCLES (default 100) rounds
# of create -> map -> pin one page in a pipe -> take the device away (rmdir
# of its configfs item, the forced teardown unbind and unload also use) ->
# release the pin, for fsdax (ext4 -o dax, mounted) and devdax sweep and
# tracked.  Every round must end with the extent free; afterwards nothing
# is leaked: every round maps the same extent again, which memremap_pages()
# refuses while an earlier page map of it exists; MemFree ends within a
# stated tolerance (64 MiB) of where it started; module refcount 0; rmmod
# works.  (ZONE_DEVICE's
# zone span never shrinks on 7.3, so /proc/zoneinfo cannot show leaks.)
. "$(dirname "$0")/lib.sh"
t_plan 4

C=/sys/kernel/config/pmemu
R=/sys/class/pmemu
CYCLES=${PMEMU_CYCLES:-100}
# MemFree moves by up to about 16 MiB between measurements for reasons of
# its own (slabs, page tables, per-cpu lists).  A page map leaked per round
# would cost at least its struct pages every round: 8 MiB for a 2 GiB sweep
# 2M device (deduplicated vmemmap), 32 MiB otherwise, i.e. >= 800 MiB over
# 100 rounds; finer leaks are kmemleak's job (guest/leak, debug lane).
TOLERANCE_KB=$((64 * 1024))

# one_cycle MODE LIFETIME N: create, map, pin, rmdir, release, drained.
one_cycle() {
	local mode=$1 lt=$2 n=$3 d=$C/cyc dev target rc=0
	PIN=
	dev=$(cfs_device cyc 0 2G "$mode" lifetime="$lt") || fail "round $n: create cyc"
	target=/dev/$dev
	if [ "$mode" = fsdax ]; then
		# the filesystem made in round 1 is still there: same extent
		mount -t ext4 -o dax "/dev/$dev" /mnt/cyc || fail "round $n: mount"
		require_dax_mount /mnt/cyc ext4
		target=/mnt/cyc/f
	fi
	pin_hold "$target" 2097152 > /tmp/pin.out 2>&1 &
	PIN=$!
	wait_for 20 grep -q pinned /tmp/pin.out || { cat /tmp/pin.out; fail "round $n: no pin"; }
	rmdir $d || fail "round $n: rmdir"
	region_free 0 && fail "round $n: extent released while pinned"
	kill -USR1 $PIN
	wait $PIN || rc=$?
	PIN=
	[ $rc -eq 0 ] && grep -q "released: data intact" /tmp/pin.out ||
		{ cat /tmp/pin.out; fail "round $n: pipe data wrong (pin_hold exit $rc)"; }
	[ "$mode" = fsdax ] && { umount /mnt/cyc || fail "round $n: umount"; }
	wait_for 10 region_free 0 || fail "round $n: extent not released"
}

# cycles MODE LIFETIME
cycles() {
	local n before after dev
	# on failure: the pin let go, nothing mounted, the item gone
	trap '[ -n "$PIN" ] && kill -USR1 $PIN 2> /dev/null && wait $PIN; umount_if /mnt/cyc
		cfs_remove cyc; wait_for 10 region_free 0' EXIT
	PIN=
	if [ "$1" = fsdax ]; then
		dev=$(cfs_device cyc 0 2G fsdax) || fail "create cyc"
		mkfs_dax ext4 "/dev/$dev" > /dev/null || fail mkfs
		mkdir -p /mnt/cyc
		mount -t ext4 -o dax "/dev/$dev" /mnt/cyc &&
			dd if=/dev/zero of=/mnt/cyc/f bs=1M count=2 status=none &&
			umount /mnt/cyc || fail "make the file"
		rmdir $C/cyc || fail "rmdir cyc"
		wait_for 10 region_free 0 || fail "extent not released after making the file"
	fi
	one_cycle "$@" 0	# warm-up: first-use allocations are not leaks
	before=$(memfree_kb)
	for n in $(seq "$CYCLES"); do
		one_cycle "$@" "$n"
	done
	after=$(memfree_kb)
	echo "MemFree before $before kB, after $CYCLES rounds $after kB"
	[ $((before - after)) -le $TOLERANCE_KB ] ||
		fail "MemFree dropped by $((before - after)) kB over $CYCLES rounds"
	[ "$(cat /sys/module/pmemu/refcnt)" = 0 ] || fail "module refcnt $(cat /sys/module/pmemu/refcnt)"
}

load_pmemu "ranges=$(pmemu_boot_ranges)" autocreate=0 || t_bail "modprobe pmemu autocreate=0 failed"
t_run "fsdax ext4: $CYCLES x create, map, pin, rmdir while mounted, release: no leak" cycles fsdax sweep
t_run "devdax sweep 2M: $CYCLES x create, map, pin, rmdir, release: no leak" cycles devdax sweep
t_run "devdax tracked 2M: $CYCLES x create, map, pin, rmdir, release: no leak" cycles devdax tracked
t_run "rmmod" unload_pmemu
t_done
