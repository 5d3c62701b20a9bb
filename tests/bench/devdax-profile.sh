#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench-vm: --mem 14G --cmdline memmap=3G!4G memmap=2G$8G memmap=2G$11G
# Guest side of the devdax populate profile (tests/bench/run): where the
# time of devdax-populate goes (populate 1 GiB, one byte per 4 KiB page,
# then munmap) for the in-tree device_dax on nd_e820's namespace and for
# pmemu's sweep and tracked, at 4K and 2M.  perf record samples the runs'
# tasks with the cpu-clock software event (no PMU under TCG) over REPS runs
# of dax_populate per configuration (ten times as many at 2M); the top
# symbols of each, with
# the populate and munmap medians of those runs, go to
# $OUT/devdax-profile.md (slower than devdax-populate: sampling costs
# under TCG; only the shares matter).  At 4K a second profile samples the
# munmap alone (perf enabled around it through --control), MUNMAP_RUNS
# runs per driver, with its top symbols.
BENCH_REPS=3
. "$(dirname "$0")/lib.sh"

TOP=24
MUNMAP_RUNS=$((REPS * 4))

command -v perf > /dev/null || die "perf not installed (linux-perf)"
modprobe -a nd_e820 nd_pmem dax_pmem device_dax || die "in-tree nvdimm/dax modules"
sleep 1
ndctl list -N | grep -q namespace0.0 || die "no namespace0.0 on memmap=!; boot with memmap=3G!4G"
load_pmemu "ranges=$(pmemu_boot_ranges)" autocreate=0 || die "modprobe pmemu"
echo -1 > /proc/sys/kernel/perf_event_paranoid
echo 0 > /proc/sys/kernel/kptr_restrict

# median FIELD: the median of FIELD (ns) over /tmp/runs.jsonl, in ms
median() {
	jq -s "map(.$1) | sort | .[length / 2 | floor] / 1e6 | round" /tmp/runs.jsonl
}

# report HEADING: HEADING and the top symbols of /tmp/perf.data
report() {
	{
		echo "### $1"
		echo
		perf_top /tmp/perf.data 0.5 $TOP
		echo
	} >> "$OUT/devdax-profile.md"
}

# profile LABEL ALIGN DEV RUNS: RUNS populate runs of DEV under perf, which
# samples the runs' own tasks (user and kernel), not the idle CPU
profile() {
	: > /tmp/runs.jsonl
	dax_populate "/dev/$3" 1G > /dev/null || die "dax_populate $3 (warm-up)"
	perf record -q -e cpu-clock -o /tmp/perf.data -- bash -c "
		for i in \$(seq $4); do dax_populate /dev/$3 1G >> /tmp/runs.jsonl || exit 1; done" ||
		die "perf/dax_populate $1 $2"
	report "$1, align $2: populate $(median populate_ns) ms, munmap $(median munmap_ns) ms (medians of $4, under perf)"
}

# profile_munmap LABEL DEV RUNS: RUNS populate runs of DEV, perf sampling
# only their munmap (dax_populate --perf-control enables it around the
# unmap and waits for perf's ack)
profile_munmap() {
	: > /tmp/runs.jsonl
	rm -f /tmp/perf.ctl /tmp/perf.ack
	mkfifo /tmp/perf.ctl /tmp/perf.ack || die "mkfifo"
	perf record -q -e cpu-clock -D -1 --control fifo:/tmp/perf.ctl,/tmp/perf.ack \
		-o /tmp/perf.data -- bash -c "
		for i in \$(seq $3); do
			dax_populate --perf-control /tmp/perf.ctl,/tmp/perf.ack /dev/$2 1G >> /tmp/runs.jsonl || exit 1
		done" || die "perf/dax_populate munmap $1"
	report "munmap only, $1, align 4K: munmap $(median munmap_ns) ms (median of $3, under perf)"
}

: > "$OUT/devdax-profile.md"
for align in 4K 2M; do
	ad=$(ndctl create-namespace -f -e namespace0.0 -m devdax -M mem -a $align |
		jq -r '.daxregion.devices[0].chardev') && [ -c "/dev/$ad" ] || die "device_dax at $align"
	sw=$(pmemuctl create-device --name sw --region 0 --size 2G --mode devdax --align $align \
		--lifetime sweep | jq -r .chardev) || die "pmemu sweep $align"
	tr=$(pmemuctl create-device --name tr --region 1 --size 2G --mode devdax --align $align \
		--lifetime tracked | jq -r .chardev) || die "pmemu tracked $align"
	# 2M populates in 1/30 of 4K's time: more runs for as many samples
	runs=$REPS
	[ $align = 2M ] && runs=$((REPS * 10))
	profile device_dax $align "$ad" $runs
	profile sweep $align "$sw" $runs
	profile tracked $align "$tr" $runs
	if [ $align = 4K ]; then
		profile_munmap device_dax "$ad" $MUNMAP_RUNS
		profile_munmap sweep "$sw" $MUNMAP_RUNS
		profile_munmap tracked "$tr" $MUNMAP_RUNS
	fi
	pmemuctl destroy-device sw && pmemuctl destroy-device tr || die "destroy sw, tr"
done
cat "$OUT/devdax-profile.md"
