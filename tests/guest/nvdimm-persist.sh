#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Persistence across power cycles on the NVDIMM backend: tests/check boots
# this twice with the same NVDIMM file (--nvdimm 2G:FILE), first with
# "write", then with "verify".
#
# write:  on pmemu's nfit region, ext4 -o dax (offset 0, 512 MiB), xfs -o
#         dax (512 MiB, 1 GiB) and devdax sweep 2M (1.5 GiB, 512 MiB) get
#         data written by fio with crc32c verification headers (files
#         through psync and mmap; devdax through mmap); the filesystems are
#         unmounted and the guest powers off.
# verify: the same devices are made on the same extents, the filesystems
#         mount, and fio verify_only checks every block's checksum and
#         header (offset, generation) on all three.
. "$(dirname "$0")/lib.sh"

C=/sys/kernel/config/pmemu
R=/sys/class/pmemu
STEP=${1:-}


# fio_data MODE TARGET ENGINE SIZE: MODE write lays data down, verify checks
# it; the same job both times (seeds are fixed), so verify_only can check.
fio_data() {
	local mode=$1 target=$2 engine=$3 size=$4 extra=()
	[ "$mode" = verify ] && extra=(--verify_only=1)
	fio --name=persist --filename="$target" --ioengine="$engine" --rw=write \
		--bs=64k --size="$size" --verify=crc32c --verify_fatal=1 \
		--do_verify=0 --randseed=4242 "${extra[@]}" --output=/tmp/fio.out ||
		{ cat /tmp/fio.out; fail "fio $mode $target"; }
}

devices() {
	local id
	id=$(region_with_source nfit) || { ls $R; fail "no nfit region"; }
	EXT4=$(cfs_device p-ext4 "$id" 512M fsdax offset=0) || exit 1
	XFS=$(cfs_device p-xfs "$id" 1G fsdax offset=512M) || exit 1
	DAX=$(cfs_device p-dax "$id" 512M devdax offset=1536M align=2M lifetime=sweep) || exit 1
}

# the data of all three devices: MODE write lays it down, verify checks it
all_data() {
	local fs
	for fs in ext4 xfs; do
		fio_data "$1" /mnt/p-$fs/psync psync 64M
		fio_data "$1" /mnt/p-$fs/mmap mmap 64M
	done
	fio_data "$1" "/dev/$DAX" mmap 256M
}

test_write() {
	devices
	mkfs_dax ext4 "/dev/$EXT4" > /dev/null || fail "mkfs.ext4"
	mkfs_dax xfs "/dev/$XFS" > /dev/null || fail "mkfs.xfs"
	mount_dax ext4 "/dev/$EXT4" /mnt/p-ext4
	mount_dax xfs "/dev/$XFS" /mnt/p-xfs
	all_data write
	umount /mnt/p-ext4 && umount /mnt/p-xfs || fail "umount"
}

test_verify() {
	devices
	mkdir -p /mnt/p-ext4 /mnt/p-xfs
	mount -t ext4 -o dax "/dev/$EXT4" /mnt/p-ext4 || fail "ext4 does not mount after the power cycle"
	mount -t xfs -o dax "/dev/$XFS" /mnt/p-xfs || fail "xfs does not mount after the power cycle"
	all_data verify
	umount /mnt/p-ext4 && umount /mnt/p-xfs || fail "umount"
}

load_pmemu "ranges=$(pmemu_boot_ranges)" autocreate=0 || exit 1
case "$STEP" in
write) t_run "NVDIMM: ext4, xfs and devdax data written with checksums" test_write ;;
verify) t_run "NVDIMM after a power cycle: ext4, xfs and devdax checksums intact" test_verify ;;
*) fail "usage: nvdimm-persist.sh write|verify" ;;
esac
for d in p-ext4 p-xfs p-dax; do
	echo 0 > $C/$d/enable 2> /dev/null
	rmdir $C/$d 2> /dev/null
done
t_run "rmmod" unload_pmemu
t_done
