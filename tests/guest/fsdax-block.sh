#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# needs: 2x2G (what tests/check-local asks of a test machine)
# Raw block device tests: /dev/pmemuN appears with DAX, fio with crc32c
# verification through psync, libaio and io_uring (4K random, 1M sequential),
# write-zeroes, data that survives rmmod + modprobe of the same range, and a
# partition table read when the device appears.
. "$(dirname "$0")/lib.sh"
t_plan 12

test_devices() {
	load_pmemu || fail "modprobe pmemu ranges=$(pmemu_boot_ranges)"
	local n=0 r size
	for r in $(pmemu_boot_ranges | tr ',' ' '); do
		size=$(numfmt --from=iec "${r%@*}")
		[ -b /dev/pmemu$n ] || fail "/dev/pmemu$n missing"
		[ "$(size_bytes /dev/pmemu$n)" = "$size" ] ||
			fail "/dev/pmemu$n is $(size_bytes /dev/pmemu$n) bytes, expected $size"
		[ "$(cat /sys/block/pmemu$n/queue/dax)" = 1 ] || fail "pmemu$n: queue/dax is not 1"
		[ "$(cat /sys/block/pmemu$n/queue/write_cache)" = "write through" ] ||
			fail "pmemu$n: a write cache is advertised"
		n=$((n + 1))
	done
	grep -q 'pmemu.region0' /proc/iomem || fail "region0 not claimed in /proc/iomem"
}

# fio_raw ENGINE RW BS SIZE: write with crc32c checksums, then verify them.
fio_raw() {
	local depth=1
	[ "$1" = psync ] || depth=16
	# without the device fio would write a regular file in /dev
	[ -b /dev/pmemu0 ] || fail "/dev/pmemu0 is not a block device"
	fio_run --name="raw-$1-$2-$3" --filename=/dev/pmemu0 --direct=1 \
		--ioengine="$1" --iodepth=$depth --rw="$2" --bs="$3" --size="$4" \
		--verify=crc32c --verify_fatal=1 --randrepeat=0
}

test_write_zeroes() {
	local dev=/dev/pmemu1 len=$((64 << 20))
	ensure_pmemu || fail "modprobe pmemu"
	[ -b $dev ] || fail "$dev is not a block device"
	dd if=/dev/urandom of=$dev bs=1M count=64 oflag=direct status=none || fail "write random data"
	# the range must hold something other than zeroes before it is zeroed
	cmp -s -n $len $dev /dev/zero && fail "random data did not reach $dev"
	blkdiscard -z -o 0 -l $len $dev || fail "BLKZEROOUT failed"
	cmp -n $len $dev /dev/zero || fail "range not zero after write-zeroes"
}

# One WRITE_ZEROES bio is zeroed in one go by the submitting task: the
# driver bounds it (the block layer splits a larger request), so no single
# bio ties up a CPU for seconds.
test_write_zeroes_bounded() {
	local dev=/dev/pmemu1 q=/sys/block/pmemu1 max size before after
	ensure_pmemu || fail "modprobe pmemu"
	[ -b $dev ] || fail "$dev is not a block device"
	max=$(cat $q/queue/write_zeroes_max_bytes)
	[ "$max" -gt 0 ] && [ "$max" -le $((64 << 20)) ] ||
		fail "write_zeroes_max_bytes is $max, not within 64 MiB"
	size=$(size_bytes $dev)
	# field 5 of stat: write requests completed (zeroes count as writes)
	trap "echo $(cat $q/queue/iostats) > $q/queue/iostats" EXIT
	echo 1 > $q/queue/iostats || fail "turn on I/O accounting"
	before=$(awk '{ print $5 }' $q/stat)
	blkdiscard -z $dev || fail "BLKZEROOUT of $size bytes failed"
	after=$(awk '{ print $5 }' $q/stat)
	echo "BLKZEROOUT of $size bytes: $((after - before)) write bios of at most $max bytes"
	[ $((after - before)) -ge $((size / max)) ] ||
		fail "$((after - before)) bios zeroed $size bytes: more than $max bytes each"
}

test_persist_across_reload() {
	local dev=/dev/pmemu1 sum1 sum2
	[ -b $dev ] || fail "$dev is not a block device"
	dd if=/dev/urandom of=$dev bs=1M count=96 seek=100 oflag=direct status=none ||
		fail "write random data"
	sum1=$(set -o pipefail; dd if=$dev bs=1M count=96 skip=100 iflag=direct status=none | sha256sum) ||
		fail "read back before rmmod"
	rmmod pmemu || fail "rmmod pmemu"
	[ ! -e $dev ] || fail "$dev still present after rmmod"
	grep -q pmemu /proc/iomem && fail "pmemu still in /proc/iomem after rmmod"
	load_pmemu || fail "reload"
	[ -b $dev ] || fail "$dev is not a block device after the reload"
	sum2=$(set -o pipefail; dd if=$dev bs=1M count=96 skip=100 iflag=direct status=none | sha256sum) ||
		fail "read back after the reload"
	[ "$sum1" = "$sum2" ] || fail "data changed across rmmod/modprobe: $sum1 vs $sum2"
}

# le32 N: N as 4 little-endian bytes, in printf escapes.
le32() {
	printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) \
		$(($1 >> 16 & 255)) $(($1 >> 24 & 255))
}

# mbr_one_partition DEV START SECTORS: a DOS label with one Linux partition.
mbr_one_partition() {
	{
		head -c 446 /dev/zero
		# not bootable, CHS unused, type 0x83, LBA start and length
		printf '\x00\xff\xff\xff\x83\xff\xff\xff'
		printf "$(le32 "$2")$(le32 "$3")"
		head -c 48 /dev/zero
		printf '\x55\xaa'
	} | dd of="$1" bs=512 count=1 iflag=fullblock oflag=direct status=none
}

# The kernel scans the partition table while it adds the disk, before the
# device is live; an open refused then makes it skip the scan silently.
test_partitions_scanned_at_add() {
	local dev=/dev/pmemu1 part=/sys/block/pmemu1/pmemu1p1
	ensure_pmemu || fail "modprobe pmemu"
	[ -b $dev ] || fail "$dev is not a block device"
	trap "dd if=/dev/zero of=$dev bs=512 count=1 oflag=direct status=none; blockdev --rereadpt $dev" EXIT
	mbr_one_partition $dev 2048 65536 || fail "write a partition table to $dev"
	blockdev --rereadpt $dev || fail "BLKRRPART on the live $dev"
	[ -e $part ] || fail "no pmemu1p1 after BLKRRPART: the label written is not a valid one"
	rmmod pmemu || fail "rmmod pmemu"
	load_pmemu || fail "reload"
	[ -e $part ] || fail "no pmemu1p1 after the reload: the partition table was not read when the disk was added"
	[ "$(cat $part/start) $(cat $part/size)" = "2048 65536" ] ||
		fail "pmemu1p1 is at $(cat $part/start)+$(cat $part/size), not 2048+65536"
}

t_run "pmemu devices appear with DAX and the range sizes" test_devices
for engine in psync libaio io_uring; do
	t_run "fio $engine 4K randwrite+verify on /dev/pmemu0" fio_raw $engine randwrite 4k 64M
	t_run "fio $engine 1M write+verify on /dev/pmemu0" fio_raw $engine write 1M 512M
done
t_run "write-zeroes (BLKZEROOUT) zeroes the range" test_write_zeroes
t_run "write-zeroes bios are bounded to 64 MiB" test_write_zeroes_bounded
t_run "data intact after rmmod + modprobe on the same range" test_persist_across_reload
t_run "a partition table on the device is read when it appears" test_partitions_scanned_at_add
t_run "rmmod with nothing mounted" unload_pmemu
t_done
