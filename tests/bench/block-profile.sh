#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of the raw block profile (tests/bench/run): where the time of
# a 1M sequential read and write goes on pmemu, the in-tree nd_pmem and brd
# (the rows where pmemu trails brd in block.sh).  perf record samples every
# CPU with the cpu-clock software event (no PMU under TCG) while fio runs
# for RUNTIME seconds per device; the top kernel symbols of each go to
# $OUT/block-profile.md, with fio's bandwidth (lower than in block.sh:
# sampling every CPU costs a lot under TCG; only the shares matter).
. "$(dirname "$0")/lib.sh"

RUNTIME=${PMEMU_TEST_BENCH_RUNTIME:-5}
TOP=8

command -v perf > /dev/null || die "perf not installed (linux-perf)"
modprobe -a nd_e820 nd_pmem || die "nd_pmem"
modprobe brd rd_nr=1 rd_size=$((2 << 20)) || die "brd"
load_pmemu "ranges=$(pmemu_boot_ranges)" || die "modprobe pmemu"
sleep 1
declare -A DEV=([pmemu]=/dev/pmemu0 [nd_pmem]=/dev/pmem0 [brd]=/dev/ram0)
dd if=/dev/zero of=/dev/ram0 bs=1M count=2048 oflag=direct status=none
echo -1 > /proc/sys/kernel/perf_event_paranoid
echo 0 > /proc/sys/kernel/kptr_restrict

{
	echo "CPU flags that choose the copy routines: $(grep -o -w -E 'erms|fsrm|fsrs|rep_good' /proc/cpuinfo | sort -u | tr '\n' ' ')"
	echo
} > "$OUT/block-profile.md"
for rw in read write; do
	for label in pmemu nd_pmem brd; do
		perf record -q -a -e cpu-clock -o /tmp/perf.data -- \
			fio --output-format=json --name=p --filename="${DEV[$label]}" \
			--ioengine=psync --rw=$rw --bs=1m --size=2G --direct=1 \
			--time_based --runtime="$RUNTIME" > /tmp/fio.json 2> /dev/null ||
			die "perf/fio $label $rw"
		bw=$(jq '.jobs[0] | (.read.bw + .write.bw) / 1024 | round' /tmp/fio.json)
		{
			echo "### $label, psync $rw 1M: $bw MiB/s"
			echo
			perf_top /tmp/perf.data 2 $TOP
			echo
		} >> "$OUT/block-profile.md"
	done
done
cat "$OUT/block-profile.md"
