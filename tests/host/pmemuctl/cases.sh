#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pmemuctl on a fake sysfs and configfs (fixture.sh, PMEMUCTL_SYSFS_ROOT):
# every verb's parsing and refusals, list's output against expected JSON
# (expected/), ndctl's options and forms.  Run by tests/host/pmemuctl.sh in
# the trixie chroot, as root, with PMEMUCTL set to the binary under test.
# Writes to the fake are plain files, so what a verb wrote can be read back;
# what the kernel does with a write is the guest suites' business.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/tap.sh"
. "$HERE/fixture.sh"

CTL=${PMEMUCTL:?the pmemuctl binary under test}
FX=/tmp/pmemuctl-fx
EXP=$HERE/expected
T=$(mktemp -d)
trap 'rm -rf "$T" "$FX"' EXIT

ctl() { PMEMUCTL_SYSFS_ROOT=$FX "$CTL" "$@"; }

# expect WANT ARGS...: pmemuctl ARGS exits WANT; output in $T/out, $T/err
expect() {
	local want=$1 rc=0
	shift
	ctl "$@" > "$T/out" 2> "$T/err" || rc=$?
	[ "$rc" = "$want" ] ||
		{ cat "$T/out" "$T/err"; fail "pmemuctl $*: exit $rc, want $want"; }
}

# refused WANT ARGS...: exits WANT with exactly one line on stderr and
# nothing on stdout, and the fake tree is as it was
refused() {
	local before
	before=$(tree_sum)
	expect "$@"
	[ "$(wc -l < "$T/err")" = 1 ] || { cat "$T/err"; fail "pmemuctl ${*:2}: not one line on stderr"; }
	[ ! -s "$T/out" ] || { cat "$T/out"; fail "pmemuctl ${*:2}: printed on stdout"; }
	[ "$(tree_sum)" = "$before" ] || fail "pmemuctl ${*:2}: changed the tree"
}

# tree_sum: every path and content of the fake tree
tree_sum() {
	(cd "$FX" && find . -print0 | sort -z | xargs -0 -I{} sh -c \
		'if [ -f "$1" ]; then printf "%s=%s\n" "$1" "$(cat "$1")"; else echo "$1"; fi' _ {}) |
		md5sum
}

# same_json NAME: stdout is expected/NAME.json (keys in any order)
same_json() {
	jq -S . "$EXP/$1.json" > "$T/want" && jq -S . "$T/out" > "$T/got" ||
		fail "not JSON: $(cat "$T/out")"
	diff -u "$T/want" "$T/got" || fail "output differs from expected/$1.json"
}

# names: the "dev" keys of a listed array, space-separated
names() { jq -r '[.[].dev] | join(" ")' "$T/out"; }

fresh() { fx_make "$FX" || fail "fixture"; }

test_version() {
	local v
	fresh
	for v in --version -v -V; do
		expect 0 $v
		grep -qx 'pmemuctl [0-9][0-9.]*' "$T/out" || fail "$v printed '$(cat "$T/out")'"
	done
}

# --list-cmds names every command; each has a help that starts with its usage,
# and 'help CMD' prints the same
test_list_cmds_and_help() {
	local c n=0
	fresh
	expect 0 --list-cmds
	cp "$T/out" "$T/cmds"
	for c in list create-device destroy-device enable-device disable-device \
		reconfigure-device inject-error claim-region release-region help; do
		grep -qx -- "$c" "$T/cmds" || fail "--list-cmds lacks $c"
	done
	while read -r c; do
		[ "$c" = help ] && continue
		expect 0 "$c" --help
		grep -q "^ *pmemuctl $c" "$T/out" && grep -qx SYNOPSIS "$T/out" ||
			fail "$c --help: no synopsis of pmemuctl $c"
		cp "$T/out" "$T/h1"
		expect 0 help "$c"
		cmp -s "$T/out" "$T/h1" || fail "'help $c' differs from '$c --help'"
		n=$((n + 1))
	done < "$T/cmds"
	[ $n -ge 9 ] || fail "only $n commands listed"
	expect 0 help
	grep -qx SYNOPSIS "$T/out" || fail "help: no synopsis"
	expect 0 --help
	cmp -s "$T/out" <(ctl help) || fail "--help differs from help"
}

# --help is the man page (one source, rendered at build time): every
# option a command's page documents is one the command takes
test_help_is_the_man_page() {
	local c o rc
	fresh
	expect 0 --list-cmds
	cp "$T/out" "$T/cmds"
	while read -r c; do
		[ "$c" = help ] && continue
		expect 0 "$c" --help
		grep -qE "^NAME$" "$T/out" && grep -qE "^ +pmemuctl-$c - " "$T/out" ||
			fail "$c --help is not its man page"
		# the options the page documents: the tags of its OPTIONS section
		awk '/^OPTIONS$/ { on = 1; next } /^[A-Z]/ { on = 0 } on && /^       -/' "$T/out" |
			grep -oE -- '--[a-z][a-z-]*' | sort -u > "$T/opts"
		[ -s "$T/opts" ] || fail "$c --help documents no option"
		while read -r o; do
			rc=0
			ctl "$c" "$o" > /dev/null 2> "$T/err" < /dev/null || rc=$?
			! grep -q "unknown option '$o'" "$T/err" ||
				fail "pmemuctl $c --help documents $o, which $c does not take"
		done < "$T/opts"
	done < "$T/cmds"
}

test_bad_commands() {
	fresh
	refused 2 nosuch
	grep -q "unknown command 'nosuch'" "$T/err" || fail "$(cat "$T/err")"
	refused 2 help nosuch
	refused 2 --nosuch
	refused 2
	refused 2 list extra
	refused 2 list --region
	refused 2 list -r nosuch
	refused 2 list -r region
	refused 2 list -m sector
}

# with no option: the enabled devices, as expected/list.json
test_list_default() {
	fresh
	expect 0 list
	same_json list
	[ "$(names)" = "dev0 dev1 keep pmemu3" ] || fail "listed $(names)"
	for o in -N --namespaces -D --devices; do
		expect 0 list $o
		same_json list
	done
}

test_list_idle() {
	fresh
	expect 0 list -i
	[ "$(names)" = "dev0 dev1 dev2 keep pmemu3" ] || fail "list -i: $(names)"
	jq -e '.[] | select(.dev == "dev2") | .enabled == false and .state == "disabled"' \
		"$T/out" > /dev/null || fail "dev2 not listed as disabled"
}

test_list_regions() {
	fresh
	expect 0 list -R
	same_json regions
	expect 0 list -R -N -i
	same_json regions-devices
}

# -r takes regionN and N; alone it lists the region, with -N its devices
test_list_region_filter() {
	local r
	fresh
	for r in region1 1; do
		expect 0 list -r $r
		[ "$(names)" = region1 ] || fail "list -r $r: $(names)"
		expect 0 list -N -r $r
		[ "$(names)" = "dev1 pmemu3" ] || fail "list -N -r $r: $(names)"
		expect 0 list -N -i -r $r
		[ "$(names)" = "dev1 dev2 pmemu3" ] || fail "list -N -i -r $r: $(names)"
		expect 0 list -R -N -r $r
		[ "$(jq -r '[.[].devices[].dev] | join(" ")' "$T/out")" = "dev1 pmemu3" ] ||
			fail "list -R -N -r $r: $(cat "$T/out")"
	done
	expect 0 list -r region7
	[ "$(cat "$T/out")" = "[]" ] || fail "list -r region7: $(cat "$T/out")"
}

# -n takes the configfs name, the /dev name and the /dev path
test_list_name_filter() {
	local n
	fresh
	for n in dev1 pmemu1.dax /dev/pmemu1.dax; do
		expect 0 list -n $n
		[ "$(names)" = dev1 ] || fail "list -n $n: $(names)"
	done
	expect 0 list -n dev2
	[ "$(cat "$T/out")" = "[]" ] || fail "a disabled device listed without -i"
	expect 0 list -i --namespace dev2
	[ "$(names)" = dev2 ] || fail "list -i --namespace dev2: $(names)"
}

test_list_mode_filter() {
	fresh
	expect 0 list -m devdax
	[ "$(names)" = dev1 ] || fail "list -m devdax: $(names)"
	expect 0 list -i --mode fsdax
	[ "$(names)" = "dev0 dev2 keep pmemu3" ] || fail "list -i --mode fsdax: $(names)"
}

# ndctl's human form: sizes from 5000 KiB as "X.XX MiB (Y.YY MB)", GiB from
# 2 GiB; smaller ones stay numbers; a single result prints as an object
test_list_human() {
	fresh
	expect 0 list -R -u
	same_json regions-human
	expect 0 list -u -n dev1
	same_json dev1-human
	expect 0 list -u -R -r 0
	jq -e 'type == "object" and .dev == "region0"' "$T/out" > /dev/null ||
		fail "one region with -u is not an object: $(cat "$T/out")"
	expect 0 list -n dev1
	jq -e 'type == "array" and length == 1' "$T/out" > /dev/null ||
		fail "one device without -u is not an array"
}

test_list_verbose_media() {
	fresh
	expect 0 list -v -M
	same_json list-verbose-media
}

# list needs no root; stdout write errors fail the command
test_list_non_root_and_write_errors() {
	local rc=0
	fresh
	chmod -R a+rX "$FX"
	setpriv --reuid=65534 --regid=65534 --clear-groups env PMEMUCTL_SYSFS_ROOT=$FX \
		"$CTL" list > "$T/out" 2> "$T/err" || fail "list as nobody: $(cat "$T/err")"
	same_json list
	[ ! -s "$T/err" ] || fail "list as nobody wrote: $(cat "$T/err")"
	for a in list --version "list -R -u" --list-cmds "create-device --help"; do
		rc=0
		ctl $a > /dev/full 2> "$T/err" || rc=$?
		[ $rc = 1 ] || fail "pmemuctl $a > /dev/full: exit $rc, want 1"
		grep -q "write standard output: No space left on device" "$T/err" ||
			fail "pmemuctl $a > /dev/full said: $(cat "$T/err")"
		[ "$(wc -l < "$T/err")" = 1 ] || fail "pmemuctl $a > /dev/full: not one line"
	done
}

test_create_bad_input() {
	fresh
	refused 2 create-device --mode fsdax
	refused 2 create-device --region 0
	refused 2 create-device --region foo --mode fsdax
	refused 2 create-device --region region --mode fsdax
	refused 2 create-device --region -1 --mode fsdax
	refused 2 create-device --region 0 --mode sector
	refused 2 create-device --region 0 --mode fsdax --map nowhere
	refused 2 create-device --region 0 --mode fsdax --size 12Q
	refused 2 create-device --region 0 --mode fsdax --offset soon
	refused 2 create-device --region 0 --mode fsdax --align 2M
	refused 2 create-device --region 0 --mode devdax --align 3M
	refused 2 create-device --region 0 --mode devdax --lifetime forever
	refused 2 create-device --region 0 --mode fsdax --name a/b
	refused 2 create-device --region 0 --mode fsdax --name ..
	refused 2 create-device --region 0 --mode fsdax --name "$(printf 'x%.0s' {1..32})"
	grep -q "longer than 31 characters" "$T/err" || fail "32 characters: $(cat "$T/err")"
	refused 1 create-device --region region7 --mode fsdax
	grep -q "region 7: No such device" "$T/err" || fail "region7: $(cat "$T/err")"
}

# region0, 0 and a 31-character name pass the checks: the first write
# reaches the fake (which has no attribute files in a new directory, so the
# write fails and the directory is removed again, in one message)
test_create_accepts_ndctl_names() {
	local n31 r
	n31=$(printf 'y%.0s' {1..31})
	for r in region0 0; do
		fresh
		refused 1 create-device --region $r --mode fsdax --offset auto --name $n31
		grep -q "set $n31 region=0: No such file or directory" "$T/err" ||
			fail "--region $r: $(cat "$T/err")"
	done
}

# enable and disable write the enable attribute; enable prints the device
test_enable_disable() {
	fresh
	expect 0 enable-device dev2
	[ "$(cat $FX/sys/kernel/config/pmemu/dev2/enable)" = 1 ] || fail "enable did not write 1"
	jq -e '.dev == "dev2" and .enabled == true' "$T/out" > /dev/null ||
		fail "enable printed $(cat "$T/out")"
	expect 0 disable-device /dev/pmemu0
	[ "$(cat $FX/sys/kernel/config/pmemu/dev0/enable)" = 0 ] || fail "disable did not write 0"
	[ ! -s "$T/out" ] || fail "disable printed $(cat "$T/out")"
	refused 1 disable-device pmemu3
	grep -q "made by the module at load time" "$T/err" || fail "$(cat "$T/err")"
	refused 1 enable-device nosuch
	grep -q "nosuch: No such device" "$T/err" || fail "$(cat "$T/err")"
	refused 2 enable-device --force dev2
	refused 2 enable-device
	refused 2 enable-device dev0 dev1
}

test_destroy_bad_input() {
	fresh
	refused 1 destroy-device nosuch
	refused 1 destroy-device --force nosuch
	refused 1 destroy-device -f pmemu3
	refused 2 destroy-device
	refused 2 destroy-device --forced dev0
	refused 2 disable-device -x dev0
}

test_reconfigure_bad_input() {
	fresh
	refused 2 reconfigure-device dev0
	grep -q "nothing to change" "$T/err" || fail "$(cat "$T/err")"
	refused 2 reconfigure-device dev0 --mode sector
	refused 2 reconfigure-device dev0 --size 1X
	refused 2 reconfigure-device
	refused 1 reconfigure-device nosuch --size 1G
}

test_inject_error_bad_input() {
	fresh
	refused 2 inject-error dev0 --offset 100 --length 512
	refused 2 inject-error dev0 --offset 0 --length 100
	refused 2 inject-error dev0 --offset 0
	refused 2 inject-error dev0 --offset 0 --length 0
	refused 2 inject-error --offset 0 --length 512
	refused 1 inject-error nosuch --offset 0 --length 512
}

# complete WORDS...: what the bash completion offers for the last word
complete_words() {
	local COMP_WORDS=("$@") COMP_CWORD=$(($# - 1)) COMPREPLY=()
	_pmemuctl
	printf '%s\n' "${COMPREPLY[@]}" | sort | paste -sd ' ' -
}

# the completion (userspace/contrib/pmemuctl) offers the commands, each
# command's options from its help, device and region names from list
test_bash_completion() {
	local got
	fresh
	mkdir -p "$T/bin"
	printf '#!/bin/sh\nPMEMUCTL_SYSFS_ROOT=%s exec %s "$@"\n' "$FX" "$CTL" > "$T/bin/pmemuctl"
	chmod +x "$T/bin/pmemuctl"
	PATH=$T/bin:$PATH
	# shellcheck disable=SC1091
	. "$HERE/userspace/contrib/pmemuctl" || fail "source the completion"
	check() {
		got=$(complete_words "${@:2}")
		[ "$got" = "$1" ] || fail "${*:2}<TAB>: '$got', want '$1'"
	}
	check "create-device" pmemuctl cre
	check "disable-device" pmemuctl disa
	check "--namespace --namespaces" pmemuctl list --names
	check "--force" pmemuctl destroy-device --fo
	check "devdax fsdax" pmemuctl create-device --mode ""
	check "region0 region1" pmemuctl list -r reg
	check "dev0 dev1 dev2" pmemuctl destroy-device dev
	check "keep" pmemuctl destroy-device ke
	check "pmemu0 pmemu1.dax pmemu3 pmemu4" pmemuctl enable-device pmemu
	check "reconfigure-device" pmemuctl help reco
}

# a device restored from labels (no configfs item): listed by name with its
# uuid, found by name and node; its name is not free for create-device
test_restored_device() {
	fresh
	expect 0 list -n keep
	jq -e 'length == 1 and .[0].dev == "keep" and .[0].blockdev == "pmemu4" and
		(.[0].uuid | startswith("7f9e8d6c"))' "$T/out" > /dev/null || fail "list -n keep: $(cat "$T/out")"
	expect 0 list -n pmemu4
	[ "$(names)" = keep ] || fail "list -n pmemu4: $(names)"
	refused 1 create-device --name keep --region 0 --mode fsdax --size 64M
	grep -q "create keep: File exists" "$T/err" || fail "$(cat "$T/err")"
}

# init-labels writes "init" to the region's labels attribute and prints
# the region; bad input changes nothing
test_init_labels() {
	fresh
	refused 2 init-labels
	refused 2 init-labels --region
	refused 2 init-labels --region foo
	refused 2 init-labels --region 1 extra
	refused 1 init-labels --region 7
	grep -q "region7: No such device" "$T/err" || fail "$(cat "$T/err")"
	expect 0 init-labels --region region1
	[ "$(cat $FX/sys/class/pmemu/region1/labels)" = init ] || fail "labels not written"
	jq -e '.dev == "region1"' "$T/out" > /dev/null || fail "init-labels printed $(cat "$T/out")"
	rm $FX/sys/class/pmemu/region0/labels
	expect 1 init-labels -r 0
	grep -q "region0: " "$T/err" || fail "$(cat "$T/err")"
}

t_plan 22
t_run "--version, -v and -V print the version" test_version
t_run "--list-cmds lists every command; each --help and 'help CMD' print its usage" test_list_cmds_and_help
t_run "--help is the command's man page, and every option it documents is taken" test_help_is_the_man_page
t_run "unknown commands and options: exit 2, one line, nothing changed" test_bad_commands
t_run "list: enabled devices as expected JSON; -N, --namespaces, -D the same" test_list_default
t_run "list -i: disabled devices too" test_list_idle
t_run "list -R and -R -N: regions as expected JSON" test_list_regions
t_run "list -r regionN and -r N: region filter, alone and with -N" test_list_region_filter
t_run "list -n: device by configfs name, /dev name and /dev path" test_list_name_filter
t_run "list -m: mode filter" test_list_mode_filter
t_run "list -u: ndctl's size form; one result as an object" test_list_human
t_run "list -v -M: extents, addresses, media errors as expected JSON" test_list_verbose_media
t_run "list as non-root; output to a full device fails with one line" test_list_non_root_and_write_errors
t_run "create-device bad input: exit 2, one line, nothing changed" test_create_bad_input
t_run "create-device takes --region regionN and N, --offset auto, 31-character names" test_create_accepts_ndctl_names
t_run "enable-device and disable-device write enable; refusals" test_enable_disable
t_run "destroy-device and disable-device bad input" test_destroy_bad_input
t_run "reconfigure-device bad input" test_reconfigure_bad_input
t_run "inject-error bad input" test_inject_error_bad_input
t_run "a device restored from labels: listed by name with its uuid, its name not free" test_restored_device
t_run "init-labels: writes the region's labels attribute; bad input refused" test_init_labels
t_run "bash completion: commands, options from each help, device and region names" test_bash_completion
t_done
