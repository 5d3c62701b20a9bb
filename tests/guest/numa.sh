#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# needs: numa nvdimm layout (what tests/check-local asks of a test machine)
# NUMA placement: a region's struct pages (its Device zone) and block queue
# are allocated on the node the firmware puts its range in, whichever CPU
# creates the device.  Runs in a 2-node guest (tests/check: --numa 2) with
# one reserved range in each node and an NVDIMM in node 1, which the
# reserved-RAM tests leave out (nvdimm=N).
. "$(dirname "$0")/lib.sh"
t_plan 4

# device_zone_pages NODE: pages spanned by NODE's Device zone.  The kernel
# prints no start_pfn for it (nothing present), and its span grows as
# devices are added but need not shrink when they go: tests look at which
# node's span grows.
device_zone_pages() {
	awk -v node="Node $1," '
		$1 " " $2 == node && $4 == "Device" { dev = 1; next }
		dev && $1 == "spanned" { print $2; exit }
		/^Node/ { dev = 0 }' /proc/zoneinfo
}

# check_node REGION NODE PAGES OTHER_BEFORE: NODE's Device zone spans at
# least PAGES, and the other node's span is still OTHER_BEFORE.
check_node() {
	local other=$((1 - $2)) mine theirs
	mine=$(device_zone_pages "$2")
	theirs=$(device_zone_pages $other)
	echo "$1 ($3 pages): node $2 Device zone spans $mine pages, node $other $theirs (before: $4)"
	[ "$theirs" = "$4" ] ||
		fail "$1 is on node $2 but node $other's Device zone grew: its struct pages went to the creating CPU's node"
	[ "$mine" -ge "$3" ] ||
		fail "$1 is on node $2 but node $2's Device zone spans only $mine pages"
	return 0
}

# first_cpu NODE: the lowest-numbered CPU of NODE.
first_cpu() {
	sed 's/[-,].*//' "/sys/devices/system/node/node$1/cpulist"
}

# region_of_node NODE: the pmemu region whose range the firmware puts in NODE.
region_of_node() {
	local r
	for r in /sys/class/pmemu/region*; do
		[ "$(cat "$r/numa_node")" = "$1" ] && { basename "$r"; return 0; }
	done
	return 1
}

# two_nodes_problem: why this is not a 2-node guest with a CPU on each node
# and no Device zone yet; nothing if it is.
two_nodes_problem() {
	local n
	for n in 0 1; do
		[ -d /sys/devices/system/node/node$n ] || { echo "no NUMA node $n"; return; }
		[ -n "$(cat /sys/devices/system/node/node$n/cpulist)" ] ||
			{ echo "node $n has no CPU"; return; }
	done
	[ -e /sys/devices/system/node/node2 ] && { echo "more than 2 nodes"; return; }
	[ "$(device_zone_pages 0) $(device_zone_pages 1)" = "0 0" ] ||
		echo "a Device zone spans pages before pmemu is loaded"
}

# test_create_from CPU NODE: load pmemu on CPU (of the other node) with
# only NODE's range (the boot's ranges are in node order); the fsdax device
# made at load has its struct pages in NODE's Device zone.
test_create_from() {
	local cpu=$1 node=$2 region before range
	trap 'unload_pmemu' EXIT
	range=$(pmemu_boot_ranges | cut -d, -f$((node + 1)))
	before=$(device_zone_pages $((1 - node)))
	taskset -c "$cpu" modprobe pmemu "ranges=$range" nvdimm=N || fail "modprobe pmemu on CPU $cpu"
	region=$(region_of_node "$node") || fail "region of $range does not report numa_node $node"
	[ -b /dev/pmemu0 ] || fail "no /dev/pmemu0"
	check_node "$region" "$node" 262144 "$before"
}

# test_configfs_from CPU NODE: a devdax device configfs creates in NODE's
# region, enabled from CPU (of the other node), has its struct pages in
# NODE's Device zone.
test_configfs_from() {
	local cpu=$1 node=$2 region before d=/sys/kernel/config/pmemu/numa
	trap 'cfs_remove numa; unload_pmemu' EXIT
	load_pmemu "ranges=$(pmemu_boot_ranges)" autocreate=0 nvdimm=N ||
		fail "modprobe pmemu autocreate=0"
	region=$(region_of_node "$node") || fail "no region reports numa_node $node"
	mkdir $d && echo "${region#region}" > $d/region && echo 256M > $d/size &&
		echo devdax > $d/mode || fail "configure numa"
	before=$(device_zone_pages $((1 - node)))
	taskset -c "$cpu" sh -c "echo 1 > $d/enable" || fail "enable numa on CPU $cpu"
	check_node "$region" "$node" 65536 "$before"
}

# test_nvdimm_from CPU: load pmemu on CPU (of node 0) with only the NFIT
# range, an NVDIMM QEMU puts in node 1 (its SRAT proximity domain): the
# region reports node 1 and its fsdax device's struct pages are there.
test_nvdimm_from() {
	local cpu=$1 region before
	trap 'unload_pmemu' EXIT
	before=$(device_zone_pages 0)
	taskset -c "$cpu" modprobe pmemu || fail "modprobe pmemu on CPU $cpu"
	region=$(region_of_node 1) || fail "the NVDIMM region does not report numa_node 1"
	[ "$(cat /sys/class/pmemu/$region/source)" = nfit ] || fail "$region is not the NVDIMM's"
	check_node "$region" 1 262144 "$before"
}

problem=$(two_nodes_problem)
[ -z "$problem" ] || t_bail "not a 2-node guest (tests/vm/vm --numa 2): $problem"
# First, while both Device zones are empty: a span that grew in an earlier
# test would hide pages put on the wrong node here.
t_run "configfs devdax enabled on node 0: its pages are on node 1" \
	test_configfs_from "$(first_cpu 0)" 1
t_run "modprobe on node 1: the node 0 region's pages are on node 0" \
	test_create_from "$(first_cpu 1)" 0
t_run "modprobe on node 0: the node 1 region's pages are on node 1" \
	test_create_from "$(first_cpu 0)" 1
t_run "modprobe on node 0: the node 1 NVDIMM's region and pages are on node 1" \
	test_nvdimm_from "$(first_cpu 0)"
t_done
