#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# needs: 2x2G (what tests/check-local asks of a test machine)
# The devdax personality: /dev/pmemuN.dax on compound folios with the
# refcounted insert paths, for lifetime=sweep at align 4K/2M/1G and
# lifetime=tracked at 4K/2M (plus map=dev).  Each configuration runs the
# kselftest program devdax_test (fault sizes by minor-fault count and driver
# counters, data integrity, MAP_PRIVATE and unaligned mappings refused,
# partial munmap, mremap, fork, MADV_DONTNEED, O_DIRECT GUP, io_uring
# FOLL_LONGTERM, racing first touches) and fio with ioengine=mmap and
# dev-dax and verify=crc32c; afterwards every folio must be idle and the extent free.
# Bad configurations (tracked with align 1G, unknown align) are refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fio-jobs.sh"
t_plan 15

C=/sys/kernel/config/pmemu
R=/sys/class/pmemu
export PMEMU_TMPDIR=/var/tmp

# devdax_create NAME REGION SIZE ALIGN LIFETIME [MAP]: enable a devdax device
# and print its /dev name.
devdax_create() {
	cfs_device "$1" "$2" "$3" devdax align="$4" lifetime="$5" map="${6:-mem}"
}

devdax_destroy() {
	echo 0 > "$C/$1/enable" || fail "disable $1"
	rmdir "$C/$1" || fail "rmdir $1"
}

# stat NAME COUNTER: a counter of devdax device NAME (debugfs)
stat() {
	cat "$DBG/$1/$2"
}

# Take away what an earlier failed test left behind.
cleanup_devices() {
	local d
	for d in "$C"/dd-*; do
		[ -d "$d" ] || continue
		echo 0 > "$d/enable" 2>/dev/null
		rmdir "$d"
	done
}

# check_config LIFETIME ALIGN [MAP]: the whole devdax_test program and fio
# on a 2 GiB device of region0, then teardown leaves the region empty.
check_config() {
	local lt=$1 align=$2 map=${3:-mem} name dev n fsize
	cleanup_devices
	trap cleanup_devices EXIT
	name=dd-$lt-$align-$map
	dev=$(devdax_create "$name" 0 2G "$align" "$lt" "$map") || fail "create $name"
	[ -c "/dev/$dev" ] || fail "/dev/$dev is not a character device"
	[[ "$dev" == pmemu*.dax ]] || fail "unexpected node name $dev"
	[ "$(cat $R/$dev/align)" = "$(numfmt --from=iec "$align")" ] || fail "align attribute"
	[ "$(cat $R/$dev/lifetime)" = "$lt" ] || fail "lifetime attribute"
	# both lifetimes have the page map build each folio once
	n=$(( $(numfmt --from=iec "$align") / 4096 ))
	[ "$(stat "$dev" vmemmap_shift)" = "$(awk -v n="$n" 'BEGIN { print log(n)/log(2) }')" ] ||
		fail "vmemmap_shift $(stat "$dev" vmemmap_shift) for align $align"
	# leave out the cases that do not apply to this configuration (the
	# program would report them skipped, and a skip is not a pass)
	local excl=()
	# sweep folios are never freed: nothing for first touches to race with
	[ "$lt" = sweep ] && excl+=(-T threads_race_touch_vs_free)
	# at align 4K every page-aligned mapping is aligned
	[ "$align" = 4K ] && excl+=(-T unaligned_length_and_offset_refused)
	# tracked 2M: the kernel WARNs in migrate_device_coherent_folio
	# (docs/lifetime.md), so the FOLL_LONGTERM case is documented, not run
	[ "$lt" = tracked ] && [ "$align" != 4K ] && excl+=(-T io_uring_register_longterm)
	PMEMU_DAX_DEV=/dev/$dev devdax_test "${excl[@]}" ||
		fail "devdax_test on $dev ($lt, $align, map=$map)"

	# fio through mmap with crc32c verify (devdax is MAP_SHARED only);
	# fio maps the whole size at once, which must be a multiple of align
	fsize=256M
	[ "$align" = 1G ] && fsize=1G
	fio_devdax_job "/dev/$dev" $fsize
	[ "$(stat "$dev" folios_in_use)" = 0 ] || fail "folios in use after fio"
	[ "$(stat "$dev" pgmap_refs_held)" = 0 ] || fail "pgmap references left after fio"
	devdax_destroy "$name"
	[ ! -e "/dev/$dev" ] || fail "/dev/$dev still there"
	if kobject_lane; then
		wait_for 10 region_free 0 || fail "region0 not free after teardown (delayed release)"
	else
		region_free 0 || fail "region0 not free after teardown"
	fi
}

test_sweep_4k() { check_config sweep 4K; }
test_sweep_2m() { check_config sweep 2M; }
test_sweep_1g() { check_config sweep 1G; }
test_tracked_4k() { check_config tracked 4K; }
test_tracked_2m() { check_config tracked 2M; }
test_sweep_2m_map_dev() { check_config sweep 2M dev; }
test_tracked_2m_map_dev() { check_config tracked 2M dev; }

# The default devdax configuration: align 2M, lifetime sweep.
test_defaults() {
	local d=$C/dd-default dev
	trap cleanup_devices EXIT
	mkdir $d && echo 1 > $d/region && echo 64M > $d/size &&
		echo devdax > $d/mode && echo 1 > $d/enable || fail "create"
	dev=$(cat $d/dev) && [ -c "/dev/$dev" ] || fail "no character device for dd-default"
	[ "$(cat $R/$dev/align)" = 2097152 ] || fail "default align"
	[ "$(cat $R/$dev/lifetime)" = sweep ] || fail "default lifetime"
	[ "$(stat "$dev" folios)" = 32 ] || fail "folios $(stat "$dev" folios)"
	echo 0 > $d/enable && rmdir $d || fail "take dd-default away"
}

# refused_enable MESSAGE ATTR=VALUE...: enabling fails with EINVAL and one
# message, nothing is created.
refused_enable() {
	local msg=$1 d=$C/dd-bad kv before tag lines
	shift
	trap cleanup_devices EXIT
	mkdir $d || fail "mkdir"
	for kv in "$@"; do
		echo "${kv#*=}" > "$d/${kv%%=*}" || { rmdir $d; fail "setup $kv"; }
	done
	before=$(cat $R/region1/available_size; ls /dev | grep pmemu)
	tag=dd-$RANDOM
	dmesg_mark "$tag"
	if bash -c "echo 1 > $d/enable" 2> /tmp/e.err; then
		echo 0 > $d/enable; rmdir $d; fail "enable succeeded"
	fi
	grep -q 'Invalid argument' /tmp/e.err || { cat /tmp/e.err; rmdir $d; fail "expected EINVAL"; }
	lines=$(dmesg_since "$tag" | grep pmemu)
	echo "$lines"
	[ "$(printf '%s\n' "$lines" | grep -c .)" -eq 1 ] || { rmdir $d; fail "expected one message"; }
	printf '%s\n' "$lines" | grep -q -- "$msg" || { rmdir $d; fail "message lacks '$msg'"; }
	[ "$(cat $R/region1/available_size; ls /dev | grep pmemu)" = "$before" ] || { rmdir $d; fail "state changed"; }
	rmdir $d || fail "rmdir $d"
}

test_tracked_1g_refused() {
	refused_enable "lifetime=tracked supports align 4K and 2M only" \
		region=1 size=1G mode=devdax align=1G lifetime=tracked
}

test_fsdax_align_refused() {
	refused_enable "align applies to devdax" region=1 size=64M mode=fsdax align=2M
}

test_unaligned_extent_refused() {
	# region1 starts 1 GiB-aligned: offset 2M is not 1G-aligned
	refused_enable "not aligned to align" region=1 offset=2M size=1G mode=devdax align=1G
}

test_bad_align_value_refused() {
	local d=$C/dd-val
	trap cleanup_devices EXIT
	mkdir $d || fail mkdir
	if bash -c "echo 3M > $d/align" 2> /tmp/a.err; then fail "align 3M accepted"; fi
	grep -q 'Invalid argument' /tmp/a.err || { cat /tmp/a.err; fail "align 3M: expected EINVAL"; }
	if bash -c "echo forever > $d/lifetime" 2> /tmp/a.err; then fail "lifetime accepted"; fi
	grep -q 'Invalid argument' /tmp/a.err || { cat /tmp/a.err; fail "lifetime forever: expected EINVAL"; }
	rmdir $d || fail "rmdir $d"
}

# An open device cannot be disabled; rmdir still takes it away.
test_disable_while_open() {
	local dev pid='' rc=0
	# on failure: the holder goes first (a mapped device cannot be disabled)
	trap '[ -n "$pid" ] && kill -TERM $pid 2> /dev/null && wait $pid; cleanup_devices' EXIT
	dev=$(devdax_create dd-open 1 64M 2M sweep) || fail "create dd-open"
	mmap_hold "/dev/$dev" 2097152 > /tmp/hold.out 2>&1 &
	pid=$!
	wait_for 10 grep -q ready /tmp/hold.out || { cat /tmp/hold.out; fail "mmap_hold did not map /dev/$dev"; }
	if bash -c "echo 0 > $C/dd-open/enable" 2> /tmp/d.err; then
		fail "disable succeeded while mapped"
	fi
	grep -q 'busy' /tmp/d.err || { cat /tmp/d.err; fail "expected EBUSY"; }
	kill -TERM $pid
	wait $pid || rc=$?
	pid=
	[ $rc -eq 0 ] || { cat /tmp/hold.out; fail "mmap_hold exit $rc"; }
	grep -qx intact /tmp/hold.out || { cat /tmp/hold.out; fail "mapping data not intact"; }
	devdax_destroy dd-open
}

test_module_refcount_zero() {
	cleanup_devices
	if kobject_lane; then wait_for 10 module_unused; fi
	module_unused || fail "module refcnt $(cat /sys/module/pmemu/refcnt)"
}

load_pmemu "ranges=$(pmemu_boot_ranges)" autocreate=0 || t_bail "modprobe pmemu autocreate=0 failed"
t_run "default devdax config is align 2M, lifetime sweep" test_defaults
t_run "sweep align 4K" test_sweep_4k
t_run "sweep align 2M" test_sweep_2m
t_run "sweep align 1G" test_sweep_1g
t_run "tracked align 4K" test_tracked_4k
t_run "tracked align 2M" test_tracked_2m
t_run "sweep align 2M map=dev" test_sweep_2m_map_dev
t_run "tracked align 2M map=dev" test_tracked_2m_map_dev
t_run "tracked with align 1G refused" test_tracked_1g_refused
t_run "align on fsdax refused" test_fsdax_align_refused
t_run "extent not aligned to align refused" test_unaligned_extent_refused
t_run "unknown align/lifetime values refused" test_bad_align_value_refused
t_run "disable refused while mapped" test_disable_while_open
t_run "module refcount back to 0" test_module_refcount_zero
t_run "rmmod" unload_pmemu
t_done
