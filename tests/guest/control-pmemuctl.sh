# SPDX-License-Identifier: GPL-2.0
# pmemuctl tests, sourced by control.sh (pmemu loaded with autocreate=0),
# which runs them with pmemuctl_tests (10 tests, counted in its t_plan) and
# provides C, R and cleanup.

# dev_json NAME: the device object pmemuctl lists for NAME
dev_json() {
	pmemuctl list -D | jq -e --arg n "$1" '.[] | select(.name == $n)'
}

# check_listed NAME REGION MAP: JSON agrees with sysfs and /dev
check_listed() {
	local j blk
	j=$(dev_json "$1") || fail "$1 not in pmemuctl list"
	blk=$(jq -r .blockdev <<< "$j")
	[ -b "/dev/$blk" ] || fail "$1: /dev/$blk is not a block device"
	[ "$(jq -r .mode <<< "$j")" = fsdax ] || fail "$1: mode"
	[ "$(jq -r .map <<< "$j")" = "$3" ] || fail "$1: map"
	[ "$(jq -r .map <<< "$j")" = "$(cat /sys/block/$blk/pmemu/map)" ] || fail "$1: map vs sysfs"
	[ "$(jq -r .region <<< "$j")" = "$2" ] || fail "$1: region"
	[ "$(jq -r .region <<< "$j")" = "$(cat /sys/block/$blk/pmemu/region)" ] || fail "$1: region vs sysfs"
	[ "$(jq -r .size <<< "$j")" = "$(size_bytes /dev/$blk)" ] || fail "$1: size vs blockdev"
	[ "$(jq -r .enabled <<< "$j")" = true ] || fail "$1: not enabled"
	[ "$(cat $C/$1/dev)" = "$blk" ] || fail "$1: configfs dev"
	local rj
	rj=$(pmemuctl list -R | jq -e --argjson r "$2" '.[] | select(.id == $r)') || fail "region $2 not listed"
	[ "$(jq -r .available_size <<< "$rj")" = "$(cat $R/region$2/available_size)" ] ||
		fail "region$2 available_size: JSON vs sysfs"
	echo "$1 -> /dev/$blk ($(jq -c . <<< "$j"))"
}

test_pmemuctl_cycles() {
	local r map name blk round
	trap cleanup EXIT
	for round in 1 2; do
		for r in 0 1; do
			for map in mem dev; do
				name=c$r$map
				pmemuctl create-device --region $r --size 512M --mode fsdax \
					--map $map --name $name > /tmp/create.json ||
					fail "create-device $name"
				jq -e . /tmp/create.json > /dev/null || fail "create-device printed no JSON"
				check_listed $name $r $map
				blk=$(dev_json $name | jq -r .blockdev)
				mkfs_dax ext4 /dev/$blk > /dev/null || fail "mkfs $blk"
				mount_dax ext4 /dev/$blk /mnt/$name
				echo "$name" > /mnt/$name/id && sync || fail "write /mnt/$name/id"
				umount /mnt/$name || fail "umount /mnt/$name"
			done
		done
		[ "$(pmemuctl list | jq length)" = 4 ] || fail "expected 4 devices"
		[ "$(pmemuctl list -R -D | jq '[.[].devices | length] | add')" = 4 ] ||
			fail "list -R -D does not nest 4 devices"
		for r in 0 1; do
			for map in mem dev; do
				blk=$(dev_json c$r$map | jq -r .blockdev)
				pmemuctl destroy-device c$r$map || fail "destroy-device c$r$map"
				[ ! -e $C/c$r$map ] || fail "configfs item c$r$map left"
				[ ! -e /dev/$blk ] || fail "/dev/$blk left"
			done
		done
		for r in 0 1; do
			[ "$(cat $R/region$r/available_size)" = "$(cat $R/region$r/size)" ] ||
				fail "round $round: region$r extents not all released"
		done
		[ "$(pmemuctl list)" = "[]" ] || fail "list not empty after destroying everything"
	done
}

test_pmemuctl_destroy_mounted() {
	trap cleanup EXIT
	pmemuctl create-device --region 0 --mode fsdax --name busy > /dev/null || fail create
	local blk
	blk=$(dev_json busy | jq -r .blockdev) && [ -b "/dev/$blk" ] || fail "busy: no block device"
	mkfs_dax ext4 /dev/$blk || fail "mkfs /dev/$blk"
	mount_dax ext4 /dev/$blk /mnt/busy
	expect_fail pmemuctl destroy-device busy 2> /tmp/e
	cat /tmp/e
	grep -q "busy" /tmp/e || fail "no EBUSY message"
	[ "$(wc -l < /tmp/e)" -eq 1 ] || fail "expected one error line"
	[ -e $C/busy ] && [ -b /dev/$blk ] || fail "refused destroy changed something"
	umount /mnt/busy || fail "umount /mnt/busy"
	pmemuctl destroy-device busy || fail "destroy after umount"
}

test_pmemuctl_race() {
	local i ok a b
	trap cleanup EXIT
	for i in $(seq 5); do
		pmemuctl create-device --region 1 --offset 0 --size 1G --mode fsdax --name ra > /dev/null 2>&1 &
		a=$!
		pmemuctl create-device --region 1 --offset 512M --size 1G --mode fsdax --name rb > /dev/null 2>&1 &
		b=$!
		ok=0
		wait $a && ok=$((ok + 1))
		wait $b && ok=$((ok + 1))
		[ $ok -eq 1 ] || fail "round $i: $ok creators succeeded"
		[ "$(pmemuctl list | jq length)" = 1 ] || fail "round $i: not exactly one device"
		if ls $C | grep -qx ra; then pmemuctl destroy-device ra || fail "round $i: destroy ra"; fi
		if ls $C | grep -qx rb; then pmemuctl destroy-device rb || fail "round $i: destroy rb"; fi
		[ -z "$(ls $C)" ] || fail "round $i: the loser left a configfs item"
	done
}

test_pmemuctl_reconfigure() {
	trap cleanup EXIT
	pmemuctl create-device --region 1 --size 256M --mode fsdax --map mem --name rc > /dev/null || fail create
	pmemuctl reconfigure-device rc --map dev --force > /dev/null || fail reconfigure
	local blk
	blk=$(dev_json rc | jq -r .blockdev)
	[ "$(cat /sys/block/$blk/pmemu/map)" = dev ] || fail "map not dev after reconfigure"
	[ "$(cat /sys/block/$blk/pmemu/data_offset)" -gt 0 ] || fail "no memmap reserved"
	expect_fail pmemuctl reconfigure-device rc --size 4G 2> /tmp/e
	cat /tmp/e
	blk=$(dev_json rc | jq -r .blockdev)
	[ "$(cat /sys/block/$blk/pmemu/map)" = dev ] && [ "$(cat $C/rc/size)" = $((256 << 20)) ] ||
		fail "failed reconfigure did not restore the device"
	pmemuctl destroy-device rc || fail destroy
}

# reconfigure_refused NAME ARGS... : refused without --force, one message,
# the device and its data unchanged.
reconfigure_refused() {
	local name=$1 blk sum before
	shift
	blk=$(dev_json "$name" | jq -r .blockdev)
	before=$(dev_json "$name")
	sum=$(dd if=/dev/$blk bs=1M count=4 iflag=direct status=none | sha256sum)
	expect_fail pmemuctl reconfigure-device "$name" "$@" 2> /tmp/e
	cat /tmp/e
	grep -q -- "--force" /tmp/e && [ "$(grep -c . /tmp/e)" = 1 ] ||
		fail "reconfigure-device $*: not one message naming --force"
	[ "$(dev_json "$name")" = "$before" ] || fail "reconfigure-device $*: device changed"
	[ "$(dd if=/dev/$blk bs=1M count=4 iflag=direct status=none | sha256sum)" = "$sum" ] ||
		fail "reconfigure-device $*: data changed"
}

# --map dev puts the memmap over the first bytes of the extent: a device
# holding data is not reconfigured that way unless forced (ndctl's rule
# for an active namespace).
test_pmemuctl_reconfigure_keeps_data() {
	local blk
	trap cleanup EXIT
	pmemuctl create-device --region 1 --size 256M --mode fsdax --map mem --name rk > /dev/null || fail create
	blk=$(dev_json rk | jq -r .blockdev)
	dd if=/dev/urandom of=/dev/$blk bs=1M count=4 oflag=direct status=none || fail "write data"
	reconfigure_refused rk --map dev
	reconfigure_refused rk --offset auto
	reconfigure_refused rk --size 128M
	# growing it leaves the data where it is
	pmemuctl reconfigure-device rk --size 512M > /dev/null || fail "grow rk to 512M"
	pmemuctl reconfigure-device rk --map dev --force > /dev/null || fail "reconfigure --map dev --force"
	[ "$(dev_json rk | jq -r .map)" = dev ] || fail "map not dev after --force"
	pmemuctl destroy-device rk || fail destroy
}

test_pmemuctl_bad_input() {
	local rc args
	trap cleanup EXIT
	for args in "create-device --region 0" "create-device --mode fsdax" \
		    "create-device --region 0 --mode fsdax --size 3Q" \
		    "create-device --region 0 --mode bogus" "nosuchverb" \
		    "list --bogus" "destroy-device"; do
		# shellcheck disable=SC2086
		pmemuctl $args > /dev/null 2> /tmp/e
		rc=$?
		[ $rc -eq 2 ] || { cat /tmp/e; fail "'pmemuctl $args' exit $rc, expected 2"; }
		[ -s /tmp/e ] || fail "'pmemuctl $args' printed no message"
	done
	expect_fail pmemuctl destroy-device nosuch 2> /tmp/e
	grep -q nosuch /tmp/e || fail "no message naming the missing device"
	expect_fail pmemuctl create-device --region 9 --mode fsdax 2> /tmp/e
	cat /tmp/e
	[ -z "$(ls $C)" ] || fail "a failed create left an item"
	pmemuctl --help | grep -q create-device || fail "--help lacks the verbs"
}

# devdax through pmemuctl: chardev in list, align/lifetime, reconfigure
# between lifetimes, refusals with exit 2 (usage) or 1 (kernel).
test_pmemuctl_devdax() {
	local j chr rc args
	trap cleanup EXIT
	pmemuctl create-device --region 1 --size 1G --mode devdax --align 1G \
		--name dx > /tmp/create.json || fail "create devdax"
	j=$(dev_json dx) || fail "dx not listed"
	echo "$j"
	chr=$(jq -r .chardev <<< "$j")
	[ -c "/dev/$chr" ] || fail "/dev/$chr is not a character device"
	[ "$(jq -r .blockdev <<< "$j")" = null ] || fail "devdax listed with a blockdev"
	[ "$(jq -r .align <<< "$j")" = $((1 << 30)) ] || fail "align"
	[ "$(jq -r .lifetime <<< "$j")" = sweep ] || fail "lifetime"
	[ "$(jq -r .size <<< "$j")" = $((1 << 30)) ] || fail "size"
	pmemuctl list -D -v | jq -e '.[] | select(.name == "dx") | .phys_start' > /dev/null ||
		fail "list -v lacks phys_start"
	PMEMU_DAX_DEV=/dev/$chr devdax_test -r devdax.touch_1g_fault_count > /tmp/t.out 2>&1 ||
		{ cat /tmp/t.out; fail "1G faults through pmemuctl's device"; }
	pmemuctl reconfigure-device "$chr" --align 2M --lifetime tracked > /dev/null ||
		fail "reconfigure to tracked 2M"
	j=$(dev_json dx)
	[ "$(jq -r .lifetime <<< "$j")" = tracked ] && [ "$(jq -r .align <<< "$j")" = $((2 << 20)) ] ||
		fail "reconfigure did not take: $j"
	expect_fail pmemuctl reconfigure-device dx --align 1G 2> /tmp/e
	cat /tmp/e
	j=$(dev_json dx)
	[ "$(jq -r .lifetime <<< "$j")" = tracked ] && [ "$(jq -r .align <<< "$j")" = $((2 << 20)) ] &&
		[ "$(jq -r .enabled <<< "$j")" = true ] || fail "refused reconfigure did not restore: $j"
	pmemuctl destroy-device dx || fail "destroy dx"
	for args in "--mode devdax --align 3M" "--mode devdax --lifetime forever" \
		    "--mode fsdax --align 2M" "--mode fsdax --lifetime tracked"; do
		# shellcheck disable=SC2086
		pmemuctl create-device --region 1 $args > /dev/null 2> /tmp/e
		rc=$?
		[ $rc -eq 2 ] || { cat /tmp/e; fail "'$args' exit $rc, expected 2"; }
	done
	pmemuctl create-device --region 1 --size 1G --mode devdax --align 1G \
		--lifetime tracked > /dev/null 2> /tmp/e
	rc=$?
	cat /tmp/e
	[ $rc -eq 1 ] || fail "tracked 1G: exit $rc, expected 1"
	[ -z "$(ls $C)" ] || fail "a refused create left an item"
}

# What an ndctl user types: regionN, list -N with filters, ndctl's human
# sizes, --list-cmds, disable/enable keeping the settings, and a full
# region's refusal naming what fills it.
test_pmemuctl_ndctl_habits() {
	local j dev
	trap cleanup EXIT
	pmemuctl --list-cmds | grep -qx create-device || fail "--list-cmds lacks create-device"
	pmemuctl create-device --region region0 --size 256M --mode fsdax --name h0 > /dev/null ||
		fail "create-device --region region0"
	pmemuctl create-device --region 1 --offset auto --mode fsdax --name h1 > /dev/null ||
		fail "create-device --region 1 --offset auto (the rest of region1)"
	[ "$(pmemuctl list -N | jq -r '[.[].dev] | join(" ")')" = "h0 h1" ] || fail "list -N"
	[ "$(pmemuctl list -N -r region1 | jq -r '[.[].dev] | join(" ")')" = h1 ] ||
		fail "list -N -r region1: $(pmemuctl list -N -r region1)"
	j=$(pmemuctl list -N -u -n h0) || fail "list -N -u -n h0"
	echo "$j"
	jq -e 'type == "object" and .size == "256.00 MiB (268.44 MB)"' <<< "$j" > /dev/null ||
		fail "list -u: not ndctl's form for one device"
	dev=$(jq -r .blockdev <<< "$j")
	# h1 fills region1: a new device there is refused naming h1
	expect_fail pmemuctl create-device --region region1 --size 256M --mode fsdax --name h2 2> /tmp/e
	cat /tmp/e
	[ "$(wc -l < /tmp/e)" = 1 ] && grep -q "No space left on device; region1 is used by h1" /tmp/e ||
		fail "ENOSPC does not name the occupant in one line"
	[ ! -e $C/h2 ] || fail "the refused create left h2"
	pmemuctl disable-device h0 || fail "disable-device h0"
	[ ! -e /dev/$dev ] || fail "/dev/$dev still there after disable"
	[ "$(pmemuctl list -N | jq -r '[.[].dev] | join(" ")')" = h1 ] || fail "a disabled device listed without -i"
	j=$(pmemuctl list -N -i -n h0) && jq -e '.[0].enabled == false and .[0].size == 268435456' <<< "$j" > /dev/null ||
		fail "list -i: h0 not disabled with its size: $j"
	pmemuctl enable-device h0 > /tmp/en.json || fail "enable-device h0"
	jq -e '.enabled == true and .size == 268435456' /tmp/en.json > /dev/null || fail "enable printed $(cat /tmp/en.json)"
	pmemuctl destroy-device h0 && pmemuctl destroy-device /dev/$(pmemuctl list -n h1 | jq -r '.[0].blockdev') ||
		fail "destroy by name and by /dev path"
	[ -z "$(ls $C)" ] || fail "items left: $(ls $C)"
}

# --force takes an open device away as rmdir does: a mapped devdax device is
# destroyed (the writer gets SIGBUS), a mounted fsdax device is disabled
# and keeps its settings.
test_pmemuctl_force() {
	local dev pid blk
	trap 'kill -KILL $pid 2> /dev/null; wait $pid 2> /dev/null; umount_if /mnt/ff; cleanup' EXIT
	pmemuctl create-device --region 1 --size 512M --mode devdax --name fd > /dev/null || fail "create fd"
	dev=$(pmemuctl list -n fd | jq -r '.[0].chardev')
	mmap_writer /dev/$dev $((64 << 20)) > /tmp/wr.out 2>&1 &
	pid=$!
	wait_for 30 grep -q writing /tmp/wr.out || fail "writer did not start"
	expect_fail pmemuctl destroy-device fd 2> /tmp/e
	grep -q "Device or resource busy" /tmp/e || fail "destroy of an open device: $(cat /tmp/e)"
	[ -e $C/fd ] && [ -c /dev/$dev ] || fail "the refused destroy changed something"
	pmemuctl destroy-device --force fd 2> /tmp/e || { cat /tmp/e; fail "destroy-device --force"; }
	cat /tmp/e
	grep -q "in use: taking it away" /tmp/e || fail "--force did not say what it did"
	[ ! -e $C/fd ] && [ ! -e /dev/$dev ] || fail "fd still there after --force"
	ended $pid 20 "writer"
	pid=
	sigbus_in /tmp/wr.out
	wait_for 10 region_free 1 || fail "region1 not free after the writer exited"

	pmemuctl create-device --region 1 --size 512M --mode fsdax --name ff > /dev/null || fail "create ff"
	blk=$(pmemuctl list -n ff | jq -r '.[0].blockdev')
	mkfs_dax ext4 /dev/$blk > /dev/null || fail "mkfs /dev/$blk"
	mount_dax ext4 /dev/$blk /mnt/ff
	expect_fail pmemuctl disable-device ff 2> /tmp/e
	pmemuctl disable-device -f ff || fail "disable-device -f of a mounted device"
	[ ! -e /dev/$blk ] || fail "/dev/$blk still there"
	[ "$(cat $C/ff/enable)" = 0 ] && [ "$(cat $C/ff/size)" = $((512 << 20)) ] &&
		[ "$(cat $C/ff/region)" = 1 ] && [ "$(cat $C/ff/mode)" = fsdax ] ||
		fail "ff lost its settings"
	umount /mnt/ff || fail "umount after the forced disable"
	wait_for 10 region_free 1 || fail "region1 not free after umount"
	pmemuctl enable-device ff > /dev/null || fail "enable ff again"
	pmemuctl destroy-device ff || fail "destroy ff"
}

test_pmemuctl_loads_module() {
	# on failure, leave pmemu loaded as the suite expects
	trap 'grep -q "^pmemu " /proc/modules || load_pmemu "ranges=$(pmemu_boot_ranges)" autocreate=0' EXIT
	rmmod pmemu || fail "rmmod"
	[ -d /sys/module/pmemu ] && fail "pmemu still loaded after rmmod"
	pmemuctl list > /dev/null || fail "list without the module loaded"
	[ -d /sys/module/pmemu ] || fail "pmemuctl did not load the module"
	rmmod pmemu || fail "rmmod of the module pmemuctl loaded"
	load_pmemu "ranges=$(pmemu_boot_ranges)" autocreate=0 || fail "modprobe pmemu again"
}

pmemuctl_tests() {
	t_run "pmemuctl: create/list/destroy, map=mem and map=dev, both regions, ext4 -o dax (2 rounds)" test_pmemuctl_cycles
	t_run "pmemuctl: destroy of a mounted device refused, works after umount" test_pmemuctl_destroy_mounted
	t_run "pmemuctl: racing overlapping create-device: exactly one wins" test_pmemuctl_race
	t_run "pmemuctl: reconfigure-device, and restore after a failed one" test_pmemuctl_reconfigure
	t_run "pmemuctl: reconfigure-device that would move or cut data refused without --force" test_pmemuctl_reconfigure_keeps_data
	t_run "pmemuctl: bad input: message and exit 2/1, nothing created" test_pmemuctl_bad_input
	t_run "pmemuctl: devdax create/list/reconfigure/destroy, refusals" test_pmemuctl_devdax
	t_run "pmemuctl: ndctl habits: --region region0, list -N -r -n -u -i, --list-cmds, disable/enable, ENOSPC names the occupant" test_pmemuctl_ndctl_habits
	t_run "pmemuctl: destroy-device --force of a mapped devdax (SIGBUS), disable-device -f of a mounted fsdax (settings kept)" test_pmemuctl_force
	t_run "pmemuctl: loads the module through libkmod" test_pmemuctl_loads_module
}
