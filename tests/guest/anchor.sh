#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# needs: legacy layout (what tests/check-local asks of a test machine)
# The legacy memmap=SIZE!START range and the in-tree stacks on it, each
# passing the jobs pmemu passes (keeps the comparison anchors alive):
# nd_e820 + nd_pmem; pmemu bound to the e820_pmem platform device through
# driver_override (fsdax, then devdax through pmemuctl) and handing it back;
# ramdax (6.19+) bound the same way: an nvdimm bus whose DIMM keeps
# namespace labels in the range's last 128 KiB, so ndctl creates fsdax and
# devdax namespaces at runtime and they are there again after a rebind.
. "$(dirname "$0")/lib.sh"
t_plan 6
. "$(dirname "$0")/fio-jobs.sh"

MNT=/mnt/dax
E820=$E820_PMEM

ext4_dax_job() {
	[ -b "$1" ] || fail "$1 is not a block device"
	mkfs_dax ext4 "$1" || fail "mkfs.ext4 $1"
	# fio_run ends the test on failure: unmount on every way out
	trap 'umount_if $MNT' EXIT
	mount_dax ext4 "$1" $MNT
	grep -q "^$1 $MNT ext4 " /proc/mounts || fail "$MNT is not $1"
	fio_fs_job $MNT psync 4k randwrite 64M
	fio_fs_job $MNT mmap 4k randwrite 64M
	umount $MNT || fail "umount $MNT"
	trap - EXIT
}

# wait_node PATH: PATH appears within 5 s.
wait_node() {
	wait_for 5 test -e "$1" || fail "$1 did not appear"
}

test_nd_pmem() {
	[ -e $E820 ] || fail "no e820_pmem platform device (memmap=!)"
	modprobe nd_e820 && modprobe nd_pmem || fail "modprobe nd_e820 nd_pmem"
	wait_node /dev/pmem0
	ext4_dax_job /dev/pmem0
}

# nd_e820's driver is also called e820_pmem.
ND_E820_DRV=/sys/bus/platform/drivers/e820_pmem

test_release_nd_pmem() {
	echo e820_pmem > $ND_E820_DRV/unbind || fail "unbind e820_pmem from nd_e820"
	[ ! -e $E820/driver ] || fail "e820_pmem still bound to $(readlink $E820/driver)"
	[ ! -e /dev/pmem0 ] || fail "/dev/pmem0 still present"
}

test_bind_pmemu() {
	modprobe pmemu || fail "modprobe pmemu (no ranges)"
	[ ! -e /dev/pmemu0 ] || fail "pmemu created a device without ranges="
	e820_bind pmemu || fail "bind e820_pmem to pmemu (driver_override)"
	[ "$(basename "$(readlink $E820/driver)")" = pmemu ] || fail "e820_pmem not bound to pmemu"
	wait_node /dev/pmemu0
	[ "$(size_bytes /dev/pmemu0)" = $((1 << 30)) ] || fail "unexpected size $(size_bytes /dev/pmemu0)"
	grep -q 'pmemu.region0' /proc/iomem || fail "legacy range not claimed by pmemu"
	ext4_dax_job /dev/pmemu0
}

# The same range through pmemu's control plane: no device at bind
# (autocreate=0), a devdax device made with pmemuctl, the devdax jobs.
test_pmemu_devdax() {
	local dev
	trap 'pmemuctl destroy-device --force ad > /dev/null 2>&1' EXIT
	echo e820_pmem > /sys/bus/platform/drivers/pmemu/unbind && rmmod pmemu &&
		modprobe pmemu autocreate=0 || fail "reload pmemu with autocreate=0"
	# driver_override still names pmemu: the new module binds it by itself
	wait_for 5 test -e $E820/driver || fail "e820_pmem not bound after modprobe pmemu"
	[ "$(basename "$(readlink $E820/driver)")" = pmemu ] || fail "e820_pmem bound to $(readlink $E820/driver)"
	[ ! -e /dev/pmemu0 ] || fail "a device with autocreate=0"
	pmemuctl create-device --region region0 --mode devdax --align 2M --size 512M \
		--name ad > /dev/null || fail "pmemuctl create-device devdax"
	dev=$(pmemuctl list -n ad | jq -r '.[0].chardev')
	fio_devdax_job /dev/$dev 256M
	pmemuctl destroy-device ad || fail "destroy ad"
}

test_give_back() {
	echo e820_pmem > /sys/bus/platform/drivers/pmemu/unbind || fail "unbind"
	[ ! -e /dev/pmemu0 ] || fail "/dev/pmemu0 left after unbind"
	grep -q pmemu /proc/iomem && fail "pmemu claim left after unbind"
	echo > $E820/driver_override || fail "clear driver_override"
	rmmod pmemu || fail "rmmod pmemu"
	echo e820_pmem > $ND_E820_DRV/bind || fail "bind e820_pmem to nd_e820 again"
	wait_node /dev/pmem0
	[ "$(size_bytes /dev/pmem0)" = $((1 << 30)) ] || fail "pmem0 has the wrong size"
}

RAMDAX_DRV=/sys/bus/platform/drivers/ramdax

# ns_create ARGS...: ndctl create-namespace on the ramdax region, its JSON
ns_create() {
	ndctl create-namespace -b ramdax -r "$RAMDAX_REGION" "$@" ||
		fail "ndctl create-namespace $*"
}

ramdax_bind() {
	RAMDAX_REGION=$(ramdax_region) || fail "bind e820_pmem to ramdax: no region on the ramdax bus"
}

# ramdax: the range (less its 128 KiB label area) is a region; ndctl
# carves an fsdax namespace (ext4 -o dax, the fio jobs) and a devdax one
# (the devdax jobs); after unbind and bind both are back from the labels;
# destroying them and unbinding gives the range back to nd_e820.
test_ramdax() {
	local j blk chr size
	trap 'ndctl destroy-namespace -f -b ramdax all > /dev/null 2>&1
		[ -e $E820/driver ] && echo e820_pmem > $E820/driver/unbind
		echo > $E820/driver_override; echo e820_pmem > $ND_E820_DRV/bind' EXIT
	modprobe -a ramdax nd_pmem dax_pmem device_dax || fail "modprobe ramdax (CONFIG_RAMDAX) nd_pmem dax_pmem device_dax"
	echo e820_pmem > $ND_E820_DRV/unbind || fail "unbind e820_pmem from nd_e820"
	ramdax_bind
	size=$(ndctl list -b ramdax -R | jq -r '.[0].size')
	[ "$size" = $((1 << 30)) ] || fail "ramdax region is $size bytes, not the 1 GiB range"
	j=$(ns_create -m fsdax -s 512M) && echo "$j"
	blk=$(jq -r .blockdev <<< "$j")
	ext4_dax_job /dev/$blk
	j=$(ns_create -m devdax -a 2M -s 256M) && echo "$j"
	chr=$(jq -r '.daxregion.devices[0].chardev' <<< "$j")
	fio_devdax_job /dev/$chr 128M
	echo e820_pmem > $RAMDAX_DRV/unbind || fail "unbind ramdax"
	[ ! -e /dev/$blk ] && [ ! -e /dev/$chr ] || fail "namespaces left after unbind"
	ramdax_bind
	[ "$(ndctl list -b ramdax -N | jq -r '[.[].mode] | sort | join(" ")')" = "devdax fsdax" ] ||
		fail "the namespaces did not come back from the labels: $(ndctl list -b ramdax -N)"
	ndctl destroy-namespace -f -b ramdax all || fail "destroy the namespaces"
	# ndctl lists nothing at all when there is no namespace
	[ -z "$(ndctl list -b ramdax -N)" ] || fail "namespaces left after destroy: $(ndctl list -b ramdax -N)"
	echo e820_pmem > $RAMDAX_DRV/unbind && echo > $E820/driver_override &&
		echo e820_pmem > $ND_E820_DRV/bind || fail "give the range back to nd_e820"
	trap - EXIT
	wait_node /dev/pmem0
	rmmod ramdax || fail "rmmod ramdax"
}

t_run "in-tree nd_pmem: ext4 -o dax fio psync+mmap verify" test_nd_pmem
t_run "release the legacy range from nd_pmem/nd_e820" test_release_nd_pmem
t_run "pmemu binds e820_pmem via driver_override: ext4 -o dax fio" test_bind_pmemu
t_run "pmemu on the same range, autocreate=0: pmemuctl devdax, fio mmap and dev-dax verify" test_pmemu_devdax
t_run "unbind from pmemu and give the range back to nd_e820" test_give_back
t_run "ramdax: ndctl fsdax (ext4 -o dax fio) and devdax (fio) namespaces, back from the labels after a rebind, range back to nd_e820" test_ramdax
t_done
