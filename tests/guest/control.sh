#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# needs: 2x2G (what tests/check-local asks of a test machine)
# The control plane: regions in /sys/class/pmemu, devices carved at runtime
# through configfs (/sys/kernel/config/pmemu) and pmemuctl.  Every invalid
# configfs value is refused with EINVAL/EBUSY and one message and changes
# nothing; a mounted device cannot be disabled; non-root users are refused;
# racing creators of overlapping devices: exactly one wins; create/list/
# destroy cycles with pmemuctl for map=mem and map=dev in both regions.
. "$(dirname "$0")/lib.sh"
# 7 tests here, 8 in control-pmemuctl.sh, the final rmmod
t_plan 18

C=/sys/kernel/config/pmemu
R=/sys/class/pmemu

# cleanup: what a failed test left (mounts of pmemu devices, configfs
# devices), so that the tests after it start from nothing.  Every test of
# this suite ends with no device; run from an EXIT trap.
cleanup() {
	local m
	for m in $(awk '$1 ~ "^/dev/pmemu" { print $2 }' /proc/mounts); do
		umount "$m" || echo "cleanup: umount $m failed" >&2
	done
	# shellcheck disable=SC2046
	[ -d $C ] && cfs_remove $(ls $C)
	return 0
}

# region_state: what must not change when a request is refused
region_state() {
	cat $R/region*/available_size $R/region*/max_available_extent
	ls /dev | grep '^pmemu' || true
	ls $C
}

test_regions() {
	local n=0 r size start
	for r in $(pmemu_boot_ranges | tr ',' ' '); do
		size=$(numfmt --from=iec "${r%@*}")
		start=$(printf '%#x' "$(numfmt --from=iec "${r#*@}")")
		[ "$(cat $R/region$n/size)" = "$size" ] || fail "region$n size"
		[ "$(cat $R/region$n/available_size)" = "$size" ] || fail "region$n available_size"
		[ "$(cat $R/region$n/max_available_extent)" = "$size" ] || fail "region$n max_available_extent"
		[ "$(cat $R/region$n/source)" = ranges ] || fail "region$n source"
		[ "$(cat $R/region$n/align)" = 2097152 ] || fail "region$n align"
		[ "$(cat $R/region$n/start)" = "$start" ] || fail "region$n start $(cat $R/region$n/start) != $start"
		n=$((n + 1))
	done
	[ $n -ge 2 ] || fail "expected two regions"
	ls /dev | grep -q '^pmemu' && fail "autocreate=0 created a device"
	return 0
}

# refused ATTR VALUE ERRNO-TEXT MESSAGE [SETUP...]: in a fresh item, after
# the SETUP writes (attr=value), writing VALUE to ATTR fails with
# ERRNO-TEXT, logs one line containing MESSAGE, and changes nothing.
refused() {
	local attr=$1 val=$2 err=$3 msg=$4 d=$C/bad before after tag kv
	shift 4
	mkdir $d || fail "mkdir"
	for kv in "$@"; do
		echo "${kv#*=}" > "$d/${kv%%=*}" || fail "setup ${kv}"
	done
	before=$(region_state)
	tag="cfs-$RANDOM"
	dmesg_mark "$tag"
	if printf '%s' "$val" > "$d/$attr" 2> /tmp/w.err; then
		rmdir $d; fail "writing '${val:0:40}' to $attr succeeded"
	fi
	grep -q "$err" /tmp/w.err || { cat /tmp/w.err; rmdir $d; fail "expected $err"; }
	local lines
	lines=$(dmesg_since "$tag" | grep 'pmemu')
	echo "$lines"
	[ "$(printf '%s\n' "$lines" | grep -c .)" -eq 1 ] || { rmdir $d; fail "expected exactly one message"; }
	printf '%s\n' "$lines" | grep -q -- "$msg" || { rmdir $d; fail "message lacks '$msg'"; }
	after=$(region_state)
	[ "$before" = "$after" ] || { rmdir $d; fail "state changed: $before -> $after"; }
	[ "$(cat $d/enable)" = 0 ] || { rmdir $d; fail "device got enabled"; }
	rmdir $d || fail "rmdir $d"
}

LONG=$(head -c 5000 /dev/zero | tr '\0' 7)

test_invalid_values() {
	trap cleanup EXIT
	refused region -1 "Invalid argument" "invalid region"
	refused region abc "Invalid argument" "invalid region"
	refused region "$LONG" "Invalid argument" "invalid region"
	refused offset -1 "Invalid argument" "invalid offset"
	refused offset 1M "Invalid argument" "multiple of 2 MiB"
	refused offset autox "Invalid argument" "invalid offset"
	refused offset "$LONG" "Invalid argument" "invalid offset"
	refused size -2M "Invalid argument" "invalid size"
	refused size 3M "Invalid argument" "multiple of 2 MiB"
	refused size 1Q "Invalid argument" "invalid size"
	refused size "$LONG" "Invalid argument" "invalid size"
	refused mode devdaxx "Invalid argument" "invalid mode"
	refused mode FSDAX "Invalid argument" "invalid mode"
	refused mode "$LONG" "Invalid argument" "invalid mode"
	refused map both "Invalid argument" "invalid map"
	refused map "$LONG" "Invalid argument" "invalid map"
	refused enable 2 "Invalid argument" "invalid enable"
	refused enable 1 "Invalid argument" "set region before enabling"
	refused enable 1 "Invalid argument" "region7 does not exist" region=7
	refused enable 1 "Invalid argument" "beyond region0" region=0 size=4G
	refused enable 1 "Invalid argument" "beyond region0" region=0 offset=3G
	refused enable 1 "Invalid argument" "beyond region0" region=0 offset=1G size=2G
	refused enable 1 "Invalid argument" "no room for data" region=0 size=2M map=dev
}

test_conflicts() {
	trap cleanup EXIT
	mkdir $C/keep && echo 0 > $C/keep/region && echo 1G > $C/keep/size &&
		echo 1G > $C/keep/offset && echo 1 > $C/keep/enable || fail "setup keep"
	refused enable 1 "Invalid argument" "overlaps another device" region=0 offset=1536M size=512M
	refused enable 1 "Invalid argument" "overlaps another device" region=0 offset=0 size=2G
	refused enable 1 "No space left on device" "no free extent" region=0 size=1536M
	local a
	for a in region offset size mode map; do
		expect_fail bash -c "echo 0 > $C/keep/$a" 2> /tmp/w.err
		grep -q "busy" /tmp/w.err || { cat /tmp/w.err; fail "$a writable while enabled"; }
	done
	echo 0 > $C/keep/enable && rmdir $C/keep || fail "cleanup keep"
	[ "$(cat $R/region0/available_size)" = $((2 << 30)) ] || fail "extent not released"
}

test_name_too_long() {
	trap cleanup EXIT
	expect_fail mkdir "$C/$(head -c 40 /dev/zero | tr '\0' n)" 2> /tmp/m.err
	grep -q "too long" /tmp/m.err || { cat /tmp/m.err; fail "expected ENAMETOOLONG"; }
}

# A mounted device cannot be disabled; after umount it can, and the data
# of the device next to it is untouched.
test_disable_mounted() {
	local s1 s2 d1 d2 tag=disable-$RANDOM
	trap cleanup EXIT
	mkdir $C/m1 $C/m2 || fail mkdir
	echo 1 > $C/m1/region && echo 512M > $C/m1/size && echo 1 > $C/m1/enable || fail "enable m1"
	echo 1 > $C/m2/region && echo 512M > $C/m2/size && echo 1 > $C/m2/enable || fail "enable m2"
	d1=/dev/$(cat $C/m1/dev) && d2=/dev/$(cat $C/m2/dev) || fail "configfs dev"
	[ -b $d1 ] && [ -b $d2 ] || fail "$d1 or $d2 is not a block device"
	dd if=/dev/urandom of=$d2 bs=1M count=64 oflag=direct status=none || fail "write $d2"
	s1=$(set -o pipefail; dd if=$d2 bs=1M count=64 iflag=direct status=none | sha256sum) || fail "read $d2"
	mkfs_dax ext4 $d1 || fail "mkfs $d1"
	mount_dax ext4 $d1 /mnt/m1
	echo data > /mnt/m1/f || fail "write a file on $d1"
	dmesg_mark "$tag"
	expect_fail bash -c "echo 0 > $C/m1/enable" 2> /tmp/w.err
	grep -q busy /tmp/w.err || { cat /tmp/w.err; fail "disable of a mounted device not refused with EBUSY"; }
	dmesg_since "$tag" | grep -q "in use (mounted or open)" ||
		{ dmesg_since "$tag"; fail "no message for the refused disable"; }
	[ -b $d1 ] && grep -q data /mnt/m1/f || fail "device damaged by the refused disable"
	umount /mnt/m1 || fail "umount /mnt/m1"
	echo 0 > $C/m1/enable || fail "disable after umount"
	[ ! -e $d1 ] || fail "$d1 still present"
	s2=$(set -o pipefail; dd if=$d2 bs=1M count=64 iflag=direct status=none | sha256sum) || fail "read $d2 again"
	[ "$s1" = "$s2" ] || fail "data of the neighbouring device changed"
	echo 0 > $C/m2/enable && rmdir $C/m1 $C/m2 || fail cleanup
}

test_non_root() {
	local as_nobody="setpriv --reuid=nobody --regid=nogroup --clear-groups"
	trap cleanup EXIT
	command -v pmemuctl > /dev/null || fail "pmemuctl is not installed"
	expect_fail $as_nobody mkdir $C/nobody 2> /tmp/e
	grep -q "Permission denied" /tmp/e || { cat /tmp/e; fail "mkdir as nobody"; }
	mkdir $C/rootdev || fail mkdir
	expect_fail $as_nobody bash -c "echo 0 > $C/rootdev/region" 2> /tmp/e
	grep -q "Permission denied" /tmp/e || { cat /tmp/e; fail "attribute write as nobody"; }
	expect_fail $as_nobody bash -c "echo 1 > $C/rootdev/enable" 2> /tmp/e
	grep -q "Permission denied" /tmp/e || { cat /tmp/e; fail "enable as nobody"; }
	expect_fail $as_nobody rmdir $C/rootdev 2> /tmp/e
	[ -d $C/rootdev ] || fail "rmdir as nobody removed the item"
	rmdir $C/rootdev || fail "rmdir as root"
	local v
	for v in "create-device --region 0 --mode fsdax" "destroy-device x" \
		 "enable-device x" "disable-device x" "reconfigure-device x --map dev"; do
		# shellcheck disable=SC2086
		expect_fail $as_nobody pmemuctl $v 2> /tmp/e
		grep -q "root" /tmp/e || { cat /tmp/e; fail "pmemuctl $v as nobody"; }
	done
	[ -z "$(ls $C)" ] || fail "something was created"
}

# Two creators race for overlapping extents: exactly one device results.
test_race() {
	local i wins
	trap cleanup EXIT
	for i in $(seq 10); do
		mkdir $C/r1 $C/r2 || fail "round $i: mkdir"
		echo 1 > $C/r1/region && echo 0 > $C/r1/offset && echo 1G > $C/r1/size &&
			echo 1 > $C/r2/region && echo 512M > $C/r2/offset && echo 1G > $C/r2/size ||
			fail "round $i: configure"
		(echo 1 > $C/r1/enable) 2>/dev/null &
		(echo 1 > $C/r2/enable) 2>/dev/null &
		wait
		wins=$(cat $C/r1/enable $C/r2/enable | grep -c 1)
		[ "$wins" -eq 1 ] || fail "round $i: $wins devices enabled"
		echo 0 > $C/r1/enable && echo 0 > $C/r2/enable && rmdir $C/r1 $C/r2 ||
			fail "round $i: take the devices away"
	done
	[ "$(cat $R/region1/available_size)" = $((2 << 30)) ] || fail "extents leaked"
}

. "$(dirname "$0")/control-pmemuctl.sh" || t_bail "cannot source control-pmemuctl.sh"
load_pmemu "ranges=$(pmemu_boot_ranges)" autocreate=0 || t_bail "modprobe pmemu autocreate=0 failed"
t_run "regions in /sys/class/pmemu match ranges=" test_regions
t_run "invalid configfs values: EINVAL, one message, nothing changed" test_invalid_values
t_run "overlap, no space, writes while enabled: refused, nothing changed" test_conflicts
t_run "device name too long: ENAMETOOLONG" test_name_too_long
t_run "disable of a mounted device refused; after umount it works, neighbour intact" test_disable_mounted
t_run "non-root: configfs and pmemuctl write verbs refused" test_non_root
t_run "racing creators of overlapping devices: exactly one wins (10 rounds)" test_race
pmemuctl_tests
t_run "rmmod with no devices left" unload_pmemu
t_done
