# SPDX-License-Identifier: GPL-2.0
# Guest-side helpers for pmemu test suites (sourced inside the QEMU guest).
#
# A suite sources this file, declares its plan with t_plan, calls t_run for
# each test and ends with t_done (tests/lib/tap.sh).

. "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

# Waits are scaled on the debug lane (KASAN, lockdep: several times slower);
# tests/vm/vm passes PMEMU_KERNEL into the guest.
T_SLOW=1
[[ ${PMEMU_KERNEL:-stock} == debug* ]] && T_SLOW=4

# pmemu's debugfs: hold points (hold/) and each devdax device's counters
# (pmemuN.dax/), neither of them ABI
DBG=/sys/kernel/debug/pmemu

# The memmap=SIZE$START ranges of this boot, as SIZE@START[,...] for
# ranges=; on a test machine, the ones tests/check-local was given.
pmemu_boot_ranges() {
	local r out=""
	[ -n "${PMEMU_TEST_RANGES:-}" ] && { echo "$PMEMU_TEST_RANGES"; return; }
	for r in $(tr ' ' '\n' < /proc/cmdline | sed -n 's/^memmap=\(.*\)\$\(.*\)$/\1@\2/p'); do
		out=${out:+$out,}$r
	done
	echo "$out"
}

# load_pmemu [PARAMS...]: modprobe with the boot's reserved ranges by default.
load_pmemu() {
	if [ $# -eq 0 ]; then
		set -- "ranges=$(pmemu_boot_ranges)"
	fi
	modprobe pmemu "$@"
}

# ensure_pmemu: load pmemu with the boot's ranges unless it is loaded (a
# test that also runs alone, PMEMU_TEST_ONLY).
ensure_pmemu() {
	grep -q '^pmemu ' /proc/modules || load_pmemu
}

# kobject_lane: the debug-kobject kernel, whose kobject releases come 1-4 s
# after the last put (tests/vm/debug-kobject.config).  What a release
# frees (a device's extent, its module reference) is waited for there,
# where the other lanes expect it at once.
kobject_lane() { [ "${PMEMU_KERNEL:-}" = debug-kobject ]; }

# module_unused: pmemu's module reference count is 0.
module_unused() { [ "$(cat /sys/module/pmemu/refcnt)" = 0 ]; }

# unload_pmemu: rmmod pmemu; fails when it is not loaded (a test that
# expects to unload it must have had it loaded).
unload_pmemu() {
	grep -q '^pmemu ' /proc/modules || { echo "pmemu is not loaded" >&2; return 1; }
	if kobject_lane; then wait_for 10 module_unused; fi
	rmmod pmemu
}

# size_bytes DEV: size of a block device in bytes.
size_bytes() {
	blockdev --getsize64 "$1"
}

# mkfs_dax FS DEV: make a filesystem laid out for 2 MiB DAX mappings.
mkfs_dax() {
	case "$1" in
	ext4) mkfs.ext4 -q -F -b 4096 -E stride=512,stripe_width=512 "$2" ;;
	xfs) mkfs.xfs -q -f -m reflink=0 -d su=2m,sw=1 "$2" ${MKFS_XFS_EXTRA:-} ;;
	*) fail "mkfs_dax: unknown filesystem $1" ;;
	esac
}

# mount_dax FS DEV DIR: mount with -o dax and check that DAX is really on.
mount_dax() {
	mkdir -p "$3"
	mount -t "$1" -o dax "$2" "$3" || fail "mount -o dax $2 failed"
	grep -q " $3 $1 .*dax=always" /proc/mounts ||
		{ grep " $3 " /proc/mounts >&2; fail "$3 is not mounted with dax=always"; }
	# xfs aligns data extents to 2 MiB only with an extent size hint,
	# which new files inherit from the directory.
	if [ "$1" = xfs ]; then
		xfs_io -c 'extsize 2m' "$3" || fail "xfs_io extsize 2m $3"
	fi
}

dmesg_mark() {
	echo "pmemu-test: $*" > /dev/kmsg
}

# dmesg_since MARK: kernel messages after the last "pmemu-test: MARK".
dmesg_since() {
	dmesg | awk -v m="pmemu-test: $1" 'index($0, m) { buf = ""; next } { buf = buf $0 "\n" } END { printf "%s", buf }'
}

# fio_run ARGS...: run fio quietly; on failure print its output.
fio_run() {
	local out
	if ! out=$(fio --minimal --warnings-fatal "$@" 2>&1); then
		printf '%s\n' "$out" >&2
		fail "fio $*"
	fi
	printf '%s\n' "$out" | awk -F';' '$1 ~ /^3$/ { printf "fio: read %s KiB/s %s IOPS, write %s KiB/s %s IOPS\n", $7, $8, $48, $49 }' >&2
	return 0
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds; fails
# (status 1) if it has not within SECONDS (times T_SLOW).
wait_for() {
	local t=$(($1 * 10 * T_SLOW))
	shift
	while ! "$@"; do
		t=$((t - 1))
		[ $t -gt 0 ] || return 1
		sleep 0.1
	done
}

# ended PID SECONDS WHAT: PID (WHAT) exits within SECONDS (scaled) after
# the device went; its exit status in ENDED.
ended() {
	timeout $(($2 * T_SLOW)) tail --pid="$1" -f /dev/null ||
		fail "$3 still running $2 s after the device went"
	ENDED=0
	wait "$1" || ENDED=$?
}

# sigbus_in OUT: a mmap_writer (status ENDED, output OUT) died of SIGBUS.
sigbus_in() {
	[ "$ENDED" -eq 7 ] || { cat "$1"; fail "writer exit $ENDED, expected 7 (SIGBUS)"; }
	grep -q SIGBUS "$1" || { cat "$1"; fail "writer did not report SIGBUS"; }
}

# memfree_kb: MemFree after giving back what caches hold: page cache,
# dentries and inodes, empty slabs, and (KASAN kernels) the quarantine of
# freed objects, which holds up to 1/32 of RAM and is only emptied per cache
# by a shrink.
memfree_kb() {
	local s
	sync
	echo 3 > /proc/sys/vm/drop_caches
	for s in /sys/kernel/slab/*/shrink; do
		echo 1 > "$s" 2> /dev/null
	done
	awk '/^MemFree:/ { print $2 }' /proc/meminfo
}

# region_with_source SOURCE: print the number of the first pmemu region
# whose source is SOURCE (ranges, e820_pmem, nfit, ndctl); fails if none.
region_with_source() {
	local r
	for r in /sys/class/pmemu/region*; do
		[ -e "$r/source" ] && [ "$(cat "$r/source")" = "$1" ] &&
			{ echo "${r##*/region}"; return 0; }
	done
	return 1
}

# region_free N: region N has no extent reserved (every device drained).
region_free() {
	local r=/sys/class/pmemu/region$1
	[ "$(cat $r/available_size)" = "$(cat $r/size)" ]
}

# cfs_device NAME REGION SIZE MODE [ATTR=VALUE...]: make and enable the
# configfs device NAME and print its /dev name.
cfs_device() {
	local d=/sys/kernel/config/pmemu/$1 kv
	mkdir "$d" && echo "$2" > "$d/region" && echo "$3" > "$d/size" &&
		echo "$4" > "$d/mode" || fail "configure $1"
	shift 4
	for kv in "$@"; do
		echo "${kv#*=}" > "$d/${kv%%=*}" || fail "configure $(basename "$d") $kv"
	done
	echo 1 > "$d/enable" || fail "enable $(basename "$d")"
	cat "$d/dev"
}

# cfs_remove NAME...: disable and remove the configfs devices NAME that
# exist (a test's clean-up, also on its failure path).
cfs_remove() {
	local n d
	for n in "$@"; do
		d=/sys/kernel/config/pmemu/$n
		[ -d "$d" ] || continue
		echo 0 > "$d/enable" 2> /dev/null
		rmdir "$d" || echo "cfs_remove: rmdir $d failed" >&2
	done
	return 0
}

# umount_if DIR...: unmount each DIR that is a mount point (clean-up).
umount_if() {
	local m
	for m in "$@"; do
		mountpoint -q "$m" && { umount "$m" || echo "umount_if: umount $m failed" >&2; }
	done
	return 0
}

# require_dax_mount DIR [FS]: DIR is the root of a filesystem (of type FS)
# mounted with dax=always, so I/O into it cannot land on the root disk.
require_dax_mount() {
	mountpoint -q "$1" || fail "$1 is not a mount point"
	grep -q " $1 ${2:-[^ ]*} [^ ]*dax=always" /proc/mounts ||
		{ grep " $1 " /proc/mounts >&2; fail "$1 is not mounted ${2:+$2 }with dax=always"; }
}

# The legacy memmap=! range's platform device, which nd_e820, ramdax and
# pmemu can each drive.
E820_PMEM=/sys/bus/platform/devices/e820_pmem

# e820_bind DRIVER: hand e820_pmem to DRIVER (pmemu, ramdax) through
# driver_override, unbinding it first from whatever holds it.
e820_bind() {
	[ -e $E820_PMEM ] || { echo "no e820_pmem platform device (memmap=!)" >&2; return 1; }
	if [ -e $E820_PMEM/driver ]; then
		echo e820_pmem > $E820_PMEM/driver/unbind || return 1
	fi
	echo "$1" > $E820_PMEM/driver_override &&
		echo e820_pmem > "/sys/bus/platform/drivers/$1/bind"
}

# ramdax_region: e820_pmem bound to ramdax (e820_bind) and its region up;
# prints the region's name.
ramdax_region() {
	e820_bind ramdax || return 1
	wait_for 10 bash -c 'ndctl list -b ramdax -R | jq -e length > /dev/null' || return 1
	ndctl list -b ramdax -R | jq -r '.[0].dev'
}

# proc_state PID STATE: the process PID is in state STATE (R, S, D ...).
proc_state() {
	[ "$(awk '{ print $3 }' "/proc/$1/stat" 2> /dev/null)" = "$2" ]
}

# fio_reads_above PID N: fio (run with --thread) has made more than N read
# calls: its I/O is under way (/proc/PID/io counts the whole process).
fio_reads_above() {
	[ "$(awk '/^syscr:/ { print $2 }' "/proc/$1/io" 2> /dev/null)" -gt "$2" ] 2> /dev/null
}
