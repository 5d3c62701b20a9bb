#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# devdax-vmsplice DRIVER: a device-dax device taken away while one of its
# pages sits in a pipe (docs/upstream/devdax-vmsplice.md).
#
#   1. a 2 MiB-aligned devdax device on the memmap=! range: an ndctl
#      namespace (nd_e820, ramdax) or a pmemu device;
#   2. pin_hold maps 2 MiB, writes a pattern into the first page,
#      vmsplice()s that page into a pipe, unmaps and closes the device:
#      only the pipe buffer holds the page now;
#   3. the device is disabled (ndctl disable-namespace; pmemuctl
#      disable-device);
#   4. pin_hold reads the page back out of the pipe and exits, which
#      releases the pipe buffer's page reference.
# In-tree, step 3 frees the struct pages (memunmap_pages() does not wait
# for page references) and step 4 touches freed vmemmap: "BUG: unable to
# handle page fault" in page_cache_pipe_buf_release().  pmemu's disable
# returns at once, the device drains until step 4, the data is intact.
# upstream-drivers: nd_e820 ramdax
# upstream-signature: RIP: [0-9a-f]+:page_cache_pipe_buf_release
# upstream-bug: device_dax disabled with a page in a pipe: use-after-free when the pipe is released
. "$(dirname "$0")/lib.sh"

driver=${1:?usage: devdax-vmsplice.sh nd_e820|ramdax|pmemu}
pid=''

# pin DEV: pin_hold on /dev/DEV, pinned, in the background ($pid).
pin() {
	pin_hold "/dev/$1" 2097152 > /tmp/pin.out 2>&1 &
	pid=$!
	await_line /tmp/pin.out pinned 20
	say "page of /dev/$1 in a pipe, device closed and unmapped"
}

# let_go: pin_hold reads the pipe and exits (releasing the page).
let_go() {
	say "reading and closing the pipe"
	kill -USR1 "$pid"
	reap "$pid" pin_hold
	cat /tmp/pin.out
}

in_tree() {
	local ns dev region
	if [ "$driver" = nd_e820 ]; then
		nd_e820_namespace
		ns=$(ndctl create-namespace -f -e namespace0.0 -m devdax -M mem -a 2M) ||
			fail "ndctl create-namespace -m devdax"
	else
		modprobe -a ramdax nd_pmem dax_pmem device_dax ||
			fail "modprobe ramdax (CONFIG_RAMDAX) nd_pmem dax_pmem device_dax"
		region=$(ramdax_region) || fail "bind e820_pmem to ramdax: no region on the ramdax bus"
		ns=$(ndctl create-namespace -b ramdax -r "$region" -m devdax -M mem -a 2M) ||
			fail "ndctl create-namespace -m devdax on ramdax"
	fi
	dev=$(jq -r '.daxregion.devices[0].chardev' <<< "$ns")
	ns=$(jq -r .dev <<< "$ns")
	[ -c "/dev/$dev" ] || fail "no /dev/$dev"
	pin "$dev"
	say "ndctl disable-namespace $ns"
	ndctl disable-namespace "$ns" || fail "ndctl disable-namespace $ns"
	[ ! -e "/dev/$dev" ] || fail "/dev/$dev still there after disable"
	let_go
}

# pmemu_case LIFETIME: the same steps on a pmemu devdax device; disable
# must return with the device draining, and the pipe's data be intact.
pmemu_case() {
	local lt=$1 dev state
	dev=$(pmemuctl create-device --region region0 --mode devdax --align 2M --size 512M \
		--lifetime "$lt" --name up | jq -r '.chardev') || fail "pmemuctl create-device"
	[ -c "/dev/$dev" ] || fail "no /dev/$dev"
	pin "$dev"
	say "pmemuctl disable-device up ($lt)"
	timeout $((20 * T_SLOW)) pmemuctl disable-device up || fail "disable with a page in a pipe failed or hung"
	state=$(pmemuctl list -i -n up | jq -r '.[0].state')
	[ "$state" = draining ] || fail "device state $state with a page in a pipe, expected draining"
	let_go
	[ "$REAPED" = 0 ] && grep -q "released: data intact" /tmp/pin.out ||
		fail "pin_hold: exit $REAPED, pipe data not intact"
	wait_for 10 bash -c '[ "$(pmemuctl list -i -n up | jq -r ".[0].state")" = disabled ]' ||
		fail "device not drained after the pipe went"
	pmemuctl destroy-device up || fail "pmemuctl destroy-device up"
}

case $driver in
nd_e820 | ramdax) in_tree ;;
pmemu)
	pmemu_on_e820 autocreate=0
	pmemu_case sweep
	pmemu_case tracked
	;;
*) fail "unknown driver $driver" ;;
esac
say "done"
