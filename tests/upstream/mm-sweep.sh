#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mm-sweep DRIVER: the mm paths the 6.15 refcount series changed
# (vm_normal_page()/vm_normal_folio() callers and the page-table walkers
# userspace reaches), over live DAX mappings (docs/upstream/mm-sweep.md).
#
# userspace/tests/mm_sweep (a kselftest) maps a device or file shared,
# writes every page, and runs each operation over the mapping: pagemap
# and PAGEMAP_SCAN, smaps, smaps_rollup, numa_maps, mincore, mlock,
# madvise (cold, pageout, dontneed, free, willneed, populate read/write),
# KSM MADV_MERGEABLE, move_pages (query, move), mbind MPOL_MF_MOVE,
# process_vm_readv, /proc/PID/mem, ptrace PEEK/POKEDATA, userfaultfd
# registration, fork (shared, and COW of a MAP_PRIVATE mapping).  After
# each, the data must be intact, and it reports whether the mapping is
# still there (no fault reading one byte a mapping unit).  It runs on:
#   devdax at 4K, 2M and 1G (nd_e820: a devdax namespace of each align;
#          pmemu: tracked at 4K and 2M, sweep at 1G);
#   ext4 and xfs -o dax files at 4K (a non-2M-aligned address) and 2M.
# After every run the pages' references must be back: the namespace
# reconfigures, the filesystem unmounts (its eviction waits for page
# references), pmemu's device has no folio in use.
# In-tree, a walker that should only look but drops a mapping (or changes
# data) is reported as "reproduced"; on pmemu the same is noted (it is
# the core's doing), and the run fails only on changed data, a page
# reference left behind, or a kernel report.
# upstream-drivers: nd_e820
# upstream-signature: script
# upstream-cmdline: memmap=3G!4G
# upstream-bug: walkers that only look drop DAX mappings
. "$(dirname "$0")/lib.sh"

driver=${1:?usage: mm-sweep.sh nd_e820|pmemu}
MNT=/mnt/dax
# operations that must leave a mapping as it is
LOOKERS='pagemap pagemap_scan smaps smaps_rollup numa_maps mincore mlock madv_cold madv_willneed madv_populate_read madv_populate_write ksm_mergeable move_pages_query move_pages_move mbind_move process_vm_readv proc_mem ptrace_peek_poke userfaultfd_register fork_shared fork_cow_private'
: > /tmp/findings

# sweep WHAT PATH LEN STEP: one mm_sweep run; its sweep lines go to the
# output as "WHAT: ..." and the lookers that dropped the mapping to
# /tmp/findings.  Fails (pmemu) or records (in-tree) failed tests.
sweep() {
	local what=$1 op rc=0
	MM_SWEEP_PATH=$2 MM_SWEEP_LEN=$3 MM_SWEEP_STEP=$4 mm_sweep > /tmp/sweep.out 2>&1 || rc=$?
	sed -n "s/^# sweep: /$what: /p" /tmp/sweep.out
	grep -E '^not ok' /tmp/sweep.out | sed "s/^/$what: /"
	for op in $LOOKERS; do
		grep -q "^# sweep: op=$op .*mapping=dropped" /tmp/sweep.out && echo "$what $op" >> /tmp/findings
	done
	if [ $rc -ne 0 ]; then
		grep -E '^#  |^not ok' /tmp/sweep.out | head -n 20
		[ "$driver" = pmemu ] && fail "mm_sweep on $what: tests failed"
		echo "$what: mm_sweep failed" >> /tmp/findings
	fi
	grep -q '^# sweep: ' /tmp/sweep.out || fail "mm_sweep on $what printed no result"
}

# fs_sweeps DEV: ext4 and xfs on DEV, a 64 MiB file swept at 4K and 2M;
# each filesystem unmounts afterwards within 30 s.
fs_sweeps() {
	local fs step
	for fs in ext4 xfs; do
		mkfs_dax $fs "$1" > /dev/null || fail "mkfs.$fs $1"
		mount_dax $fs "$1" $MNT
		fallocate -l 64M $MNT/f || fail "fallocate $MNT/f"
		for step in 4K 2M; do
			sweep "$fs-$step" $MNT/f 64M $step
		done
		timeout $((30 * T_SLOW)) umount $MNT || fail "umount $fs after the sweeps: page references left?"
	done
}

# ns_devdax ALIGN: namespace0.0 as a devdax namespace of ALIGN; prints its
# character device
ns_devdax() {
	ndctl create-namespace -f -e namespace0.0 -m devdax -M mem -a "$1" |
		jq -r '.daxregion.devices[0].chardev'
}

in_tree() {
	local align dax len
	nd_e820_namespace
	for align in 4K 2M 1G; do
		dax=$(ns_devdax $align) && [ -c "/dev/$dax" ] || fail "devdax namespace, align $align"
		len=64M
		[ $align = 1G ] && len=1G
		sweep "devdax-$align" "/dev/$dax" $len $align
	done
	ndctl create-namespace -f -e namespace0.0 -m fsdax -M mem > /dev/null || fail "fsdax namespace"
	wait_for 10 test -b /dev/pmem0 || fail "no /dev/pmem0"
	fs_sweeps /dev/pmem0
}

# pmemu_devdax ALIGN LIFETIME LEN: a pmemu devdax device swept; its folios
# are all idle once the sweep has unmapped them
pmemu_devdax() {
	local dev
	dev=$(pmemuctl create-device --region region0 --mode devdax --align "$1" \
		--lifetime "$2" --size 2G --name sw | jq -r .chardev) || fail "pmemuctl create-device align $1"
	sweep "devdax-$1-$2" "/dev/$dev" "$3" "$1"
	wait_for 10 bash -c "[ \"\$(cat $DBG/$dev/folios_in_use)\" = 0 ]" ||
		fail "$dev: $(cat "$DBG/$dev/folios_in_use") folios still in use after the sweep"
	pmemuctl destroy-device sw || fail "destroy sw"
}

on_pmemu() {
	local dev
	pmemu_on_e820 autocreate=0
	pmemu_devdax 4K tracked 64M
	pmemu_devdax 2M tracked 64M
	pmemu_devdax 1G sweep 1G
	# the whole range, as nd_pmem's /dev/pmem0 (the same filesystem layout)
	dev=$(pmemuctl create-device --region region0 --mode fsdax --name fs |
		jq -r .blockdev) && [ -b "/dev/$dev" ] || fail "pmemuctl create-device fsdax"
	fs_sweeps "/dev/$dev"
	pmemuctl destroy-device fs || fail "destroy fs"
}

case $driver in
nd_e820) in_tree ;;
pmemu) on_pmemu ;;
*) fail "unknown driver $driver" ;;
esac
if [ -s /tmp/findings ]; then
	summary=$(awk '{ ops[$1] = ops[$1] " " $2 } END { for (w in ops) printf "%s:%s; ", w, ops[w] }' /tmp/findings)
	if [ "$driver" = pmemu ]; then
		say "note: on pmemu too (the core's doing): ${summary%; }"
	else
		say "reproduced: ${summary%; }"
	fi
fi
say "done"
