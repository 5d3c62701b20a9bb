# SPDX-License-Identifier: GPL-2.0
# Guest-side helpers for pmemu test suites (sourced inside the QEMU guest).
#
# A suite sources this file, calls t_run for each test and ends with t_done.
# Output is TAP: "ok N - name" / "not ok N - name", the plan at the end, and
# a closing "# N passed, N failed" line.  A test is a shell function; its
# output is shown as TAP diagnostics ("# ...") only when it fails, unless
# PMEMU_TEST_VERBOSE is set.

T_N=0
T_PASS=0
T_FAIL=0
T_ONLY=${PMEMU_TEST_ONLY:-}

# t_run NAME CMD [ARGS...]: run one test.
t_run() {
	local name=$1 out rc t0
	shift
	if [ -n "$T_ONLY" ] && [[ "$name" != *$T_ONLY* ]]; then
		return 0
	fi
	T_N=$((T_N + 1))
	t0=$(date +%s%N)
	out=$( ("$@") 2>&1 )
	rc=$?
	local ms=$((($(date +%s%N) - t0) / 1000000))
	local dt=$((ms / 1000)).$(((ms % 1000) / 100))
	if [ $rc -eq 0 ]; then
		T_PASS=$((T_PASS + 1))
		echo "ok $T_N - $name (${dt}s)"
		[ -n "${PMEMU_TEST_VERBOSE:-}" ] && printf '%s\n' "$out" | sed 's/^/# /'
	else
		T_FAIL=$((T_FAIL + 1))
		echo "not ok $T_N - $name (exit $rc, ${dt}s)"
		printf '%s\n' "$out" | tail -n 60 | sed 's/^/# /'
	fi
	return 0
}

t_done() {
	echo "1..$T_N"
	echo "# $T_PASS passed, $T_FAIL failed"
	[ $T_FAIL -eq 0 ]
}

# fail MSG: end the current test with a message.
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# expect_fail CMD...: CMD must exit non-zero.
expect_fail() {
	if "$@"; then
		fail "expected failure: $*"
	fi
	return 0
}

# The memmap=SIZE$START ranges of this boot, as SIZE@START[,...] for ranges=.
pmemu_boot_ranges() {
	local r out=""
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

unload_pmemu() {
	if grep -q '^pmemu ' /proc/modules; then
		rmmod pmemu
	fi
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
# (status 1) if it has not within SECONDS.
wait_for() {
	local t=$(($1 * 10))
	shift
	while ! "$@"; do
		t=$((t - 1))
		[ $t -gt 0 ] || return 1
		sleep 0.1
	done
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
