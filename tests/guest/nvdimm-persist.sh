#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# needs: nvdimm reboot layout (what tests/check-local asks of a test machine)
# Persistence across power cycles on the NVDIMM backend: tests/check boots
# this twice with the same NVDIMM file (--nvdimm 2G:FILE), first with
# "write", then with "verify"; each boot has its own plan.
#
# write:  on pmemu's nfit region, ext4 -o dax (offset 0, 512 MiB), xfs -o
#         dax (512 MiB, 1 GiB) and devdax sweep 2M (1.5 GiB, 510 MiB: the
#         last 2 MiB hold the label area) get
#         data written by fio with crc32c verification headers (files
#         through psync and mmap; devdax through mmap); the filesystems are
#         unmounted and the guest powers off.
# verify: the same devices are made on the same extents, the filesystems
#         mount, and fio (verify_only=1 with do_verify=1: the write job's
#         blocks are read back, not written) checks every block's checksum
#         and header on all three; fio must report having read all of it.
#         Then the self-check: one block corrupted on each device (through
#         the filesystem, or through a mapping of the devdax device) must
#         make the same verify fail, or the verify proves nothing.
. "$(dirname "$0")/lib.sh"

STEP=${1:-}
case "$STEP" in
write) t_plan 2 ;;
verify) t_plan 5 ;;
*) t_plan 1; t_bail "usage: nvdimm-persist.sh write|verify" ;;
esac

R=/sys/class/pmemu
# a block in the middle of each data set, corrupted by the self-check
BAD_BLOCK=100

# fio_job MODE TARGET ENGINE SIZE: the one job of both boots (fixed seed,
# sequential 64 KiB blocks with crc32c headers).  MODE write lays the data
# down (and reads it back once); MODE verify only reads and checks it.
# fio's report goes to /tmp/fio.json, its messages to /tmp/fio.err.
fio_job() {
	local mode=$1 target=$2 engine=$3 size=$4 extra=()
	[ "$mode" = verify ] && extra=(--verify_only=1)
	fio --name=persist --filename="$target" --ioengine="$engine" --rw=write \
		--bs=64k --size="$size" --verify=crc32c --verify_fatal=1 \
		--do_verify=1 --verify_state_save=0 --randseed=4242 "${extra[@]}" \
		--output-format=json --output=/tmp/fio.json 2> /tmp/fio.err
}

# fio_data MODE TARGET ENGINE SIZE: fio_job must pass; in verify mode fio
# must have read every byte back.
fio_data() {
	local mode=$1 target=$2 size=$4 bytes read
	fio_job "$@" || { cat /tmp/fio.err /tmp/fio.json; fail "fio $mode $target"; }
	bytes=$(numfmt --from=iec "$size")
	read=$(jq '.jobs[0].read.io_bytes' /tmp/fio.json) || { cat /tmp/fio.json; fail "fio $mode $target: no report"; }
	echo "fio $mode $target: read back $read of $bytes bytes"
	[ "$read" = "$bytes" ] || fail "fio $mode $target read $read bytes, expected $bytes: not every block was checked"
}

# verify_fails TARGET ENGINE SIZE: the same verify of a corrupted TARGET
# must fail, with fio naming the bad block's checksum.
verify_fails() {
	local target=$1 off=$((BAD_BLOCK * 65536))
	if fio_job verify "$@"; then
		cat /tmp/fio.err
		fail "fio verify passed on $target with block $BAD_BLOCK corrupted"
	fi
	cat /tmp/fio.err
	grep -q "crc32c: verify failed at file $target offset $off" /tmp/fio.err ||
		fail "fio failed on $target, but not with a crc32c verify failure at offset $off"
}

devices() {
	local id
	id=$(region_with_source nfit) || { ls $R; fail "no nfit region"; }
	EXT4=$(cfs_device p-ext4 "$id" 512M fsdax offset=0) || fail "create p-ext4"
	XFS=$(cfs_device p-xfs "$id" 1G fsdax offset=512M) || fail "create p-xfs"
	DAX=$(cfs_device p-dax "$id" 510M devdax offset=1536M align=2M lifetime=sweep) || fail "create p-dax"
}

# undo: a test's clean-up (also on failure): nothing mounted, no device.
undo() {
	umount_if /mnt/p-ext4 /mnt/p-xfs
	cfs_remove p-ext4 p-xfs p-dax
}

# mount_old FS DEV: mount the filesystem the write boot made, with DAX on.
mount_old() {
	mkdir -p "/mnt/p-$1"
	mount -t "$1" -o dax "/dev/$2" "/mnt/p-$1" || fail "$1 does not mount after the power cycle"
	require_dax_mount "/mnt/p-$1" "$1"
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
	trap undo EXIT
	devices
	mkfs_dax ext4 "/dev/$EXT4" > /dev/null || fail "mkfs.ext4"
	mkfs_dax xfs "/dev/$XFS" > /dev/null || fail "mkfs.xfs"
	mount_dax ext4 "/dev/$EXT4" /mnt/p-ext4
	mount_dax xfs "/dev/$XFS" /mnt/p-xfs
	all_data write
	umount /mnt/p-ext4 && umount /mnt/p-xfs || fail "umount"
}

test_verify() {
	trap undo EXIT
	devices
	mount_old ext4 "$EXT4"
	mount_old xfs "$XFS"
	all_data verify
	umount /mnt/p-ext4 && umount /mnt/p-xfs || fail "umount"
}

# corrupt_file FILE: 16 random bytes into block BAD_BLOCK of FILE, past its
# header (the checksum covers them), through the filesystem.
corrupt_file() {
	dd if=/dev/urandom of="$1" bs=1 count=16 seek=$((BAD_BLOCK * 65536 + 1000)) \
		conv=notrunc,fsync status=none || fail "corrupt $1"
}

# self_check_fs FS DEV: a corrupted block in each fio file fails the verify.
self_check_fs() {
	local fs=$1 f
	trap undo EXIT
	devices
	mount_old "$fs" "$(eval echo "\$${fs^^}")"
	for f in psync mmap; do
		corrupt_file "/mnt/p-$fs/$f"
		verify_fails "/mnt/p-$fs/$f" "$f" 64M
	done
	umount "/mnt/p-$fs" || fail "umount"
}

# the devdax device has no write(): corrupt the block through a mapping
# (2 MiB-aligned, as the device's align requires)
self_check_devdax() {
	local off=$((BAD_BLOCK * 65536))
	trap undo EXIT
	devices
	python3 - "/dev/$DAX" "$off" <<'PY' || fail "corrupt /dev/$DAX through a mapping"
import mmap, os, sys
off = int(sys.argv[2])
base = off & ~((2 << 20) - 1)
fd = os.open(sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, 2 << 20, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE, offset=base)
i = off - base + 1000
m[i:i + 16] = bytes(b ^ 0xff for b in m[i:i + 16])
m.close()
os.close(fd)
PY
	verify_fails "/dev/$DAX" mmap 256M
}

load_pmemu "ranges=$(pmemu_boot_ranges)" autocreate=0 || t_bail "modprobe pmemu autocreate=0 failed"
case "$STEP" in
write)
	t_run "NVDIMM: ext4, xfs and devdax data written with checksums" test_write
	;;
verify)
	t_run "NVDIMM after a power cycle: ext4, xfs and devdax checksums intact (every block read back)" test_verify
	t_run "self-check: a corrupted block of each ext4 file fails the verify" self_check_fs ext4
	t_run "self-check: a corrupted block of each xfs file fails the verify" self_check_fs xfs
	t_run "self-check: a block corrupted through a devdax mapping fails the verify" self_check_devdax
	;;
esac
t_run "rmmod" unload_pmemu
t_done
