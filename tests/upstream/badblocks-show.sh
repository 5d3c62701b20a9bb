#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# badblocks-show DRIVER: a few hundred media errors recorded on a pmem disk,
# then its badblocks listing read (docs/upstream/badblocks-show.md).
#
#   1. the range's block device: /dev/pmem0 of nd_e820's namespace, or
#      pmemu's /dev/pmemu0;
#   2. 600 separate one-sector errors, 7-digit sectors (10 bytes a line
#      listed): in-tree through the disk's generic badblocks attribute
#      (e820 has no address range scrub to find them), on pmemu through its
#      error injection (what ndctl inject-error does on an NFIT);
#   3. cat /sys/block/DISK/badblocks.
# In-tree, badblocks_show() (block/badblocks.c) adds snprintf()'s
# untruncated return to its length, returns more than PAGE_SIZE once the
# table's text passes a page, and sysfs WARNs ("OOB write or bad count");
# the listing is cut at 4095 bytes.  pmemu records an error only while the
# listing still fits in a page (ENOSPC beyond), so every error is listed.
# upstream-drivers: nd_e820
# upstream-signature: OOB write or bad count [0-9]+ at dev_attr_show
# upstream-bug: badblocks_show() returns more than PAGE_SIZE: sysfs WARNs and the listing is cut
. "$(dirname "$0")/lib.sh"

driver=${1:?usage: badblocks-show.sh nd_e820|pmemu}
sector0=1000000

block_dev "$driver"
dev=$DEV
# record SECTOR: one bad sector, through the disk's attribute (in-tree) or
# pmemu's error injection
if [ "$driver" = pmemu ]; then
	record() { echo "$(($1 * 512)) 512" > /sys/block/$dev/pmemu/inject_error; }
else
	record() { echo "$1 1" > /sys/block/$dev/badblocks; }
fi
accepted=0 refused=0
for i in $(seq 0 599); do
	if record $((sector0 + 2 * i)) 2> /tmp/e.err; then
		accepted=$((accepted + 1))
	else
		grep -q "No space left" /tmp/e.err || { cat /tmp/e.err; fail "error $i: not ENOSPC"; }
		refused=$((refused + 1))
	fi
done
say "$accepted errors recorded, $refused refused (table full); reading /sys/block/$dev/badblocks"
cat /sys/block/$dev/badblocks > /tmp/bb || fail "read /sys/block/$dev/badblocks"
listed=$(grep -c . /tmp/bb)
say "listed: $listed lines, $(wc -c < /tmp/bb) bytes"
# the WARN names dev_attr_show; the line before it names the attribute
dmesg | grep -m1 'disk_badblocks_show.* returned bad count'
if [ "$driver" = pmemu ]; then
	[ "$listed" = "$accepted" ] || fail "$accepted errors recorded, $listed listed"
	[ "$(wc -c < /tmp/bb)" -lt 4096 ] || fail "the listing does not fit in a page"
fi
say "done"
