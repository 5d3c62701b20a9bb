# SPDX-License-Identifier: GPL-2.0
# Guest-side helpers for the upstream reproducers (tests/upstream/*.sh,
# run by tests/check-upstream; sourced inside the QEMU guest).
#
# A reproducer takes one argument, the stack it runs on:
#   nd_e820   the memmap=!  range through nd_e820 (+ nd_pmem, dax_pmem)
#   ramdax    the same range bound to ramdax (6.19+), namespaces by ndctl
#   pmemu     the same range bound to pmemu (driver_override)
# and exits 0 once it has run every step of its scenario (whatever the
# kernel did meanwhile), 1 if a step could not be taken.  Whether the bug
# showed is the kernel log's to say (tests/check-upstream); the pmemu run
# also checks pmemu's own behaviour and fails on any difference.

. "$(dirname "${BASH_SOURCE[0]}")/../guest/lib.sh"

# say MSG: a step, on the output and as a marker in the kernel log (a
# marker also ends a report for tests/vm/judge, so steps are told apart).
say() {
	echo "upstream: $*"
	dmesg_mark "upstream: $*"
}

# nd_e820_namespace: the in-tree drivers on the range: nd_e820 makes
# namespace0.0 (raw, then nd_pmem's /dev/pmem0).
nd_e820_namespace() {
	[ -e $E820_PMEM ] || fail "no e820_pmem platform device (memmap=!)"
	modprobe -a nd_e820 nd_pmem dax_pmem device_dax || fail "modprobe nd_e820 nd_pmem dax_pmem device_dax"
	wait_for 10 test -e /sys/bus/nd/devices/namespace0.0 || fail "no namespace0.0"
}

# pmemu_on_e820 [PARAMS...]: pmemu loaded with PARAMS and bound to the same
# range; with autocreate (the default) /dev/pmemu0 covers it.
pmemu_on_e820() {
	modprobe pmemu "$@" || fail "modprobe pmemu $*"
	e820_bind pmemu || fail "bind e820_pmem to pmemu"
	wait_for 10 test -d /sys/class/pmemu/region0 || fail "no pmemu region0"
}

# block_dev DRIVER: the range's block device on DRIVER, in DEV (nd_e820:
# nd_pmem's pmem0; pmemu: pmemu0, made over the whole range), and in
# UNBIND the command that takes the driver away from under it.
block_dev() {
	case $1 in
	nd_e820)
		nd_e820_namespace
		DEV=pmem0
		UNBIND="echo namespace0.0 > /sys/bus/nd/drivers/nd_pmem/unbind"
		;;
	pmemu)
		pmemu_on_e820
		DEV=pmemu0
		UNBIND="echo e820_pmem > /sys/bus/platform/drivers/pmemu/unbind"
		;;
	*) fail "unknown driver $1" ;;
	esac
	wait_for 10 test -b "/dev/$DEV" || fail "no /dev/$DEV"
}

# ext4_dax DIR: ext4 on /dev/$DEV (block_dev), mounted -o dax at DIR.
ext4_dax() {
	mkfs_dax ext4 "/dev/$DEV" > /dev/null || fail "mkfs.ext4 /dev/$DEV"
	mount_dax ext4 "/dev/$DEV" "$1"
}

# await_line FILE TEXT SECONDS: FILE (a helper's output) has a line
# containing TEXT within SECONDS.
await_line() {
	wait_for "$3" grep -q "$2" "$1" || { cat "$1"; fail "no '$2' from $1 within $3 s"; }
}

# gone PID: PID has exited (or is a zombie).
gone() {
	proc_state "$1" Z || ! kill -0 "$1" 2> /dev/null
}

# reap PID WHAT: wait for the helper PID (WHAT); a helper the kernel
# killed or wedged with an in-tree bug may never exit: after 20 s say so
# and leave it to guest-init.  The helper's exit status is in REAPED (or
# "stuck").
reap() {
	if wait_for 20 gone "$1"; then
		REAPED=0
		wait "$1" 2> /dev/null || REAPED=$?
	else
		REAPED=stuck
		say "$2 (pid $1) did not exit: state $(awk '{ print $3 }' "/proc/$1/stat" 2> /dev/null)"
		cat "/proc/$1/stack" 2> /dev/null
	fi
}
