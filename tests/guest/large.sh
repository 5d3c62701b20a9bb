#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# needs: nvdimm layout (what tests/check-local asks of a test machine)
# Large devices (boots with a sparse 132 GiB NVDIMM, tests/check): a
# tracked 4K devdax device over all of it has 34.6 million folios, whose
# "initialised" bitmap is over 4 MiB, more than one physically contiguous
# allocation can give.
. "$(dirname "$0")/lib.sh"
t_plan 2

C=/sys/kernel/config/pmemu

test_tracked_4k_large() {
	local r size dev
	trap 'cfs_remove big' EXIT
	r=$(region_with_source nfit) || fail "no region from the NVDIMM"
	size=$(cat /sys/class/pmemu/region$r/size)
	[ "$size" -gt $((128 << 30)) ] || fail "region$r is $size bytes, not over 128 GiB"
	dev=$(cfs_device big "$r" 0 devdax align=4K lifetime=tracked map=mem) ||
		fail "create big"
	[ -c "/dev/$dev" ] || fail "no /dev/$dev"
	echo "/dev/$dev: $size bytes, $((size / 4096)) tracked 4K folios"
	# the first touch initialises a folio and takes a pgmap reference
	dax_populate "/dev/$dev" 4096 || fail "touch the first page"
	cfs_remove big
	wait_for 60 region_free "$r" || fail "region$r not free after disable"
}

load_pmemu "ranges=$(pmemu_boot_ranges)" autocreate=0 || t_bail "modprobe pmemu"
t_run "devdax tracked 4K over 132 GiB: created, a page faults in, drains" test_tracked_4k_large
t_run "rmmod" unload_pmemu
t_done
