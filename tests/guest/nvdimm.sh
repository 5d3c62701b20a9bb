#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# needs: nvdimm layout (what tests/check-local asks of a test machine)
# The NVDIMM backend (boots with --nvdimm 2G and only memmap=2G$6G, so the
# NVDIMM is libnvdimm's region0 once nfit is loaded).
#
# Without nfit, pmemu finds the NVDIMM in the ACPI NFIT and makes a
# persistent region of it (source nfit): fsdax devices there advertise a
# write cache and FUA and the dax_device writes back cache lines, unlike on
# reserved RAM.  With nfit loaded, pmemu leaves the range alone and says
# who has it and how to get it.  pmemuctl claim-region takes libnvdimm's
# region0 (ndctl shows it disabled), pmemu formats and fills it, and after
# release-region ndctl shows it enabled again and the in-tree nd_pmem mounts
# the same ext4 with the same data.  Refused with a message and nothing
# changed: claiming a region whose namespace is mounted or enabled in
# devdax mode, an unknown or malformed region, releasing while a pmemu
# device uses it, add_region/remove_region with bad input.
. "$(dirname "$0")/lib.sh"
t_plan 7

C=/sys/kernel/config/pmemu
R=/sys/class/pmemu

# unloaded: on a failed test, the devices gone and pmemu unloaded as the
# next test expects.
unloaded() {
	umount_if /mnt/nv
	cfs_remove nv-fs nv-ram nv-rt
	grep -q '^pmemu ' /proc/modules && rmmod pmemu
	return 0
}

nd_state() {
	ndctl list -R -i -r region0 |
		jq -r 'if type == "array" then .[0] else . end | .state // "enabled"'
}

test_nfit_region() {
	local id dev
	trap unloaded EXIT
	dmesg_mark nfit-region
	load_pmemu "ranges=$(pmemu_boot_ranges)" autocreate=0 || fail "modprobe pmemu"
	id=$(region_with_source nfit) || { ls $R; fail "no region with source nfit"; }
	# the last 2 MiB hold the label area (docs/nvdimm.md, tests/guest/labels.sh)
	[ "$(cat $R/region$id/size)" = $(((2 << 30) - (2 << 20))) ] || fail "nfit region size $(cat $R/region$id/size)"
	[ "$(cat $R/region$id/labels)" = ok ] || fail "nfit region labels: $(cat $R/region$id/labels)"
	[ "$(cat $R/region0/labels)" = none ] || fail "reserved-RAM region labels: $(cat $R/region0/labels)"
	dmesg_since nfit-region | grep -q "region$id: .* from nfit (persistent" || fail "no persistent-region message"
	dev=$(cfs_device nv-fs "$id" 512M fsdax) || fail "create nv-fs"
	[ "$(cat /sys/block/$dev/queue/write_cache)" = "write back" ] ||
		fail "NVDIMM fsdax write_cache: $(cat /sys/block/$dev/queue/write_cache)"
	[ "$(cat /sys/block/$dev/queue/fua)" = 1 ] || fail "NVDIMM fsdax fua: $(cat /sys/block/$dev/queue/fua)"
	[ "$(cat /sys/block/$dev/dax/write_cache)" = 1 ] || fail "NVDIMM dax write_cache off"
	echo 0 > /sys/block/$dev/dax/write_cache && [ "$(cat /sys/block/$dev/dax/write_cache)" = 0 ] &&
		echo 1 > /sys/block/$dev/dax/write_cache && [ "$(cat /sys/block/$dev/dax/write_cache)" = 1 ] ||
		fail "dax/write_cache does not take 0 and 1"
	mkfs_dax ext4 "/dev/$dev" > /dev/null || fail mkfs
	mount_dax ext4 "/dev/$dev" /mnt/nv
	dd if=/dev/urandom of=/mnt/nv/f bs=1M count=8 conv=fsync status=none || fail "write+fsync"
	umount /mnt/nv || fail "umount /mnt/nv"
	echo 0 > $C/nv-fs/enable && rmdir $C/nv-fs || fail "destroy"
	# reserved RAM: nothing to flush
	dev=$(cfs_device nv-ram 0 512M fsdax) || fail "create nv-ram"
	[ "$(cat /sys/block/$dev/queue/write_cache)" = "write through" ] ||
		fail "RAM fsdax write_cache: $(cat /sys/block/$dev/queue/write_cache)"
	[ "$(cat /sys/block/$dev/dax/write_cache)" = 0 ] || fail "RAM dax write_cache on"
	expect_fail sh -c "echo 0 > $R/remove_region"	# a device is carved from it
	echo 0 > $C/nv-ram/enable && rmdir $C/nv-ram || fail "destroy"
	rmmod pmemu || fail "rmmod"
	load_pmemu "ranges=$(pmemu_boot_ranges)" autocreate=0 nvdimm=N || fail "modprobe nvdimm=N"
	region_with_source nfit && fail "nvdimm=N still read the NFIT"
	rmmod pmemu || fail "rmmod"
}

# Reserved RAM through /sys/class/pmemu/add_region and remove_region.
test_runtime_ram_region() {
	local id dev
	trap unloaded EXIT
	load_pmemu "ranges=$(pmemu_boot_ranges)" autocreate=0 || fail "modprobe pmemu"
	echo 0 > $R/remove_region || fail "remove_region 0"
	[ -e $R/region0 ] && fail "region0 still there"
	grep -q "^ *180000000-1ffffffff : pmemu" /proc/iomem && { grep pmemu /proc/iomem; fail "range still claimed"; }
	echo 2G@6G > $R/add_region || fail "add_region 2G@6G"
	id=$(region_with_source ranges) || fail "no region from add_region"
	[ "$(cat $R/region$id/size)" = $((2 << 30)) ] || fail "size $(cat $R/region$id/size)"
	dev=$(cfs_device nv-rt "$id" 64M fsdax) || fail "create nv-rt"
	[ -b "/dev/$dev" ] || fail "/dev/$dev is not a block device"
	dd if=/dev/zero of=/dev/$dev bs=1M count=8 oflag=direct status=none || fail "I/O"
	echo 0 > $C/nv-rt/enable && rmdir $C/nv-rt || fail "destroy"
	expect_fail sh -c "echo 2G@6G > $R/add_region"	# overlaps the region just made
	rmmod pmemu || fail "rmmod"
}

# With drivers_autoprobe=0 nothing binds a new platform device by itself;
# add_region still asks for a region, so pmemu probes its range device.
test_add_region_no_autoprobe() {
	local A=/sys/bus/platform/drivers_autoprobe
	trap 'echo 1 > $A; unloaded' EXIT
	load_pmemu "ranges=$(pmemu_boot_ranges)" autocreate=0 || fail "modprobe pmemu"
	echo 0 > $R/remove_region || fail "remove_region 0"
	echo 0 > $A || fail "drivers_autoprobe=0"
	echo 2G@6G > $R/add_region || fail "add_region 2G@6G with drivers_autoprobe=0"
	echo 1 > $A
	region_with_source ranges > /dev/null || fail "no region from add_region"
	rmmod pmemu || fail "rmmod"
}

test_nfit_owned() {
	modprobe -a nfit nd_pmem || fail "modprobe nfit nd_pmem"
	wait_for 10 test -b /dev/pmem0 || fail "no /dev/pmem0 from nfit"
	dmesg_mark owned
	load_pmemu "ranges=$(pmemu_boot_ranges)" autocreate=0 || fail "modprobe pmemu"
	region_with_source nfit && fail "pmemu took a range nfit owns"
	dmesg_since owned | grep -q "belongs to the nfit driver; 'pmemuctl claim-region" ||
		{ dmesg_since owned; fail "no message naming the owner"; }
}

# pmemuctl_refused EXIT WORDS ARGS...: fails with EXIT, stderr has WORDS,
# libnvdimm's region0 is as it was.
pmemuctl_refused() {
	local want=$1 words=$2 rc=0 before
	shift 2
	before=$(nd_state)
	pmemuctl "$@" > /tmp/out 2> /tmp/err || rc=$?
	[ "$rc" = "$want" ] || { cat /tmp/out /tmp/err; fail "exit $rc, want $want: $*"; }
	grep -q "$words" /tmp/err || { cat /tmp/err; fail "message lacks '$words': $*"; }
	[ "$(nd_state)" = "$before" ] || fail "region0 state changed: $*"
}

test_claim_refused() {
	trap 'umount_if /mnt/nd; dmsetup remove ndhold 2> /dev/null' EXIT
	[ -b /dev/pmem0 ] || fail "no /dev/pmem0"
	mkfs.ext4 -q -F /dev/pmem0 || fail "mkfs /dev/pmem0"
	mkdir -p /mnt/nd && mount /dev/pmem0 /mnt/nd || fail "mount /dev/pmem0"
	pmemuctl_refused 1 "namespace0.0 is in use" claim-region --ndctl-region region0
	umount /mnt/nd || fail "umount /mnt/nd"
	# not mounted, but under a device-mapper target
	dmsetup create ndhold --table "0 $(blockdev --getsz /dev/pmem0) linear /dev/pmem0 0" ||
		fail "dmsetup create over /dev/pmem0"
	pmemuctl_refused 1 "namespace0.0 is in use" claim-region --ndctl-region region0
	dmsetup remove ndhold || fail "dmsetup remove ndhold"
	pmemuctl_refused 1 "no libnvdimm region region9" claim-region --ndctl-region region9
	pmemuctl_refused 2 "not a region name" claim-region --ndctl-region namespace0.0
	pmemuctl_refused 2 "required" claim-region
	pmemuctl_refused 1 "no region on" release-region --ndctl-region region0
	ndctl create-namespace -f -e namespace0.0 -m devdax > /dev/null || fail "devdax namespace"
	pmemuctl_refused 1 "devdax mode" claim-region --ndctl-region region0
	ndctl create-namespace -f -e namespace0.0 -m raw > /dev/null || fail "raw namespace"
	# the kernel side: malformed and unusable ranges
	expect_fail sh -c "echo garbage > $R/add_region"
	expect_fail sh -c "echo 2G@0x7 > $R/add_region"
	expect_fail sh -c "echo 99 > $R/remove_region"
	region_with_source ndctl && fail "a pmemu region appeared"
	return 0
}

test_claim_release_round_trip() {
	local json id dev sum
	trap 'umount_if /mnt/nv /mnt/nd; cfs_remove nv-claim' EXIT
	wait_for 10 test -b /dev/pmem0 || fail "no /dev/pmem0"
	[ "$(nd_state)" = enabled ] || fail "region0 not enabled before"
	json=$(pmemuctl claim-region --ndctl-region region0) || fail "claim-region"
	echo "$json"
	[ "$(jq -r .source <<< "$json")" = ndctl ] || fail "claimed region source: $json"
	id=$(jq -r .id <<< "$json")
	[ "$(nd_state)" = disabled ] || fail "ndctl region0 state $(nd_state) after claim"
	[ -e /dev/pmem0 ] && fail "/dev/pmem0 still there"
	# a second claim changes nothing: libnvdimm's region stays disabled
	pmemuctl_refused 1 "already pmemu's region$id" claim-region --ndctl-region region0
	# pmemu formats it and writes data (fsdax over all but the label
	# area, map=mem)
	dev=$(cfs_device nv-claim "$id" 0 fsdax offset=0) || fail "create nv-claim"
	mkfs.ext4 -q -F "/dev/$dev" || fail "mkfs"
	mount_dax ext4 "/dev/$dev" /mnt/nv
	dd if=/dev/urandom of=/mnt/nv/data bs=1M count=16 conv=fsync status=none || fail "write"
	sum=$(set -o pipefail; sha256sum < /mnt/nv/data) || fail "read /mnt/nv/data"
	umount /mnt/nv || fail "umount /mnt/nv"
	pmemuctl_refused 1 "busy" release-region --ndctl-region region0
	echo 0 > $C/nv-claim/enable && rmdir $C/nv-claim || fail "destroy"
	pmemuctl release-region --ndctl-region region0 || fail "release-region"
	region_with_source ndctl && fail "pmemu region still there"
	[ "$(nd_state)" = enabled ] || fail "ndctl region0 state $(nd_state) after release"
	wait_for 10 test -b /dev/pmem0 || fail "no /dev/pmem0 after release"
	mkdir -p /mnt/nd && mount /dev/pmem0 /mnt/nd || fail "nd_pmem cannot mount what pmemu wrote"
	[ "$(sha256sum < /mnt/nd/data)" = "$sum" ] || fail "data differs under nd_pmem"
	umount /mnt/nd || fail "umount /mnt/nd"
}

t_run "no nfit driver: the NFIT range is a persistent region (write cache, FUA, dax flush)" test_nfit_region
t_run "add_region/remove_region: reserved RAM given back and taken again at runtime" test_runtime_ram_region
t_run "add_region with drivers_autoprobe=0: the region is made" test_add_region_no_autoprobe
t_run "nfit loaded: the range is left alone, the message names the owner and the way" test_nfit_owned
t_run "claim-region/release-region and add_region/remove_region refuse bad requests, nothing changed" test_claim_refused
t_run "claim-region -> pmemu ext4 -> release-region: ndctl state restored, nd_pmem reads the data" test_claim_release_round_trip
t_run "rmmod" unload_pmemu
t_done
