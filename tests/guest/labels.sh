#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# needs: nvdimm reboot layout (what tests/check-local asks of a test machine)
# Labels: an NVDIMM region records its named devices in its last 128 KiB,
# and they come back by themselves.  tests/check boots this four times on
# one NVDIMM file (--nvdimm 2G:FILE, no memmap range used), each boot with
# its own plan:
#
# layout:   a fresh region (empty label area) gets the autocreated device,
#           which is not recorded; then, loaded with autocreate=0, pmemuctl
#           makes l-ext4 (fsdax at 256 MiB, ext4 with data), l-dax (devdax
#           2M at 1 GiB, data through a mapping), l-gone (destroyed again)
#           and l-rec (fsdax, reconfigured to devdax); normal power-off.
#           First, reserved RAM (memmap=2G$6G) has labels with labels=1
#           only: a device there comes back after unbind, rmmod, modprobe.
# restore:  loaded with the defaults, the three devices are back with their
#           names, extents and uuids and their data, without any pmemuctl
#           call, and no device is autocreated; pmemuctl destroys a restored
#           device and a reload shows it stays destroyed; a corrupted copy
#           (written through libnvdimm's raw namespace, outside pmemu) is
#           rewritten from the other, for each copy in turn; both copies
#           corrupted: the region comes up empty with one message and
#           nothing written to it, creates are refused, init-labels starts
#           it afresh; then a create is held in the middle of its first
#           label copy (hold label_half) and the power is cut.
# torn-old: the region has the layout from before the cut-short update.
#           Then a create is held after its first copy is complete (hold
#           label_written) and the power is cut.
# torn-new: the region has the layout of that update.
. "$(dirname "$0")/lib.sh"

STEP=${1:-}
case "$STEP" in
layout) t_plan 4 ;;
restore) t_plan 6 ;;
torn-old) t_plan 2 ;;
torn-new) t_plan 1 ;;
*) t_plan 1; t_bail "usage: labels.sh layout|restore|torn-old|torn-new" ;;
esac

R=/sys/class/pmemu
C=/sys/kernel/config/pmemu
M=/mnt/l-ext4
MiB=$((1 << 20))
# the ext4 data, and a record of the layout (pmemuctl list) to compare with
DATA_MB=16
DAX_MB=4

# nfit_region: the number of pmemu's region on the NVDIMM, taken at load
nfit_region() {
	region_with_source nfit || { ls $R; fail "no region with source nfit"; }
}

# named_layout: "NAME MODE OFFSET SIZE ALIGN" of every live named device,
# sorted, read from sysfs (not through pmemuctl)
named_layout() {
	local d name
	for d in /sys/block/pmemu*/pmemu $R/pmemu*.dax; do
		[ -e "$d/name" ] || continue
		name=$(cat "$d/name")
		[ -n "$name" ] || continue
		# fsdax devices have no align attribute: 0
		echo "$name $(cat "$d/mode") $(cat "$d/offset") $(cat "$d/size") $(cat "$d/align" 2> /dev/null || echo 0)"
	done | sort
}

# nameless: the number of live devices without a name (autocreated)
nameless() {
	local d n=0
	for d in /sys/block/pmemu*/pmemu; do
		[ -e "$d/name" ] && [ -z "$(cat "$d/name")" ] && n=$((n + 1))
	done
	echo $n
}

# node NAME: the /dev name of live device NAME, from sysfs
node() {
	local d
	for d in /sys/block/pmemu*/pmemu $R/pmemu*.dax; do
		[ -e "$d/name" ] && [ "$(cat "$d/name")" = "$1" ] || continue
		case "$d" in
		*/pmemu) d=${d%/pmemu}; echo "${d##*/}" ;;
		*) echo "${d##*/}" ;;
		esac
		return 0
	done
	return 1
}

# expect_layout WHAT LINE...: the live named devices are exactly LINEs
expect_layout() {
	local what=$1 want got
	shift
	want=$(printf '%s\n' "$@" | sort)
	got=$(named_layout)
	[ "$got" = "$want" ] || fail "$what: devices
$got
expected
$want"
}

# the layout the layout boot leaves (l-rec reconfigured to devdax, 2M)
L_EXT4="l-ext4 fsdax $((256 * MiB)) $((512 * MiB)) 0"
L_DAX="l-dax devdax $((1024 * MiB)) $((256 * MiB)) $((2 * MiB))"
L_REC="l-rec devdax $((1536 * MiB)) $((64 * MiB)) $((2 * MiB))"

# dax_io DEV write|read: DAX_MB MiB at offset 2 MiB of a devdax device
# through a mapping; write fills them at random; both print their sha256
dax_io() {
	python3 - "/dev/$1" "$2" "$DAX_MB" <<'PY' || fail "devdax $2 through a mapping of /dev/$1"
import hashlib, mmap, os, sys
path, op, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
fd = os.open(path, os.O_RDWR)
m = mmap.mmap(fd, 2 * 2**20 + mb * 2**20, mmap.MAP_SHARED)
if op == "write":
    m[2 * 2**20:] = os.urandom(mb * 2**20)
print(hashlib.sha256(m[2 * 2**20:]).hexdigest())
m.close()
os.close(fd)
PY
}

# unloaded: a test's clean-up: nothing mounted, pmemu not loaded
unloaded() {
	umount_if "$M"
	cfs_remove l-ext4 l-dax l-gone l-rec t-keep t-new r-dax
	grep -q '^pmemu ' /proc/modules && rmmod pmemu
	return 0
}

# --- libnvdimm's view of the NVDIMM: the label area written from outside

ND=/dev/pmem0
COPY=$((64 << 10))

# to_nd: pmemu unloaded, the NVDIMM is libnvdimm's region0 with its raw
# namespace /dev/pmem0 over the whole range
to_nd() {
	grep -q '^pmemu ' /proc/modules && { rmmod pmemu || fail "rmmod pmemu"; }
	if grep -q '^nfit ' /proc/modules; then
		ndctl enable-region region0 > /dev/null || fail "ndctl enable-region region0"
	else
		modprobe -a nfit nd_pmem || fail "modprobe nfit nd_pmem"
	fi
	wait_for 10 test -b $ND || fail "no $ND from nfit"
}

# from_nd: region0 disabled, pmemu loaded (autocreate=0) and handed the
# range by claim-region; prints pmemu's region number
from_nd() {
	local json
	ndctl disable-region region0 > /dev/null || fail "ndctl disable-region region0"
	modprobe pmemu autocreate=0 || fail "modprobe pmemu"
	json=$(pmemuctl claim-region --ndctl-region region0) || fail "claim-region"
	jq -r .id <<< "$json"
}

# label_copy_sector N: the first 512-byte sector of label copy N on $ND
label_copy_sector() {
	echo $((($(blockdev --getsize64 $ND) - 2 * COPY + $1 * COPY) / 512))
}

# corrupt_copy N: 4 KiB of random bytes over the start of label copy N
corrupt_copy() {
	dd if=/dev/urandom of=$ND bs=512 count=8 seek="$(label_copy_sector "$1")" \
		oflag=direct conv=notrunc status=none || fail "corrupt label copy $1"
}

# label_area_sum: sha256 of the whole label area as libnvdimm reads it
label_area_sum() {
	dd if=$ND bs=512 count=$((2 * COPY / 512)) skip="$(label_copy_sector 0)" \
		iflag=direct status=none | sha256sum | cut -d' ' -f1
}

# --- boot 1: layout

test_fresh() {
	local id
	trap unloaded EXIT
	dmesg_mark fresh
	modprobe pmemu || fail "modprobe pmemu"
	id=$(nfit_region)
	[ "$(cat $R/region$id/labels)" = ok ] || fail "labels: $(cat $R/region$id/labels), expected ok"
	[ "$(cat $R/region$id/size)" = $(((2048 - 2) * MiB)) ] ||
		fail "region size $(cat $R/region$id/size): the NVDIMM less the 2 MiB of the label area expected"
	[ "$(nameless)" = 1 ] || fail "$(nameless) autocreated devices on a region that records none, expected 1"
	rmmod pmemu || fail "rmmod"
	modprobe pmemu || fail "modprobe pmemu again"
	[ "$(nameless)" = 1 ] && [ -z "$(named_layout)" ] || fail "after a reload: $(nameless) autocreated, named: $(named_layout)"
	dmesg_since fresh | grep -q "restored from its labels" && fail "an autocreated device was recorded"
	rmmod pmemu || fail "rmmod"
}

test_record() {
	local id
	trap unloaded EXIT
	modprobe pmemu autocreate=0 || fail "modprobe pmemu autocreate=0"
	id=$(nfit_region)
	pmemuctl create-device --name l-ext4 --region "$id" --mode fsdax --offset 256M --size 512M > /dev/null ||
		fail "create l-ext4"
	pmemuctl create-device --name l-dax --region "$id" --mode devdax --align 2M --offset 1G --size 256M > /dev/null ||
		fail "create l-dax"
	pmemuctl create-device --name l-gone --region "$id" --mode fsdax --offset 800M --size 64M > /dev/null ||
		fail "create l-gone"
	pmemuctl create-device --name l-rec --region "$id" --mode fsdax --offset 1536M --size 64M > /dev/null ||
		fail "create l-rec"
	pmemuctl destroy-device l-gone || fail "destroy l-gone"
	pmemuctl reconfigure-device l-rec --mode devdax > /dev/null || fail "reconfigure l-rec to devdax"
	expect_layout "after the changes" "$L_EXT4" "$L_DAX" "$L_REC"
	# the devices stay for the next boot: no clean-up on success
	trap - EXIT
}

test_data() {
	trap unloaded EXIT
	mkfs_dax ext4 "/dev/$(node l-ext4)" > /dev/null || fail "mkfs.ext4"
	mount_dax ext4 "/dev/$(node l-ext4)" $M
	dd if=/dev/urandom of=$M/data bs=1M count=$DATA_MB status=none || fail "write $M/data"
	(cd $M && sha256sum data > data.sha256) || fail "sha256sum"
	dax_io "$(node l-dax)" write > $M/dax.sha256
	pmemuctl list > $M/layout.json || fail "pmemuctl list"
	jq -e 'length == 3 and all(.[]; .uuid | test("^[0-9a-f-]{36}$"))' $M/layout.json > /dev/null ||
		{ cat $M/layout.json; fail "pmemuctl list: three devices with a uuid each expected"; }
	umount $M || fail "umount"
	trap - EXIT
}

# reserved RAM keeps labels only with labels=1; there, a device comes back
# after a reload (RAM keeps its contents while the guest runs)
test_ram_labels() {
	local id pdev want
	trap unloaded EXIT
	load_pmemu "ranges=2G@6G" autocreate=0 nvdimm=N || fail "modprobe pmemu"
	[ "$(cat $R/region0/labels)" = none ] || fail "reserved RAM without labels=1: labels $(cat $R/region0/labels)"
	[ "$(cat $R/region0/size)" = $((2048 * MiB)) ] || fail "reserved RAM without labels: size $(cat $R/region0/size)"
	rmmod pmemu || fail "rmmod"
	load_pmemu "ranges=2G@6G" autocreate=0 nvdimm=N labels=1 || fail "modprobe pmemu labels=1"
	id=0
	[ "$(cat $R/region$id/labels)" = ok ] || fail "labels=1: labels $(cat $R/region$id/labels)"
	pmemuctl create-device --name r-dax --region $id --mode devdax --align 2M --offset 512M --size 64M > /dev/null ||
		fail "create r-dax"
	want=$(dax_io "$(node r-dax)" write)
	pdev=$(basename "$(readlink -f $R/region$id/device)")
	echo "$pdev" > /sys/bus/platform/drivers/pmemu/unbind || fail "unbind $pdev"
	rmdir $C/r-dax && rmmod pmemu || fail "rmdir, rmmod"
	load_pmemu "ranges=2G@6G" autocreate=0 nvdimm=N labels=1 || fail "modprobe pmemu labels=1 again"
	expect_layout "reserved RAM after a reload" "r-dax devdax $((512 * MiB)) $((64 * MiB)) $((2 * MiB))"
	[ "$(dax_io "$(node r-dax)" read)" = "$want" ] || fail "r-dax data changed"
	pmemuctl destroy-device r-dax || fail "destroy r-dax"
	rmmod pmemu || fail "rmmod"
	trap - EXIT
}

# --- boot 2: restore

test_back() {
	local id
	trap unloaded EXIT
	dmesg_mark back
	modprobe pmemu || fail "modprobe pmemu"
	id=$(nfit_region)
	expect_layout "after the power cycle" "$L_EXT4" "$L_DAX" "$L_REC"
	[ "$(nameless)" = 0 ] || fail "a device was autocreated on a region whose labels record devices"
	[ -z "$(ls $C)" ] || fail "configfs items exist without any pmemuctl call: $(ls $C)"
	[ "$(cat $R/region$id/labels)" = ok ] || fail "labels: $(cat $R/region$id/labels)"
	dmesg_since back | grep -q "region$id: devices restored from its labels: 3" ||
		{ dmesg_since back; fail "no message of the restore"; }
	trap - EXIT
}

test_back_data() {
	local n want got
	trap unloaded EXIT
	mkdir -p $M
	mount -o dax "/dev/$(node l-ext4)" $M || fail "ext4 on l-ext4 does not mount after the power cycle"
	require_dax_mount $M ext4
	(cd $M && sha256sum --quiet -c data.sha256) || fail "the ext4 data changed"
	[ "$(dax_io "$(node l-dax)" read)" = "$(cat $M/dax.sha256)" ] || fail "the devdax data changed"
	for n in l-ext4 l-dax l-rec; do
		want=$(jq -r --arg n $n '.[] | select(.name == $n) | .uuid' $M/layout.json)
		got=$(pmemuctl list -n $n | jq -r '.[0].uuid')
		[ "$got" = "$want" ] || fail "$n: uuid $got, recorded $want"
	done
	umount $M || fail "umount"
	trap - EXIT
}

test_manage() {
	local out pdev
	trap unloaded EXIT
	out=$(pmemuctl create-device --name l-dax --region "$(nfit_region)" --mode fsdax --size 64M 2>&1) &&
		fail "create-device of a restored device's name succeeded: $out"
	echo "$out"
	grep -q "l-dax" <<< "$out" || fail "no message naming l-dax"
	pmemuctl destroy-device l-rec || fail "destroy-device of a restored device"
	[ -e $C/l-rec ] && fail "l-rec's configfs item is still there"
	expect_layout "after the destroy" "$L_EXT4" "$L_DAX"
	# no item pins the module: rmmod takes the live devices (l-dax is
	# devdax, with debugfs counters) down, unrecorded; they come back
	rmmod pmemu || fail "rmmod with restored devices live"
	modprobe pmemu || fail "modprobe"
	expect_layout "after rmmod, modprobe" "$L_EXT4" "$L_DAX"
	# an item takes the restored device of its name at its first use
	mkdir $C/l-dax || fail "mkdir l-dax"
	[ "$(cat $C/l-dax/enable)" = 1 ] && [ "$(cat $C/l-dax/offset)" = $((1024 * MiB)) ] ||
		fail "the item l-dax did not take its device: enable $(cat $C/l-dax/enable)"
	# a reload that keeps the devices: unbind (records nothing), then the
	# items (no device now) can go, then rmmod
	pdev=$(basename "$(readlink -f $R/region$(nfit_region)/device)")
	echo "$pdev" > /sys/bus/platform/drivers/pmemu/unbind || fail "unbind $pdev"
	rmdir $C/l-dax || fail "rmdir l-dax"
	rmmod pmemu || fail "rmmod"
	modprobe pmemu || fail "modprobe"
	expect_layout "after unbind, rmmod, modprobe" "$L_EXT4" "$L_DAX"
	trap - EXIT
}

test_one_copy() {
	local c
	trap unloaded EXIT
	for c in 0 1; do
		to_nd
		corrupt_copy $c
		dmesg_mark "copy $c"
		from_nd > /dev/null
		dmesg_since "copy $c" | grep -E "label copy $c: [a-z ]+; rewritten from copy $((1 - c))" ||
			{ dmesg_since "copy $c"; fail "no rewrite of copy $c"; }
		expect_layout "with copy $c corrupted" "$L_EXT4" "$L_DAX"
	done
	trap - EXIT
}

test_damaged() {
	local id sum out
	trap unloaded EXIT
	to_nd
	corrupt_copy 0
	corrupt_copy 1
	sum=$(label_area_sum)
	dmesg_mark damaged
	id=$(from_nd)
	[ "$(cat $R/region$id/labels)" = damaged ] || fail "labels: $(cat $R/region$id/labels), expected damaged"
	[ -z "$(named_layout)" ] && [ "$(nameless)" = 0 ] || fail "devices on a damaged region: $(named_layout)"
	[ "$(dmesg_since damaged | grep -c "region$id: label area damaged")" = 1 ] ||
		{ dmesg_since damaged; fail "not one message of the damage"; }
	out=$(pmemuctl create-device --name t-keep --region "$id" --mode fsdax --size 64M 2>&1) &&
		fail "create-device on a damaged region succeeded"
	echo "$out"
	rmmod pmemu || fail "rmmod"
	ndctl enable-region region0 > /dev/null || fail "ndctl enable-region"
	wait_for 10 test -b $ND || fail "no $ND"
	[ "$(label_area_sum)" = "$sum" ] || fail "pmemu wrote to a damaged label area"
	id=$(from_nd)
	pmemuctl init-labels --region "$id" > /dev/null || fail "init-labels"
	[ "$(cat $R/region$id/labels)" = ok ] || fail "labels after init-labels: $(cat $R/region$id/labels)"
	pmemuctl create-device --name t-keep --region "$id" --mode fsdax --offset 0 --size 64M > /dev/null ||
		fail "create after init-labels"
	out=$(pmemuctl init-labels --region "$id" 2>&1) && fail "init-labels with a device on the region succeeded"
	echo "$out"
	grep -q "destroy them first" <<< "$out" || fail "init-labels refused without saying why"
	[ "$(cat $R/region$id/labels)" = ok ] || fail "labels after a refused init-labels: $(cat $R/region$id/labels)"
	trap - EXIT
}

# cut_power_in HOLD NAME: a create of NAME held at HOLD, then the power cut
# (the held task keeps its place: guest-init does not kill it)
cut_power_in() {
	local id
	id=$(region_with_source ndctl || region_with_source nfit) || fail "no NVDIMM region"
	echo 1 > "$DBG/hold/$1" || fail "arm $1"
	setsid -f pmemuctl create-device --name "$2" --region "$id" --mode fsdax \
		--offset 128M --size 64M > /dev/null 2>&1
	wait_for 30 grep -q '^1 1$' "$DBG/hold/$1" || fail "the create never reached $1"
	touch /run/pmemu-powercut
}

test_cut_half() {
	cut_power_in label_half t-torn
}

# --- boot 3 and 4: what the power cut left

test_torn_old() {
	trap unloaded EXIT
	dmesg_mark torn
	modprobe pmemu autocreate=0 || fail "modprobe pmemu"
	expect_layout "after a power cut in the first copy" "t-keep fsdax 0 $((64 * MiB)) 0"
	dmesg_since torn | grep -E "label copy [01]: [a-z ]+; rewritten from copy [01]" ||
		{ dmesg_since torn; fail "the torn copy was not rewritten"; }
	trap - EXIT
}

test_cut_written() {
	cut_power_in label_written t-new
}

test_torn_new() {
	dmesg_mark torn
	modprobe pmemu autocreate=0 || fail "modprobe pmemu"
	expect_layout "after a power cut between the copies" "t-keep fsdax 0 $((64 * MiB)) 0" \
		"t-new fsdax $((128 * MiB)) $((64 * MiB)) 0"
	dmesg_since torn | grep -E "label copy [01]: older \(an update was cut short\); rewritten" ||
		{ dmesg_since torn; fail "the older copy was not brought up to date"; }
}

case "$STEP" in
layout)
	t_run "reserved RAM: no label area, but with labels=1 a device comes back after a reload" test_ram_labels
	t_run "a fresh region: empty labels, size less the label area, autocreate applies and is not recorded" test_fresh
	t_run "pmemuctl creates, destroys and reconfigures devices on a region with labels" test_record
	t_run "ext4 with data on l-ext4, data through a mapping of l-dax" test_data
	;;
restore)
	t_run "after a power cycle the named devices are back by themselves (names, extents), nothing autocreated" test_back
	t_run "their data and uuids are what they were" test_back_data
	t_run "restored devices are managed: a name in use refused, a destroy recorded, an item takes its device, a reload keeps them" test_manage
	t_run "one corrupted label copy (each in turn) is rewritten from the other" test_one_copy
	t_run "both copies corrupted: region empty, one message, nothing written, init-labels recovers" test_damaged
	t_run "power cut while the first label copy is half written (hold label_half)" test_cut_half
	;;
torn-old)
	t_run "the cut-short update left the old layout" test_torn_old
	t_run "power cut after the first label copy is written (hold label_written)" test_cut_written
	;;
torn-new)
	t_run "the cut update left the new layout" test_torn_new
	;;
esac
t_done
