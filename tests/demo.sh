#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: load pmemu on the first reserved range of this boot, put ext4 on
# it with -o dax, run a short fio job and print what a user wants to see.
set -e
. "$(dirname "$0")/guest/lib.sh"

range=$(pmemu_boot_ranges | cut -d, -f1)
echo "== modprobe pmemu ranges=$range"
modprobe pmemu "ranges=$range"
dev=/dev/pmemu0
echo "== mkfs.ext4 $dev; mount -o dax /mnt/dax"
mkfs_dax ext4 $dev > /dev/null
mount_dax ext4 $dev /mnt/dax
dax=$(awk '$2 == "/mnt/dax" { print $4 }' /proc/mounts | tr ',' '\n' | grep '^dax')
echo "== fio: 4K random read (psync, 10 s) and 1M sequential write (mmap, 10 s)"
r=$(fio --minimal --name=randread --directory=/mnt/dax --size=256M --bs=4k \
	--rw=randread --ioengine=psync --runtime=10 --time_based --unlink=1)
w=$(fio --minimal --name=seqwrite --directory=/mnt/dax --size=256M --bs=1M \
	--rw=write --ioengine=mmap --runtime=10 --time_based --unlink=1)
umount /mnt/dax
rmmod pmemu

cat <<SUMMARY

pmemu demo summary
  device       $dev ($(numfmt --to=iec "${range%@*}" 2>/dev/null || echo "${range%@*}") at physical ${range#*@})
  filesystem   ext4, mounted with -o dax ($dax)
  4K randread  $(echo "$r" | cut -d';' -f8) IOPS, $(echo "$r" | cut -d';' -f7) KiB/s  (psync, 1 job)
  1M seqwrite  $(( $(echo "$w" | cut -d';' -f48) / 1024 )) MiB/s  (mmap, 1 job)
  (QEMU TCG guest: absolute numbers say little; compare drivers within one boot)
SUMMARY
