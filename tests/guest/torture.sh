#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# needs: 2x2G nvdimm (what tests/check-local asks of a test machine)
# Torture: every operation raced against every other.
#
# Usage: torture.sh [SECONDS [SEED [WORKERS]]]   (default 180 s, a seed from
# the clock, 2 workers per CPU)
#
# WORKERS shells each pick operations from their own PRNG (bash's RANDOM,
# seeded from SEED and the worker's number, so a seed replays the same
# choices; the interleaving is the machine's) for SECONDS, over both
# reserved ranges (and an NVDIMM when the guest has one) and 8 configfs
# device slots t0..t7 plus pmemuctl's p0..p3:
#   control  configfs devices made whole, mkdir/rmdir, attribute writes
#            (valid and invalid), enable/disable, pmemuctl
#            create/destroy/reconfigure/list/enable/disable, and with an
#            NVDIMM (nfit loaded: libnvdimm owns it) pmemuctl
#            claim-region/release-region; one in 40:
#            platform unbind (bind comes back as an operation),
#            remove_region (add_region at once), rmmod (modprobe at once)
#   data     devdax mapping work (torture_mapper: touch, fork, DONTNEED,
#            partial munmap, mremap, vmsplice pins), held pins (pin_hold:
#            vmsplice or io_uring fixed buffers), O_DIRECT reads into a
#            devdax page held in flight by a suspended dm device
#            (odirect_hold, the buffer unmapped or not),
#            fsdax mkfs + mount -o dax + fio verify + a kept file's
#            checksum + umount, raw block fio (psync, libaio, io_uring)
#            and write-zeroes
#   faults   inject-error and clear, MADV_HWPOISON, drop_caches, a balloon
#            of anonymous memory, and on kernels with FAILSLAB a failing
#            slab allocation in enable (tests/guest/failslab.sh)
# Every operation runs under a time bound.  A failure is: an operation that
# hangs past its bound, a refusal without a message (pmemuctl), data read
# back wrong on a device nothing disturbed (no injection, unbind, region
# removal or unload during the operation), an O_DIRECT read that does not
# complete once its I/O is let go, a process in D state for more than
# 60 s, a worker that does not stop.  Refusals (EBUSY, EINVAL, ENOSPC,
# ENXIO...) are the point: they are counted, not failed.
#
# Afterwards everything is released and: every region's extent is free,
# the NVDIMM is libnvdimm's again with its /dev/pmem0,
# no devdax device has a folio in use or a page map reference, pmemu's
# module reference count is 0, rmmod succeeds, and MemFree is back within
# 256 MiB (times 2 on the debug kernel).  tests/check and tests/torture/run
# judge the whole kernel log.
#
# Output: "# progress ..." every 10 s, the per-kind counts, the last
# operations of every worker on a failure, and the line
# "# torture: seed S, T s, N operations, F failures".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/failslab.sh"

TIME=${1:-180}
SEED=${2:-$(date +%s)}
WORKERS=${3:-$((2 * $(nproc)))}
T=/tmp/torture
C=/sys/kernel/config/pmemu
CLS=/sys/class/pmemu
PDRV=/sys/bus/platform/drivers/pmemu
SLOTS=8
KINDS="control data faults"
RANGES=$(pmemu_boot_ranges)

t_plan 3
echo "# torture: seed $SEED, $TIME s, $WORKERS workers (replay: TORTURE_SEED=$SEED)"
exec 3>&1	# progress lines from inside t_run

# --- bookkeeping -----------------------------------------------------------

# rnd N: R = a number in 0..N-1 from this shell's PRNG (never in a command
# substitution: a subshell would not advance the worker's sequence).
rnd() { R=$((RANDOM % $1)); }

# pick WORD...: P = one of the words.
pick() {
	rnd $#
	shift $R
	P=$1
}

# note KIND OP OUTCOME: log one operation of this worker; OUTCOME is "ok",
# "refused: ..." or "FAIL: ...".
note() {
	printf '%(%s)T w%s %s %s: %s\n' -1 "$W" "$1" "$2" "$3" >> $T/w$W.log
}

# event WHAT SCOPE...: something that may disturb data in flight (unbind,
# region removal, unload, media error), logged before and after it acts,
# with what it may touch: device names, region names (regionN), or "all".
# A data check spanning one within its scope is not a failure
# (undisturbed).
event() { printf '%(%s)T w%s %s\n' -1 "$W" "$*" >> $T/events; }
events() { wc -l < $T/events; }

# bad_blocks DEV: DEV's media error list (empty when clean).
bad_blocks() {
	cat "/sys/block/$1/badblocks" "$CLS/$1/badblocks" 2> /dev/null
}

# dev_id DEV: this instance of DEV while it is live: a disk's diskseq
# (never reused) or a character device's devtmpfs inode, and the configfs
# item's state.  Differs once DEV is taken away, even before its node goes.
dev_id() {
	local id st=""
	id=$(cat "/sys/block/$1/diskseq" 2> /dev/null || stat -c %i "/dev/$1" 2> /dev/null)
	read -r st < "$D/state" 2> /dev/null
	[ -n "$id" ] && echo "$id $st"
}

# mark DEV: the state a data check on DEV (of configfs item D) starts
# from: the event count, DEV's instance, its region, its media errors.
mark() {
	local r=""
	MARK_N=$(events)
	MARK_ID=$(dev_id "$1")
	read -r r < "$D/region" 2> /dev/null
	MARK_REG=region$r
	MARK_BAD=$(bad_blocks "$1")
}

# touched DEV: an event since mark may have reached DEV.
touched() {
	awk -v n="$MARK_N" -v d="$1" -v r="$MARK_REG" \
		'NR > n { for (i = 4; i <= NF; i++) if ($i == d || $i == r || $i == "all") t = 1 }
		 END { exit !t }' $T/events
}

# same_dev DEV: DEV is still the live instance it was at mark (a disable,
# destroy or rmdir before the open, or a teardown, makes it another).
same_dev() {
	[ -n "$MARK_ID" ] && [ "$(dev_id "$1")" = "$MARK_ID" ]
}

# undisturbed DEV: DEV is the same device, nothing that may change its
# data reached it since mark, and it has no media error (an error injected
# earlier and not overwritten fails reads wherever it is).
undisturbed() {
	same_dev "$1" && ! touched "$1" && [ -z "$MARK_BAD" ] && [ -z "$(bad_blocks "$1")" ]
}

# evidence WHAT: keep this worker's last outputs for a failure report.
evidence() {
	local f=$T/fail.$(date +%s).w$W
	cp $T/w$W.fio "$f.fio" 2> /dev/null
	cp $T/w$W.err "$f.err" 2> /dev/null
	{ echo "$1: mark $MARK_N $MARK_ID $MARK_REG bad '$MARK_BAD', now $(events) $(dev_id "$DEV") bad '$(bad_blocks "$DEV")'"
	  tail -n +$((MARK_N + 1)) $T/events; } > "$f.state"
}

# verify_error FILE...: fio read back data other than it wrote (as
# opposed to an I/O error).
verify_error() {
	grep -q -e '^verify: ' -e 'bad magic header' -e 'bad header' -e 'crc32c.*fail' "$@" 2> /dev/null
}

# bounded SECONDS CMD...: run CMD under a time bound (scaled on the debug
# lane), its stderr in $T/w$W.err; status 124 when it had to be killed.
bounded() {
	local s=$1
	shift
	timeout -k 10 $((s * T_SLOW)) "$@" 2> $T/w$W.err
}

# result KIND OP RC: note the outcome of a command: 0 ok, 124
# or 137 (killed at its bound) a failure, anything else a refusal whose
# message is in the error file.
result() {
	local msg=""
	read -r -N 200 msg < $T/w$W.err
	msg=${msg//$'\n'/ }
	case $3 in
	0) note "$1" "$2" ok ;;
	124 | 137) note "$1" "$2" "FAIL: hung past its bound ($msg)" ;;
	126 | 127) note "$1" "$2" "FAIL: could not run it ($msg)" ;;
	*) note "$1" "$2" "refused: rc $3 ${msg:-(no message)}" ;;
	esac
}

# write_attr KIND OP VALUE FILE: echo VALUE > FILE as one operation.
write_attr() {
	bounded 60 bash -c 'echo "$1" > "$2"' sh "$3" "$4"
	result "$1" "$2" $?
}

# dev_of SLOTDIR: the /dev name of an enabled configfs device, or nothing.
dev_of() {
	local d=""
	read -r d < "$1/dev" 2> /dev/null
	[ -n "$d" ] && { [ -b "/dev/$d" ] || [ -c "/dev/$d" ]; } && echo "$d"
}

# regions: the numbers of the regions that exist now.
regions() {
	local r out=""
	for r in $CLS/region*; do
		[ -d "$r" ] && out="$out ${r##*/region}"
	done
	echo "${out:-0}"
}

# --- control ---------------------------------------------------------------

op_mkdir() { bounded 30 mkdir $C/t$1; result control mkdir $?; }
op_rmdir() { bounded 60 rmdir $C/t$1; result control rmdir $?; }
op_enable() { write_attr control enable 1 $C/t$1/enable; }
op_disable() { write_attr control disable 0 $C/t$1/enable; }

# a whole valid device in one go (the configfs way; pmemuctl has its own)
op_create() {
	local s=$1 d=$C/t$1 r mode size
	pick $(regions); r=$P
	pick fsdax devdax; mode=$P
	# fsdax big enough for xfs (300 MB)
	if [ "$mode" = fsdax ]; then pick 256M 512M; else pick 64M 128M 256M; fi
	size=$P
	local attrs="region=$r size=$size mode=$mode"
	if [ "$mode" = devdax ]; then
		pick 4K 2M 2M; attrs="$attrs align=$P"
		pick sweep tracked; attrs="$attrs lifetime=$P"
	fi
	pick mem mem mem dev; attrs="$attrs map=$P"
	bounded 60 bash -c 'd=$1; shift; mkdir -p "$d" || exit
		for kv; do echo "${kv#*=}" > "$d/${kv%%=*}" || exit; done
		echo 1 > "$d/enable"' sh "$d" $attrs
	result control create $?
}

op_config() {
	local s=$1 attr val
	pick region size mode map align lifetime offset
	attr=$P
	case $attr in
	region) pick $(regions) 7 -1 x; val=$P ;;
	size) pick 64M 128M 256M 1G 0 3M garbage; val=$P ;;
	mode) pick fsdax devdax devdax bogus; val=$P ;;
	map) pick mem mem dev x; val=$P ;;
	align) pick 4K 2M 1G 2M 8K; val=$P ;;
	lifetime) pick sweep tracked sweep never; val=$P ;;
	offset) pick auto auto 0 2M 1G 4K; val=$P ;;
	esac
	write_attr control "config-$attr" "$val" $C/t$s/$attr
}

op_pmemuctl() {
	local n=p$(($1 % 4)) cmd
	pick create create destroy reconfigure list enable disable
	cmd=$P
	case $cmd in
	create)
		pick $(regions); local r=$P
		pick fsdax devdax; local m=$P
		pick 64M 128M 256M; local sz=$P
		bounded 60 pmemuctl create-device --region "$r" --mode "$m" --size "$sz" --name $n > /dev/null ;;
	destroy) bounded 60 pmemuctl destroy-device $n ;;
	reconfigure)
		pick 128M 256M 512M; bounded 60 pmemuctl reconfigure-device $n --size "$P" > /dev/null ;;
	list) bounded 60 pmemuctl list > $T/w$W.json && jq -e . $T/w$W.json > /dev/null 2>> $T/w$W.err ;;
	enable) bounded 60 pmemuctl enable-device $n ;;
	disable) bounded 60 pmemuctl disable-device $n ;;
	esac
	local rc=$?
	# pmemuctl refuses with one message; list must work
	if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ $rc -ne 137 ] && [ ! -s $T/w$W.err ]; then
		note control "pmemuctl-$cmd" "FAIL: exit $rc without a message"
	elif [ "$cmd" = list ] && [ $rc -ne 0 ]; then
		note control "pmemuctl-list" "FAIL: list failed: $(head -c 200 $T/w$W.err)"
	else
		result control "pmemuctl-$cmd" $rc
	fi
}

# platform_regions PDEV: the regions platform device PDEV has made.
platform_regions() {
	local r
	for r in $CLS/region*; do
		[ "$(basename "$(readlink -f "$r/device")")" = "$1" ] && echo "${r##*/}"
	done
}

op_unbind() {
	local devs scope
	devs=$(cd /sys/bus/platform/devices && ls -d pmemu.* 2> /dev/null)
	[ -n "$devs" ] || { note control unbind "refused: no platform device"; return 0; }
	pick $devs
	scope="$P $(platform_regions "$P")"
	event unbind $scope
	write_attr control unbind "$P" $PDRV/unbind
	event unbound $scope
}

op_bind() {
	local dev
	for dev in /sys/bus/platform/devices/pmemu.*; do
		[ -e "$dev" ] && [ ! -e "$dev/driver" ] && break
		dev=
	done
	[ -n "$dev" ] || { note control bind "refused: nothing unbound"; return 0; }
	write_attr control bind "${dev##*/}" $PDRV/bind
}

op_region() {
	pick $(regions); local r=$P
	event remove_region "region$r"
	write_attr control remove_region "$r" $CLS/remove_region
	event removed "region$r"
	# give a removed range back at once: the rest of the run needs it
	restore_regions control
}

# restore_regions KIND: add_region every boot range no region holds (a
# removed one; a range whose platform device is only unbound is bound again
# by op_bind).
restore_regions() {
	local rng
	[ -d $CLS ] || return 0
	for rng in ${RANGES//,/ }; do
		range_taken "$rng" || write_attr "$1" add_region "$rng" $CLS/add_region
	done
}

# range_taken SIZE@START: a region, or an unbound pmemu platform device
# that will make one when bound, holds that boot range.
range_taken() {
	local r start
	start=$(printf '0x%x' "$(numfmt --from=iec "${1#*@}")")
	for r in $CLS/region*; do
		[ "$(cat "$r/start" 2> /dev/null)" = "$start" ] && return 0
	done
	grep -qi "^ *${start#0x}-.*pmemu" /proc/iomem
}

op_module() {
	event rmmod all
	bounded 60 rmmod pmemu
	local rc=$?
	event rmmod-done all
	result control rmmod $rc
	[ $rc -eq 0 ] || return 0
	bounded 120 modprobe pmemu "ranges=$RANGES" autocreate=0
	rc=$?
	# the configuration is gone with the module: the slots start again
	[ $rc -eq 0 ] && note control modprobe ok ||
		note control modprobe "FAIL: modprobe after rmmod: rc $rc $(head -c 200 $T/w$W.err)"
}

# pmemuctl claim-region / release-region of the NVDIMM: refusals (a
# namespace or pmemu device in use, already claimed, nothing claimed) are
# fine; remove_region and rmmod also take a claimed region away, leaving
# libnvdimm's disabled until the next claim.
op_claim() {
	bounded 60 pmemuctl claim-region --ndctl-region "$NDREGION" > /dev/null
	result control claim $?
}

op_release() {
	bounded 60 pmemuctl release-region --ndctl-region "$NDREGION"
	result control release $?
}

# --- data ------------------------------------------------------------------

# pick_dev MODE KIND OP: D and DEV = the configfs directory and /dev name
# of an enabled device of MODE (any mode if MODE is "any"), picked at
# random; or a refusal noted and status 1.
pick_dev() {
	local d list="" v m
	for d in $C/*; do
		v="" m=""
		read -r v < "$d/dev" 2> /dev/null
		[ -n "$v" ] || continue
		read -r m < "$d/mode" 2> /dev/null
		[ "$1" = any ] || [ "$m" = "$1" ] || continue
		list="$list $d"
	done
	[ -n "$list" ] || { note "$2" "$3" "refused: no $1 device"; return 1; }
	pick $list
	D=$P
	DEV=$(dev_of "$D") || { note "$2" "$3" "refused: device went away"; return 1; }
}

# data_len DEV: bytes of a devdax device's data area.
data_len() {
	echo $(($(cat $CLS/$1/size) - $(cat $CLS/$1/data_offset)))
}

# devdax KIND OP: D, DEV, LEN, ALIGN of a devdax device picked at random,
# or a refusal noted and status 1.
devdax() {
	pick_dev devdax "$1" "$2" || return 1
	LEN=$(data_len "$DEV" 2> /dev/null) && ALIGN=$(cat "$CLS/$DEV/align" 2> /dev/null) ||
		{ note "$1" "$2" "refused: device went away"; return 1; }
}

# Data checks need the pages to themselves: mapping work, pins and poison
# on one device take its slot's lock (with_slot_lock), the control
# operations racing them do not.
map_run() {
	mark "$DEV"
	bounded 90 torture_mapper "/dev/$DEV" "$LEN" "$ALIGN" "$1" 16
	data_result data map $?
}

# locked_devdax KIND OP FUNC: FUNC SEED under the slot lock of a devdax
# device picked at random.
locked_devdax() {
	devdax "$1" "$2" || return 0
	rnd 100000
	with_slot_lock "${D##*/}" "$3" $R
	[ $? -eq 75 ] && note "$1" "$2" "refused: slot busy"
	return 0
}

op_map() { locked_devdax data map map_run; }

# data_result KIND OP RC: torture_mapper/pin_hold outcomes on DEV since
# mark: 10 the device could not be used, 11 or 135 SIGBUS, 3 a data
# mismatch (a failure unless something disturbed the device).
data_result() {
	case $3 in
	0) note "$1" "$2" ok ;;
	10 | 11 | 135) note "$1" "$2" "refused: rc $3 (SIGBUS: a media error or a fenced device) $(head -c 200 $T/w$W.err | tr '\n' ' ')" ;;
	3) if ! undisturbed "$DEV"; then
		note "$1" "$2" "refused: data differs after a disturbance"
	   else
		note "$1" "$2" "FAIL: data differs: $(head -c 200 $T/w$W.err | tr '\n' ' ')"
	   fi ;;
	*) result "$1" "$2" "$3" ;;
	esac
}

# said_or_gone WORD FILE PID: the program PID has written WORD to FILE, or
# has exited.
said_or_gone() {
	grep -q "$1" "$2" || ! kill -0 "$3" 2> /dev/null
}

pin_run() {
	local how=$1 hold=$2 pid
	mark "$DEV"
	pin_hold $how "/dev/$DEV" "$ALIGN" > $T/w$W.pin 2> $T/w$W.err &
	pid=$!
	if ! wait_for 20 said_or_gone pinned $T/w$W.pin $pid; then
		note data pin "FAIL: not pinned after 20 s: state $(awk '{ print $3 }' /proc/$pid/stat 2> /dev/null), in $(tr '\n' ' ' < /proc/$pid/stack 2> /dev/null | head -c 300)"
		kill -KILL $pid 2> /dev/null
		wait $pid
		return 0
	fi
	if ! grep -q pinned $T/w$W.pin; then
		wait $pid
		data_result data pin $?	# it could not pin: open, mmap, a fault or the pin refused
		return 0
	fi
	sleep "$hold"	# hold the pin while the others run
	kill -USR1 $pid
	timeout $((30 * T_SLOW)) tail --pid=$pid -f /dev/null ||
		{ kill -KILL $pid; note data pin "FAIL: pin_hold did not finish"; return 0; }
	wait $pid
	data_result data pin $?
}

op_pin() {
	local how="" lt=""
	devdax data pin || return 0
	rnd 2
	[ $R -eq 1 ] && how=--io-uring
	# A FOLL_LONGTERM pin of a tracked (device-coherent) 2 MiB folio meets
	# WARN_ON_ONCE(folio_test_large()) in migrate_device_coherent_folio():
	# a kernel limitation (docs/lifetime.md), found again by this lane;
	# devdax_test leaves it out the same way.
	read -r lt < "$CLS/$DEV/lifetime" 2> /dev/null
	[ "$lt" = tracked ] && [ "$ALIGN" != 4096 ] && how=""
	rnd 30
	with_slot_lock "${D##*/}" pin_run "$how" "0.$R"
	[ $? -eq 75 ] && note data pin "refused: slot busy"
	return 0
}

# odirect_run HOW HOLD: an O_DIRECT read into a devdax page (odirect_hold,
# --unmap or not) held in flight by this worker's suspended dm device for
# HOLD seconds while the others race it (disable, rmdir, unbind and rmmod
# meet the pinned page), then let go: the read must complete, into the
# pinned page even if the device went away meanwhile.
odirect_run() {
	local how=$1 hold=$2 pid rc dm
	read -r dm < $T/odm.$W
	bounded 30 dmsetup suspend od$W || { result data odirect $?; return 0; }
	# shellcheck disable=SC2086
	odirect_hold $how "/dev/$DEV" "/dev/$dm" > $T/w$W.od 2> $T/w$W.err &
	pid=$!
	if wait_for 20 said_or_gone reading $T/w$W.od $pid && grep -q reading $T/w$W.od; then
		sleep "$hold"
		[ -n "$how" ] && kill -USR1 $pid 2> /dev/null
	fi
	bounded 30 dmsetup resume od$W || note data odirect "FAIL: dmsetup resume: $(head -c 200 $T/w$W.err)"
	timeout $((30 * T_SLOW)) tail --pid=$pid -f /dev/null ||
		{ kill -KILL $pid; note data odirect "FAIL: the read did not complete after its I/O was let go"; return 0; }
	wait $pid
	rc=$?
	if grep -q "^read 4096" $T/w$W.od; then
		note data odirect "ok${how:+ (unmapped)}"
	elif grep -q "^read" $T/w$W.od; then
		note data odirect "FAIL: $(grep -m1 '^read' $T/w$W.od)"
	else
		data_result data odirect $rc	# could not open, map or touch the device
	fi
}

op_odirect() {
	local how=""
	devdax data odirect || return 0
	# odirect_hold maps 2 MiB
	[ "$ALIGN" -le $((2 << 20)) ] && [ "$LEN" -ge $((2 << 20)) ] ||
		{ note data odirect "refused: align $ALIGN, $LEN bytes"; return 0; }
	rnd 2
	[ $R -eq 1 ] && how=--unmap
	rnd 3
	with_slot_lock "${D##*/}" odirect_run "$how" $((R + 1))
	[ $? -eq 75 ] && note data odirect "refused: slot busy"
	return 0
}

# with_slot_lock S CMD...: CMD in a subshell holding slot S's lock (data
# operations on its device); status 75 if it stayed busy.
with_slot_lock() {
	local s=$1
	shift
	(flock -w $((60 * T_SLOW)) 9 || exit 75; "$@") 9> $T/lock.$s
}

# data_check KIND OP RC DEV: the outcome of a fio verify run on DEV since
# mark.  Data read back other than written is a failure whenever DEV is
# still the same live device: no unbind, injection or unload makes a
# device return other data, only errors.  Any other error is one unless
# something reached DEV meanwhile.  The failure's outputs are kept.
data_check() {
	local msg
	msg=$(grep -h -m2 -e 'verify' -e 'error' -e 'bad ' $T/w$W.fio $T/w$W.err | tr '\n' ' ' | head -c 300)
	[ -n "$msg" ] || msg=$(grep -h -v '^ *$' $T/w$W.err | tail -n 2 | tr '\n' ' ' | head -c 300)
	if [ "$3" -eq 0 ] || [ "$3" -eq 124 ] || [ "$3" -eq 137 ]; then
		result "$1" "$2" "$3"
	elif verify_error $T/w$W.fio $T/w$W.err && same_dev "$4"; then
		evidence "$2"
		note "$1" "$2" "FAIL: read back other data than written on $4, still the same live device: $msg"
	elif undisturbed "$4"; then
		evidence "$2"
		note "$1" "$2" "FAIL: fio failed on an undisturbed $4: $msg"
	else
		note "$1" "$2" "refused: rc $3 after a disturbance: $msg"
	fi
}

# FIO_VERIFY: a write-then-verify job.  Each run gets its own seed so that
# stale data from an earlier run cannot pass for this one's; no state file
# (the working directory is read-only).
FIO_VERIFY="--bs=4k --rw=randwrite --verify=crc32c --verify_state_save=0"

fs_session() {
	local s=$1 d=$2 dev=$3 fs=$4 engine=$5 seed=$6 mnt=/mnt/t$1 rc
	mark "$dev"
	# xfs without rmapbt (the mkfs default has it): taking a mounted xfs
	# with rmapbt away spins forever in the 7.3 kernel once a DAX file has
	# extents in a non-last AG, with nd_pmem too (docs/lifetime.md); this
	# lane found it again (seed 1796000001).
	case $fs in
	ext4) bounded 120 mkfs.ext4 -q -F -b 4096 /dev/$dev ;;
	xfs) bounded 120 mkfs.xfs -q -f -m rmapbt=0 /dev/$dev ;;
	esac > /dev/null || { result data mkfs $?; return 0; }
	mkdir -p $mnt
	bounded 60 mount -t $fs -o dax /dev/$dev $mnt || { result data mount $?; return 0; }
	head -c 1M /dev/urandom > $T/keep.$s
	cp $T/keep.$s $mnt/keep 2> $T/w$W.err && sync $mnt/keep
	# shellcheck disable=SC2086
	bounded 120 fio --name=t --directory=$mnt --size=16M $FIO_VERIFY --randseed=$seed \
		--ioengine=$engine > $T/w$W.fio 2>> $T/w$W.err
	data_check data fio $? "$dev"
	cmp -s $T/keep.$s $mnt/keep 2>> $T/w$W.err
	rc=$?
	if [ $rc -ne 0 ]; then
		# different bytes (1), not a read error (2), on the same device
		if undisturbed "$dev" || { [ $rc -eq 1 ] && same_dev "$dev"; }; then
			evidence keep
			note data keep "FAIL: the kept file changed on an undisturbed device"
		else
			note data keep "refused: the kept file changed after a disturbance"
		fi
	else
		note data keep ok
	fi
	bounded 120 umount $mnt
	result data umount $?
}

op_fs() {
	local fs
	local size
	pick_dev fsdax data fs || return 0
	pick ext4 xfs
	fs=$P
	read -r size < "$D/size" 2> /dev/null
	[ "${size:-0}" -ge $((300 << 20)) ] || fs=ext4	# mkfs.xfs wants 300 MB
	pick psync mmap
	rnd 1000000
	with_slot_lock "${D##*/}" fs_session "${D##*/}" "$D" "$DEV" "$fs" "$P" $R
	[ $? -eq 75 ] && note data fs "refused: slot busy"
	return 0
}

raw_io() {
	local dev=$1 engine=$2 seed=$3
	mark "$dev"
	if [ "$engine" = zeroes ]; then
		bounded 60 blkdiscard -z -l 16M /dev/$dev
		result data write-zeroes $?
		return 0
	fi
	# allow_file_create=0: a device disabled before fio opens it would
	# otherwise leave a regular file in its place in /dev, which hides the
	# node of the next device of that name
	# shellcheck disable=SC2086
	bounded 120 fio --name=r --filename=/dev/$dev --allow_file_create=0 --size=16M \
		$FIO_VERIFY --randseed=$seed --ioengine=$engine --direct=1 > $T/w$W.fio 2>> $T/w$W.err
	data_check data "raw-$engine" $? "$dev"
}

op_raw() {
	pick_dev fsdax data raw || return 0
	# a mounted device is the filesystem's: leave it to the mount's owner
	grep -q "^/dev/$DEV " /proc/mounts && { note data raw "refused: mounted"; return 0; }
	pick psync libaio io_uring zeroes
	rnd 1000000
	with_slot_lock "${D##*/}" raw_io "$DEV" "$P" $R
	[ $? -eq 75 ] && note data raw "refused: slot busy"
	return 0
}

# --- faults ----------------------------------------------------------------

op_inject() {
	local off
	pick_dev any faults inject || return 0
	rnd 256
	off=$((R * 4096))
	event inject "$DEV" $off
	bounded 60 pmemuctl inject-error "$DEV" --offset $off --length 4096 > /dev/null
	result faults inject $?
	event injected "$DEV"
}

op_clear() {
	pick_dev any faults clear || return 0
	bounded 60 pmemuctl inject-error "$DEV" --offset 0 --length 1M --clear > /dev/null
	result faults clear $?
}

# poison_run SEED: MADV_HWPOISON among the mapping work; its SIGBUS (11)
# is the expected outcome, data read back wrong is not.  The poison is not
# recorded (sw_poison "transient"), so the mapper's steps, each writing
# before it reads, see their own data.
poison_run() {
	local rc
	event hwpoison "$DEV"
	mark "$DEV"
	bounded 90 torture_mapper "/dev/$DEV" "$LEN" "$ALIGN" "$1" 4 poison
	rc=$?
	case $rc in
	0 | 10 | 11) note faults hwpoison "ok (rc $rc)" ;;
	*) data_result faults hwpoison $rc ;;
	esac
}

op_hwpoison() { locked_devdax faults hwpoison poison_run; }

op_caches() { write_attr faults drop_caches 3 /proc/sys/vm/drop_caches; }

op_balloon() {
	rnd 4
	bounded 60 torture_mapper --balloon $(((R + 1) * 128)) 1500
	result faults balloon $?
}

op_failnth() {
	local s=$1 n problem
	[ -w /proc/self/fail-nth ] || { note faults fail-nth "refused: no FAILSLAB"; return 0; }
	# the module's text moves at every modprobe
	problem=$(failslab_setup)
	[ -z "$problem" ] || { note faults fail-nth "refused: $problem"; return 0; }
	rnd 40
	n=$((R + 1))
	bounded 60 bash -c 'echo "$1" > /proc/self/fail-nth && echo 1 > "$2"' sh $n $C/t$s/enable
	result faults fail-nth $?
}

# --- workers ---------------------------------------------------------------

# the operations that take a whole region or the module away come in one
# control operation in 40 (DISRUPT_OPS), so devices live long enough to be
# used in between
CONTROL_OPS="create create create mkdir config config enable disable disable rmdir pmemuctl pmemuctl pmemuctl bind"
DISRUPT_OPS="unbind unbind region module"
DATA_OPS="map map map pin pin odirect fs fs raw raw"
FAULT_OPS="inject inject clear clear hwpoison caches balloon"
# a failing allocation in enable where the kernel can inject one
[ -w /proc/self/fail-nth ] && FAULT_OPS="$FAULT_OPS failnth failnth"

worker() {
	W=$1
	local end=$2 kind
	RANDOM=$((SEED * 131 + W))
	local now
	while printf -v now '%(%s)T' -1 && [ "$now" -lt "$end" ]; do
		pick control control data data faults faults
		kind=$P
		case $kind in
		control)
			rnd 40
			if [ $R -eq 0 ]; then pick $DISRUPT_OPS; else pick $CONTROL_OPS; fi ;;
		data) pick $DATA_OPS ;;
		faults) pick $FAULT_OPS ;;
		esac
		local op=$P
		rnd $SLOTS
		printf '%s w%s start %s %s slot %s\n' "$now" "$W" "$kind" "$op" "$R" >> $T/w$W.log
		"op_$op" $R
	done
}

# counts: "control N, data N, faults N, failures F" over every worker log.
counts() {
	local k out=""
	for k in $KINDS; do
		out="$out$k $(cat $T/w*.log 2> /dev/null | grep -c "^[0-9]* w[0-9]* $k [^ ]*: ")"
		out="$out, "
	done
	echo "${out}failures $(cat $T/w*.log $T/monitor.log 2> /dev/null | grep -c 'FAIL: ')"
}

# stuck_ops NOW: a worker whose last line is the start of an operation
# older than every bound (a task spinning in the kernel ignores the
# timeout's SIGKILL) fails once, with the stacks of the running and
# blocked tasks.
stuck_ops() {
	local log line t w pid
	for log in $T/w[0-9]*.log; do
		[ -e "$log" ] || continue
		line=$(tail -n 1 "$log")
		[[ $line == *" start "* ]] || continue
		t=${line%% *}
		w=${log##*/w}
		w=${w%.log}
		[ $(($1 - t)) -gt $((300 * T_SLOW)) ] && [ ! -e $T/stuck.$w.$t ] || continue
		touch $T/stuck.$w.$t
		{ echo "$1 monitor: FAIL: worker $w stuck for $(($1 - t)) s in: ${line#* }"
		  for pid in $(ps -eo pid=,stat=,comm= | awk '$2 ~ /^[RD]/ && $3 != "ps" { print $1 }'); do
			echo "    $pid $(cat /proc/$pid/comm 2> /dev/null) $(awk '{ print $3 }' /proc/$pid/stat 2> /dev/null):"
			sed 's/^/        /' /proc/$pid/stack 2> /dev/null
		  done; } >> $T/monitor.log
	done
}

# the D-state watch: a task that stays in D longer than the bound fails
monitor() {
	local end=$1 bound=$((60 * T_SLOW)) now pid st
	declare -A since
	while [ ! -e $T/stop ]; do
		now=$(date +%s)
		for pid in "${!since[@]}"; do
			st=$(awk '{ print $3 }' /proc/$pid/stat 2> /dev/null)
			[ "$st" = D ] || unset "since[$pid]"
		done
		for pid in $(ps -eo pid=,stat= | awk '$2 ~ /^D/ { print $1 }'); do
			[ -n "${since[$pid]:-}" ] || since[$pid]=$now
			if [ $((now - since[$pid])) -gt $bound ] && [ ! -e $T/dstate.$pid ]; then
				touch $T/dstate.$pid
				{ echo "$now monitor: FAIL: pid $pid ($(cat /proc/$pid/comm 2> /dev/null)) in D state for $((now - since[$pid])) s"
				  sed 's/^/    /' /proc/$pid/stack 2> /dev/null; } >> $T/monitor.log
			fi
		done
		stuck_ops "$now"
		if [ $((now % 10)) -lt 2 ] && [ "$now" != "${last:-}" ]; then
			last=$now
			echo "# progress: $((now - START)) s: $(counts)" >&3
		fi
		sleep 1
	done
}

test_run() {
	local w f pids="" mpid end stuck=0
	START=$(date +%s)
	end=$((START + TIME))
	monitor "$end" &
	mpid=$!
	for ((w = 0; w < WORKERS; w++)); do
		worker $w $end &
		pids="$pids $!"
	done
	# every operation is bounded; a worker still running long after the end
	# is stuck
	local deadline=$((end + 600 * T_SLOW))
	for w in $pids; do
		timeout $((deadline - $(date +%s) > 1 ? deadline - $(date +%s) : 1)) \
			tail --pid=$w -f /dev/null || stuck=1
	done
	touch $T/stop
	wait $mpid
	echo "# counts: $(counts)" >&3
	echo "# by operation: $(cat $T/w*.log | sed -n 's/^[0-9]* w[0-9]* \([a-z]*\) \([a-z0-9_-]*\): \([a-zA-Z]*\).*/\1\/\2 \3/p' |
		sort | uniq -c | awk '{ printf "%s%s=%s", (NR > 1 ? ", " : ""), $2 "(" $3 ")", $1 }')" >&3
	if [ $stuck -ne 0 ]; then
		echo "$(date +%s) monitor: FAIL: a worker did not stop" >> $T/monitor.log
		ps -eo pid,stat,etimes,args | awk '$2 ~ /^D/' >&2
	fi
	if grep -q 'FAIL: ' $T/w*.log $T/monitor.log 2> /dev/null; then
		dmesg | tail -n 40 >&2
		for w in $T/w*.log; do
			echo "last operations of ${w##*/}:" >&2
			tail -n 8 "$w" >&2
		done
		for f in $T/fail.*.state; do
			[ -e "$f" ] && { echo "evidence ${f##*/}:"; head -n 12 "$f"; } >&2
		done
		# last, so that a shortened copy of the output keeps them
		echo "failed operations:" >&2
		grep -h 'FAIL: ' $T/w*.log $T/monitor.log | head -20 >&2
		return 1
	fi
	return 0
}

# release everything the workers left, then check nothing stayed behind
test_release() {
	local d dev r problem=""
	pkill -KILL -x torture_mapper; pkill -KILL -x pin_hold; pkill -KILL -x fio
	problem=$(dm_release | sed 's/^/; /' | tr -d '\n')
	while pgrep -x 'torture_mapper|pin_hold|fio' > /dev/null; do sleep 0.2; done
	for d in /mnt/t*; do umount_if "$d"; done
	grep -q '^pmemu ' /proc/modules || load_pmemu "ranges=$RANGES" autocreate=0 ||
		fail "modprobe pmemu"
	# every devdax device idle once its users are gone
	for d in $C/*; do
		[ -d "$d" ] || continue
		dev=$(dev_of "$d") || continue
		[ -e $DBG/$dev/folios_in_use ] || continue
		wait_for 30 test "$(cat $DBG/$dev/folios_in_use)" = 0 ||
			problem="$problem; $dev: folios_in_use $(cat $DBG/$dev/folios_in_use)"
		wait_for 30 test "$(cat $DBG/$dev/pgmap_refs_held)" = 0 ||
			problem="$problem; $dev: pgmap_refs_held $(cat $DBG/$dev/pgmap_refs_held)"
	done
	for d in $C/*; do
		[ -d "$d" ] || continue
		echo 0 > "$d/enable" 2> /dev/null
		rmdir "$d" || problem="$problem; rmdir $d failed"
	done
	for d in /sys/bus/platform/devices/pmemu.*; do
		[ -e "$d" ] && [ ! -e "$d/driver" ] || continue
		echo "${d##*/}" 2> /dev/null > $PDRV/bind && continue
		# the range device a claim made, unbound since: its range may be
		# libnvdimm's again, or another claim's, and it must say so
		nvdimm_range_dev "${d##*/}" && dmesg | tail -n 5 | grep -q "${d##*/}: range .*\(overlaps\|already claimed\)" ||
			problem="$problem; bind ${d##*/}"
	done
	W=release restore_regions control
	# devices the NVDIMM's labels brought back (a claim or a bind after an
	# rmmod or unbind took them down; the binds above too) have no item:
	# the item made for one takes it at its first use, rmdir destroys it
	for d in /sys/block/pmemu*/pmemu $CLS/pmemu*.dax; do
		[ -e "$d/name" ] || continue
		dev=$(cat "$d/name")
		[ -n "$dev" ] && [ ! -d "$C/$dev" ] || continue
		mkdir "$C/$dev" && cat "$C/$dev/enable" > /dev/null && rmdir "$C/$dev" ||
			problem="$problem; restored $dev not destroyed"
	done
	problem="$problem$(nvdimm_release | sed 's/^/; /' | tr -d '\n')"
	for r in $(regions); do
		wait_for 30 region_free "$r" || problem="$problem; region$r not free"
	done
	# nothing wrote a file where a device node belongs
	for d in /dev/pmemu*; do
		[ -e "$d" ] && [ ! -b "$d" ] && [ ! -c "$d" ] && problem="$problem; $d is not a device node"
	done
	[ -z "$problem" ] || fail "${problem#; }"
	wait_for 30 module_unused || fail "pmemu's reference count is $(cat /sys/module/pmemu/refcnt)"
	unload_pmemu || fail "rmmod pmemu"
	local now=$(memfree_kb) bound=$((256 * 1024 * T_SLOW / 2 + 128 * 1024))
	[ $((MEMFREE0 - now)) -lt $bound ] ||
		fail "MemFree $((now / 1024)) MiB, $(((MEMFREE0 - now) / 1024)) MiB below the start"
}

test_setup() {
	rm -rf $T && mkdir -p $T && : > $T/events || fail "make $T"
	grep -q '^pmemu ' /proc/modules && { unload_pmemu || fail "rmmod pmemu"; }
	nvdimm_setup
	dm_setup
	memfree_kb > $T/memfree0
	load_pmemu "ranges=$RANGES" autocreate=0 || fail "modprobe pmemu"
	[ -d $C ] || fail "no $C"
	# media errors under mounted filesystems are injected on purpose: xfs
	# reports the metadata it cannot read without a stack dump per report
	modprobe xfs && echo 0 > /proc/sys/fs/xfs/error_level || fail "fs.xfs.error_level"
	[ "$(regions)" != "" ] || fail "no regions"
}

# nvdimm_setup: with an NVDIMM (the guest has an ACPI NFIT), nfit and
# nd_pmem own it, as on a machine where ndctl manages it; claim and
# release move it to pmemu and back.  Before pmemu loads, else pmemu makes
# a region of it itself.
nvdimm_setup() {
	[ -e /sys/firmware/acpi/tables/NFIT ] || return 0
	modprobe -a nfit nd_pmem || fail "modprobe nfit nd_pmem"
	wait_for 10 test -b /dev/pmem0 || fail "no /dev/pmem0 from nfit"
	echo region0 > $T/ndregion
}

# dm_setup: one device-mapper device per worker, od0.., over a loop
# device, for the O_DIRECT reads that odirect_run holds in flight.
dm_setup() {
	local w loop
	modprobe -a loop dm-mod || fail "modprobe loop dm-mod"
	for ((w = 0; w < WORKERS; w++)); do
		truncate -s 8M $T/dm.$w && loop=$(losetup -f --show $T/dm.$w) &&
			dmsetup create od$w --table "0 16384 linear $loop 0" &&
			dmsetup info -c --noheadings -o blkdevname od$w > $T/odm.$w ||
			fail "dm device od$w"
	done
}

# nvdimm_release: the NVDIMM back to libnvdimm (whatever the workers left:
# claimed, or taken from pmemu and left disabled) and nd_pmem serving it.
nvdimm_release() {
	[ -n "$NDREGION" ] || return 0
	# a device's drain may still hold the region a moment
	if region_with_source ndctl > /dev/null; then
		wait_for 30 pmemuctl release-region --ndctl-region "$NDREGION" > /dev/null 2>&1 ||
			{ echo "release-region: $(pmemuctl release-region --ndctl-region "$NDREGION" 2>&1)"; return; }
	fi
	ndctl enable-region "$NDREGION" > /dev/null 2>&1
	wait_for 10 test -b /dev/pmem0 || echo "no /dev/pmem0 after release"
}

# nvdimm_range_dev PDEV: platform device PDEV holds the NVDIMM's range
# (claim-region made it).
nvdimm_range_dev() {
	local start
	[ -n "$NDREGION" ] || return 1
	start=$(cat "/sys/bus/nd/devices/$NDREGION/resource" 2> /dev/null) || return 1
	grep -qi "^ *0*${start#0x}-.* : $1\$" /proc/iomem
}

# dm_release: every held I/O let go, the dm and loop devices removed.
dm_release() {
	local w loop
	for ((w = 0; w < WORKERS; w++)); do
		dmsetup resume od$w 2> /dev/null
	done
	while pgrep -x odirect_hold > /dev/null; do sleep 0.2; done
	for ((w = 0; w < WORKERS; w++)); do
		loop=$(losetup -j $T/dm.$w -O NAME --noheadings)
		dmsetup remove od$w && losetup -d "$loop" || echo "remove od$w"
	done
}

t_run "set-up: pmemu with the boot's ranges, nothing created" test_setup
MEMFREE0=$(cat $T/memfree0 2> /dev/null || echo 0)
NDREGION=$(cat $T/ndregion 2> /dev/null)
[ -n "$NDREGION" ] && CONTROL_OPS="$CONTROL_OPS claim release"
t_run "$WORKERS workers for $TIME s (seed $SEED): no operation failed, no task stuck" test_run
t_run "released: extents free, no folio or page map reference, refcount 0, rmmod, MemFree back" \
	test_release
# every worker's operations, for the record
[ -d /mnt/results ] && cp -r $T /mnt/results/torture-logs 2> /dev/null
echo "# torture: seed $SEED, $TIME s, $(cat $T/w*.log 2> /dev/null | grep -c '^[0-9]* w[0-9]* [a-z]* [^ ]*: ') operations, $(cat $T/w*.log $T/monitor.log 2> /dev/null | grep -c 'FAIL: ') failures"
t_done
