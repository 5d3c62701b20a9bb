#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side checks of the driver sources (TAP): checkpatch --strict, the
# layering (no cycle between files), kernel-doc, the share of comments, no
# percpu_ref internals, sparse (make C=2), a DKMS build + install, and an
# in-tree build with the top-level Kconfig.  Runs against the cached trixie
# chroot and kernel source (make setup).
set -uo pipefail
. "$(dirname "$0")/../vm/lib.sh"

. "$PMEMU_TOP/tests/lib/tap.sh"

KSRC=$KSRC_DIR/linux
KVER=$(guest_kver)

test_checkpatch() {
	perl "$KSRC/scripts/checkpatch.pl" --strict --no-tree --quiet \
		--ignore FILE_PATH_CHANGES -f "$PMEMU_TOP"/driver/*.[ch] \
		"$PMEMU_TOP"/driver/probes/*.c "$PMEMU_TOP"/tests/kmod/*.c
}

test_kernel_doc() {
	local out
	out=$("$KSRC/scripts/kernel-doc" -none -Wall "$PMEMU_TOP"/driver/*.[ch] 2>&1)
	[ -z "$out" ] || { echo "$out"; return 1; }
}

# The driver's files, and pmemuctl's, form layers: no file uses a function
# or object of a file that uses it back, directly or through others
# (docs/design.md).
test_layers() {
	python3 "$PMEMU_TOP/tests/host/callgraph.py" "$PMEMU_TOP/driver" &&
		python3 "$PMEMU_TOP/tests/host/callgraph.py" "$PMEMU_TOP/userspace/pmemuctl"
}

# Comments say why, briefly; user guidance lives in docs/ (at most 18 % of
# the driver's non-blank lines carry a comment).
test_comments() {
	local out
	out=$(python3 "$PMEMU_TOP/tests/host/comments.py" 18 "$PMEMU_TOP"/driver/*.[ch]) ||
		{ echo "$out"; return 1; }
	echo "# ${out##*$'\n'}"
}

# The driver keeps its own counters: it reads no percpu_ref internals.
test_no_percpu_internals() {
	! grep -n -E 'percpu_count_ptr|__PERCPU_REF_|PERCPU_COUNT_BIAS|ref(\.|->)data' \
		"$PMEMU_TOP"/driver/*.[ch]
}

# A fresh copy of driver/ inside the chroot, for builds that write objects,
# without the objects of a build on the host.
copy_driver() {
	copy_source driver "$ROOTFS/tmp/$1"
}

test_sparse() {
	local out
	if [ "$(in_chroot /bin/sh -c "cd /tmp && /lib/modules/$KVER/build/scripts/checker-valid.sh sparse -m64" 2>/dev/null)" != 1 ]; then
		skip "no sparse that parses the $KVER headers (see tests/vm/setup stage_sparse)"
	fi
	copy_driver lint-sparse
	out=$(in_chroot make -s -C /tmp/lint-sparse KDIR="/lib/modules/$KVER/build" C=2 2>&1) ||
		{ echo "$out"; return 1; }
	out=$(printf '%s\n' "$out" | grep -v -E '^\s*(CHECK|CC|LD|MODPOST|BTF)\b|^make' || true)
	[ -z "$out" ] || { echo "$out"; return 1; }
}

# A kernel without an interface pmemu needs stops the build at the probes,
# with one line naming the interface, before any pmemu object is compiled:
# a probe of a function no kernel has stands in for it.
test_probe_missing() {
	local out d=/tmp/lint-probe
	copy_driver lint-probe
	cat > "$ROOTFS$d/probes/zz_absent.c" <<'PROBE'
// SPDX-License-Identifier: GPL-2.0
/* need: pmemu_no_such_call() (Linux 99.1): a stand-in */
void probe(void);
void probe(void)
{
	pmemu_no_such_call();
}
PROBE
	if out=$(in_chroot make -s -C $d KDIR="/lib/modules/$KVER/build" 2>&1); then
		echo "$out"; echo "the build passed"; return 1
	fi
	[ "$(grep -c 'this kernel lacks' <<< "$out")" -eq 1 ] &&
		grep -qF 'pmemu: this kernel lacks pmemu_no_such_call() (Linux 99.1): a stand-in (probe zz_absent failed' <<< "$out" ||
		{ echo "$out"; echo "no one line naming the missing interface"; return 1; }
	! ls "$ROOTFS$d"/*.o 2> /dev/null || { echo "pmemu objects were compiled"; return 1; }
}

test_dkms() {
	local ver
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$PMEMU_TOP/driver/dkms.conf")
	copy_driver "pmemu-dkms"
	rm -rf "$ROOTFS/usr/src/pmemu-$ver"
	mv "$ROOTFS/tmp/pmemu-dkms" "$ROOTFS/usr/src/pmemu-$ver"
	in_chroot /bin/sh -ec "
		dkms remove pmemu/$ver --all >/dev/null 2>&1 || true
		dkms add pmemu/$ver
		dkms build pmemu/$ver -k $KVER
		dkms install pmemu/$ver -k $KVER --force
		modinfo -k $KVER -n pmemu | grep -q /updates/dkms/
		dkms status pmemu/$ver -k $KVER | grep -q installed
		dkms remove pmemu/$ver --all
		depmod -a $KVER
		modinfo -k $KVER -n pmemu | grep -q /updates/pmemu.ko"
	local rc=$?
	rm -rf "$ROOTFS/usr/src/pmemu-$ver"
	return $rc
}

# The documented in-tree procedure (docs/usage.md), applied to a copy of
# the cached kernel source (hard links: the edits below replace files, so
# the shared tree is never changed): drivers/pmemu + Kconfig hook, Debian's
# config with CONFIG_PMEMU=m, and a build of drivers/pmemu/ (objects under
# $PMEMU_CACHE/intree (intree-7.2 for KVER=7.2), kept between runs).
intree_tree() {
	local tree=$1
	[ -d "$KSRC/drivers" ] || { echo "no kernel source at $KSRC (make setup)"; return 1; }
	rm -rf "$tree"
	cp -al "$(realpath "$KSRC")" "$tree" || return 1
	copy_source driver "$tree/drivers/pmemu" || return 1
	cp "$PMEMU_TOP/Kconfig" "$tree/drivers/pmemu/Kconfig"
	sed -i 's|^endmenu$|source "drivers/pmemu/Kconfig"\n\nendmenu|' "$tree/drivers/Kconfig"
	sed -i '$a obj-$(CONFIG_PMEMU)		+= pmemu/' "$tree/drivers/Makefile"
}

test_intree() {
	local obj=$PMEMU_CACHE/intree$PMEMU_SFX tree=$PMEMU_CACHE/intree-src
	intree_tree "$tree" || return 1
	# The copy keeps the sources' mtimes, which can be older than the
	# objects of an earlier build of other sources: rebuild pmemu whole.
	rm -rf "$obj/drivers/pmemu"
	mkdir -p "$obj"
	[ -e "$obj/.config" ] || cp "$ROOTFS/boot/config-$KVER" "$obj/.config"
	PMEMU_BIND="$tree:/usr/src/ksrc $obj:/usr/src/kobj" in_chroot /bin/sh -ec "
		cd /usr/src/ksrc
		scripts/config --file /usr/src/kobj/.config -m PMEMU
		make -s O=/usr/src/kobj olddefconfig
		grep -qx CONFIG_PMEMU=m /usr/src/kobj/.config
		make -s O=/usr/src/kobj -j$(nproc) prepare
		make -s O=/usr/src/kobj -j$(nproc) drivers/pmemu/
		ls /usr/src/kobj/drivers/pmemu/pmemu.o"
	local rc=$?
	rm -rf "$tree"
	return $rc
}

# pmemu registers a configfs subsystem: a config with PMEMU but without
# CONFIGFS_FS cannot link.  x86_64_defconfig has nothing else that pulls
# configfs in.
test_kconfig_configfs() {
	local obj=$PMEMU_CACHE/intree-kconfig$PMEMU_SFX tree=$PMEMU_CACHE/intree-kconfig-src
	intree_tree "$tree" || return 1
	rm -rf "$obj" && mkdir -p "$obj"
	PMEMU_BIND="$tree:/usr/src/ksrc $obj:/usr/src/kobj" in_chroot /bin/sh -ec "
		cd /usr/src/ksrc
		make -s O=/usr/src/kobj x86_64_defconfig
		scripts/config --file /usr/src/kobj/.config -e MEMORY_HOTPLUG \
			-e MEMORY_HOTREMOVE -e ZONE_DEVICE -e TRANSPARENT_HUGEPAGE \
			-e DAX -e FS_DAX -d CONFIGFS_FS -m PMEMU
		make -s O=/usr/src/kobj olddefconfig
		grep -E '^CONFIG_(PMEMU|CONFIGFS_FS)=' /usr/src/kobj/.config || true
		grep -qx CONFIG_PMEMU=m /usr/src/kobj/.config
		grep -qE '^CONFIG_CONFIGFS_FS=[ym]' /usr/src/kobj/.config"
	local rc=$?
	rm -rf "$tree" "$obj"
	return $rc
}

t_plan 10
t_run "checkpatch --strict --no-tree driver/ tests/kmod/" test_checkpatch
t_run "driver and pmemuctl files use only files below them: no cycle (tests/host/callgraph.py)" test_layers
t_run "kernel-doc -Wall driver/" test_kernel_doc
t_run "comments on at most 18 % of the driver's lines (tests/host/comments.py)" test_comments
t_run "the driver reads no percpu_ref internals" test_no_percpu_internals
t_run "sparse (make C=2) clean" test_sparse
t_run "a kernel lacking a probed interface stops the build naming it" test_probe_missing
t_run "DKMS add/build/install/remove for $KVER" test_dkms
t_run "in-tree build: Kconfig + drivers/pmemu with CONFIG_PMEMU=m" test_intree
t_run "Kconfig: CONFIG_PMEMU brings CONFIGFS_FS with it" test_kconfig_configfs
t_done
