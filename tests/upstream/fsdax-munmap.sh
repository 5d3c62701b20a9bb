#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# fsdax-munmap DRIVER: a process unmaps its DAX mapping of a file after the
# block device under the filesystem was unbound
# (docs/upstream/fsdax-munmap.md).
#
#   1. ext4 -o dax on the range's block device (/dev/pmem0 of nd_e820's
#      namespace, or pmemu's /dev/pmemu0), an 8 MiB file;
#   2. mmap_hold maps the whole file shared and writes every page (2 MiB
#      PMD mappings), then waits;
#   3. the driver is unbound (nd_pmem: namespace0.0; pmemu: e820_pmem);
#   4. mmap_hold reads its pages back and unmaps them;
#   5. the dead filesystem is unmounted.
# In-tree, step 3 frees the struct pages behind the live mappings
# (memunmap_pages() does not wait for page references) and step 4's
# munmap reads freed vmemmap: "BUG: unable to handle page fault" in
# vm_normal_folio_pmd() under zap_huge_pmd().  pmemu keeps the struct
# pages until the last mapping goes, and the unmount drains the device.
# upstream-drivers: nd_e820
# upstream-signature: RIP: [0-9a-f]+:(vm_normal_|zap_)
# upstream-bug: nd_pmem unbound under a live ext4 -o dax mapping: munmap reads freed struct pages
. "$(dirname "$0")/lib.sh"

driver=${1:?usage: fsdax-munmap.sh nd_e820|pmemu}
MNT=/mnt/dax

block_dev "$driver"
ext4_dax $MNT
mmap_hold $MNT/f $((8 << 20)) > /tmp/hold.out 2>&1 &
pid=$!
await_line /tmp/hold.out ready 20
say "8 MiB of $MNT/f mapped and written; $UNBIND"
timeout $((30 * T_SLOW)) bash -c "$UNBIND" || fail "unbind failed or hung"
say "unbind returned; the process reads its pages and unmaps them"
kill -TERM $pid
reap $pid mmap_hold
cat /tmp/hold.out
if [ "$driver" = pmemu ]; then
	# the mappings stay valid until munmap (docs/lifetime.md)
	[ "$REAPED" = 0 ] && grep -qx intact /tmp/hold.out ||
		fail "mmap_hold: exit $REAPED after the unbind, expected the data intact"
fi
say "unmounting the dead filesystem"
if [ "$driver" = pmemu ]; then
	timeout $((30 * T_SLOW)) umount $MNT || fail "umount of the dead filesystem failed or hung"
	wait_for 10 test ! -e /dev/$DEV || fail "/dev/$DEV still there after umount"
elif ! out=$(timeout $((30 * T_SLOW)) umount $MNT 2>&1); then
	# in-tree, the process the munmap fault left dying still holds the file
	say "umount failed: $out"
fi
say "done"
