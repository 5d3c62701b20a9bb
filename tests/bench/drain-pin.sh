#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench-vm: --mem 22G --cmdline memmap=17G$4G
# Guest side of the drain-pin benchmark (tests/bench/run): the CPU a
# device's teardown uses while one page of it stays pinned.  A 16 GiB
# device keeps one page in a pipe (pin_hold) for HOLD seconds (60): devdax
# sweep and tracked at 4K taken away by disable + rmdir (the drain waits
# for the page), fsdax with ext4 -o dax taken away by unbinding its
# platform device while mounted (the unpublish waits for the pin).  The
# guest's CPU time over that window (/proc/stat, every CPU, user + system +
# irq + softirq) is compared with the same window with the pin held and the
# device live.  Samples in $OUT/drain-pin.jsonl, the table in drain-pin.md.
BENCH_REPS=1
. "$(dirname "$0")/lib.sh"

C=/sys/kernel/config/pmemu
PDRV=/sys/bus/platform/drivers/pmemu
HOLD=${PMEMU_TEST_BENCH_HOLD:-60}
PID=

# busy_ticks: CPU ticks spent other than idle and iowait, every CPU
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }

# window: the busy ticks of HOLD seconds from now
window() {
	local t0
	t0=$(busy_ticks)
	sleep "$HOLD"
	echo $(($(busy_ticks) - t0))
}

# pin FILE: pin_hold on FILE's first page, waiting for "pinned" (PID)
pin() {
	pin_hold "$1" 4096 > /tmp/pin.out 2>&1 &
	PID=$!
	wait_for 30 grep -q pinned /tmp/pin.out || die "pin_hold: $(cat /tmp/pin.out)"
}

release() {
	kill -USR1 "$PID" && wait "$PID" || die "pin_hold did not release"
}

# record LABEL LIVE DRAINING: one sample
record() {
	printf '{"label":"%s","hold_s":%d,"live_ticks":%d,"draining_ticks":%d,"hz":%d}\n' \
		"$1" "$HOLD" "$2" "$3" "$(getconf CLK_TCK)" >> "$OUT/drain-pin.jsonl"
}

devdax_case() {
	local lt=$1 dev live drain
	mkdir $C/t && echo 0 > $C/t/region && echo 16G > $C/t/size &&
		echo devdax > $C/t/mode && echo 4K > $C/t/align &&
		echo "$lt" > $C/t/lifetime && echo 1 > $C/t/enable || die "create $lt"
	dev=$(cat $C/t/dev)
	pin "/dev/$dev"
	live=$(window)
	echo 0 > $C/t/enable && rmdir $C/t || die "take $dev away"
	drain=$(window)
	release
	wait_for 60 region_free 0 || die "$dev did not drain"
	record "devdax-$lt-4K" "$live" "$drain"
}

fsdax_case() {
	local dev live drain pdev
	mkdir $C/t && echo 0 > $C/t/region && echo 16G > $C/t/size &&
		echo fsdax > $C/t/mode && echo 1 > $C/t/enable || die "create fsdax"
	dev=$(cat $C/t/dev)
	mkfs.ext4 -q -F "/dev/$dev" && mkdir -p /mnt/b && mount -o dax "/dev/$dev" /mnt/b &&
		head -c 2M /dev/zero > /mnt/b/f && sync || die "ext4 -o dax on $dev"
	pin /mnt/b/f
	live=$(window)
	pdev=$(basename "$(readlink -f /sys/class/pmemu/region0/device)")
	echo "$pdev" > $PDRV/unbind || die "unbind $pdev"
	drain=$(window)
	release
	record "fsdax-unbind" "$live" "$drain"
	umount /mnt/b || die "umount"
	# the range is released once the unpublished device has drained
	wait_for 60 bash -c "echo $pdev > $PDRV/bind 2> /dev/null" || die "bind $pdev"
	rmdir $C/t
}

load_pmemu "ranges=$(pmemu_boot_ranges)" autocreate=0 || die "modprobe pmemu"
: > "$OUT/drain-pin.jsonl"
for rep in $(seq "$REPS"); do
	devdax_case sweep
	devdax_case tracked
	fsdax_case
done

bench_jq "$OUT/drain-pin.jsonl" '
  group_by(.label) | map({
    label: .[0].label, hold: .[0].hold_s, hz: .[0].hz,
    live: (map(.live_ticks) | median), drain: (map(.draining_ticks) | median)
  }) |
  (["| device | CPU ms over \(.[0].hold) s, pin held, device live | taken away, draining | drain cost, % of one CPU |",
    "|---|---|---|---|"] +
   map("| \(.label) | \(.live * 1000 / .hz | round) | \(.drain * 1000 / .hz | round) | \(((.drain - .live) * 100 / .hz / .hold) | r2) |"))
  | .[]' > "$OUT/drain-pin.md" || die "summary"
cat "$OUT/drain-pin.md"
