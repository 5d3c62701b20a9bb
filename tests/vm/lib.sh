# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the pmemu QEMU harness (sourced, not executed).
#
# Cache layout (override the root with PMEMU_CACHE); SFX is "" for the
# default kernel (KVER=7.3) and -KVER for the others:
#   $PMEMU_CACHE/rootfs$SFX/        Debian chroot: build environment and guest root
#   $PMEMU_CACHE/stamps$SFX/        one file per completed set-up stage
#   $PMEMU_CACHE/src$SFX/           Debian's linux-source of that kernel
#   $PMEMU_CACHE/images/$KVER/      vmlinuz, initrd.img, root.img for that guest kernel
#                                   (the full version: 7.3.4+deb13-amd64)

PMEMU_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PMEMU_CACHE=${PMEMU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pmemu}

# The Debian kernels the harness knows (make ... KVER=): the guest root is
# the Debian suite the kernel comes from, so the module is built by the
# compiler Debian built that kernel with.
PMEMU_KVER=${PMEMU_KVER:-7.3}
case "$PMEMU_KVER" in
7.3)	PMEMU_SUITE=trixie PMEMU_KPKG_SUITE=trixie-backports PMEMU_SFX="" ;;
7.2)	PMEMU_SUITE=sid PMEMU_KPKG_SUITE=sid PMEMU_SFX=-7.2 ;;
*)	# a known kernel too old, or an unknown one
	case "$PMEMU_KVER" in
	[0-5].* | 6.[0-9] | 6.1[0-4]) printf 'error: %s\n' \
		"KVER=$PMEMU_KVER: pmemu needs Linux 6.15 or later; its devdax faults map pages with vmf_insert_page_mkwrite, vmf_insert_folio_pmd and vmf_insert_folio_pud, the refcounted insert paths added in 6.15 (KVER=7.3, the default, or 7.2)" >&2 ;;
	*) printf 'error: %s\n' "KVER=$PMEMU_KVER: no Debian kernel known for it; KVER=7.3 (trixie-backports, the default) or 7.2 (sid)" >&2 ;;
	esac
	exit 2 ;;
esac
ROOTFS=$PMEMU_CACHE/rootfs$PMEMU_SFX
STAMPS=$PMEMU_CACHE/stamps$PMEMU_SFX
KSRC_DIR=$PMEMU_CACHE/src$PMEMU_SFX

_t0=${_t0:-$(date +%s)}

log() { printf '[%4ds] %s\n' "$(( $(date +%s) - _t0 ))" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# stage NAME DESCRIPTION: announce a set-up stage and its start time.
stage() { log "== $1: $2"; }

# cache_lock: hold the cache's lock until this process exits, so that two
# runs (the stock and the debug lane, two checkouts) never write the shared
# rootfs and images at once.  Nested scripts inherit it.
cache_lock() {
	[ -n "${PMEMU_CACHE_LOCKED:-}" ] && return 0
	mkdir -p "$PMEMU_CACHE"
	exec 9> "$PMEMU_CACHE/.lock"
	if ! flock -n 9; then
		log "waiting for another run to release $PMEMU_CACHE/.lock"
		flock 9
	fi
	export PMEMU_CACHE_LOCKED=1
}

# copy_source DIR DEST: the sources of $PMEMU_TOP/DIR into DEST (made
# afresh), without build output a build on the host may have left there:
# in a git checkout what git tracks or would track, else all but objects.
copy_source() {
	rm -rf "$2" && mkdir -p "$2" || return 1
	if git -C "$PMEMU_TOP" rev-parse --git-dir > /dev/null 2>&1; then
		(cd "$PMEMU_TOP/$1" && git ls-files -co --exclude-standard -z .) |
			tar -C "$PMEMU_TOP/$1" --null -T - -cf - | tar -C "$2" -xf -
	else
		cp -a "$PMEMU_TOP/$1/." "$2/" &&
		find "$2" \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
			-o -name '.*.cmd' -o -name Module.symvers -o -name modules.order \) -delete
	fi
}

have_stamp() { [ -e "$STAMPS/$1" ]; }
set_stamp() { mkdir -p "$STAMPS"; date -u +%FT%TZ > "$STAMPS/$1"; }

# The Debian mirror this host's own apt uses, so no host name is hard-coded.
debian_mirror() {
	if [ -n "${PMEMU_MIRROR:-}" ]; then echo "$PMEMU_MIRROR"; return; fi
	local m
	m=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null |
	    awk '{print $2}' | grep -v -- '-security' | grep -i debian | head -n1)
	[ -n "$m" ] || m=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
	    awk '{for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' |
	    grep -v -- '-security' | head -n1)
	[ -n "$m" ] || die "cannot find a Debian mirror in the host's apt sources; set PMEMU_MIRROR"
	echo "${m%/}"
}

# in_chroot CMD...: run CMD inside the rootfs with /proc, /sys and /dev bound,
# in a private mount namespace so nothing leaks onto the host on failure.
# PMEMU_BIND="HOSTDIR:CHROOTDIR ..." binds more directories for that command.
in_chroot() {
	unshare --mount --propagation private -- /bin/sh -c '
		r=$1; shift
		mount --bind /proc "$r/proc" && mount --bind /sys "$r/sys" &&
		mount --bind /dev "$r/dev" && mount --bind /dev/pts "$r/dev/pts" || exit 1
		for b in ${PMEMU_BIND:-}; do
			mkdir -p "$r${b#*:}" && mount --bind "${b%%:*}" "$r${b#*:}" || exit 1
		done
		exec chroot "$r" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			DEBIAN_FRONTEND=noninteractive "$@"' sh "$ROOTFS" "$@"
}

# Guest kernel version installed in the rootfs (newest if several).
guest_kver() {
	local v
	# Debian's package puts its kernel in /boot; the lanes' kernels
	# (debug, a user's tree) add only modules
	v=$(cd "$ROOTFS/boot" 2>/dev/null && ls vmlinuz-*-amd64 2>/dev/null |
		sed 's/^vmlinuz-//' | sort -V | tail -n1)
	[ -n "$v" ] || die "no guest kernel in $ROOTFS; run 'make setup'"
	echo "$v"
}

# Images of the kernel the guest boots: KVER's Debian kernel, or with
# PMEMU_KERNEL=debug the debug-lane kernel (tests/vm/debug-kernel), or with
# PMEMU_KERNEL=tree-NAME a user's tree (tests/vm/tree-kernel).
images_dir() {
	case "${PMEMU_KERNEL:-stock}" in
	stock) echo "$PMEMU_CACHE/images/$(guest_kver)" ;;
	debug | debug-* | tree-*) echo "$PMEMU_CACHE/images/$PMEMU_KERNEL" ;;
	*) die "PMEMU_KERNEL must be stock, debug, debug-VARIANT or a tree-NAME lane (tests/vm/tree-kernel), not '$PMEMU_KERNEL'" ;;
	esac
}

# vm_verdict RES QEMU-STATUS TIMEOUT ELAPSED JUDGE: after a guest run, judge
# its kernel log (when JUDGE is 1) into RES/judge.txt and write RES/verdict;
# returns the run's exit status: the script's, 124 if it did not finish
# (timeout or crash), 125 if the kernel log shows a problem.  With
# PMEMU_JUDGE_EXPECT, RES/expected.txt holds the expected report's
# signature if the log has it (tests/vm/judge).
# A finished run is judged on kmsg.txt alone, which guest-init closes with
# an end-of-log marker once it holds every message; the console also
# carries the script's output (test names may say "WARNING" or
# "kmemleak").  A run that did not finish is judged on the console too: a
# dying kernel's last words may not have reached kmsg.txt.
vm_verdict() {
	local res=$1 qrc=$2 timeout_s=$3 elapsed=$4 judge=$5 rc verdict logs=()

	[ -e "$res/kmsg.txt" ] && logs+=("$res/kmsg.txt")
	[ -s "$res/rc" ] || { [ -e "$res/console.log" ] && logs+=("$res/console.log"); }
	: > "$res/judge.txt"
	if [ "$judge" = 1 ]; then
		if [ -s "$res/rc" ] && ! grep -q 'pmemu-guest-init: end of log' "$res/kmsg.txt" 2> /dev/null; then
			echo "$res/kmsg.txt: no end-of-log marker: the kernel log is incomplete (kmsg_log died?)" \
				>> "$res/judge.txt"
		fi
		# the judge's findings (or its own error) are what judge.txt holds;
		# an expected report (PMEMU_JUDGE_EXPECT) leaves its signature in
		# expected.txt instead
		[ ${#logs[@]} -eq 0 ] || PMEMU_JUDGE_EXCUSED=$res/expected.txt \
			"$PMEMU_TOP/tests/vm/judge" "${logs[@]}" >> "$res/judge.txt" 2>&1 || true
	fi
	if [ -s "$res/judge.txt" ]; then
		head -n 20 "$res/judge.txt" >&2
		echo "vm: the kernel log shows a problem (above; all of it in $res/judge.txt)" >&2
	fi
	if [ ! -s "$res/rc" ]; then
		if [ "$qrc" -eq 124 ]; then
			echo "vm: guest timed out after ${timeout_s}s" >&2
		else
			echo "vm: guest ended (qemu status $qrc) before the script finished" >&2
		fi
		rc=124 verdict=timeout-or-crash
	elif [ -s "$res/judge.txt" ]; then
		rc=125 verdict=kernel-log
	else
		rc=$(cat "$res/rc") verdict=pass
		[ "$rc" -eq 0 ] || verdict="script-failed($rc)"
	fi
	echo "$verdict ${elapsed}s" > "$res/verdict"
	return "$rc"
}

# Modules the initramfs loads before switch_root, if the kernel has them as
# modules (dependencies are resolved); built in, they are skipped.
INITRAMFS_MODS="virtio_blk virtio_pci ext4 9p 9pnet_virtio"

# initramfs_modlist KVER: the modules of $INITRAMFS_MODS that KVER (in the
# guest root) has as modules, with their dependencies, dependencies first.
initramfs_modlist() {
	local kver=$1 dep=$ROOTFS/lib/modules/$1/modules.dep
	local -A seen=()
	local out=()
	visit() {
		local path line d
		path=$(grep -E "(^|/)$1\.ko(\.[a-z]+)?:" "$dep" | head -n1 | cut -d: -f1 || true)
		if [ -z "$path" ]; then
			grep -qE "/$1\.ko" "$ROOTFS/lib/modules/$kver/modules.builtin" ||
				die "module $1 not found for $kver"
			return
		fi
		[ -n "${seen[$path]:-}" ] && return
		seen[$path]=1
		line=$(grep -E "^$path:" "$dep" | cut -d: -f2)
		for d in $line; do
			d=$(basename "$d"); d=${d%%.ko*}
			visit "$d"
		done
		out+=("$path")
	}
	for m in $INITRAMFS_MODS; do visit "$m"; done
	[ ${#out[@]} -eq 0 ] || printf '%s\n' "${out[@]}"
}

# make_initramfs KVER OUT: the busybox initramfs (tests/vm/initramfs-init)
# with the modules initramfs_modlist names for KVER.
make_initramfs() {
	local kver=$1 w p n mods
	mods=$(initramfs_modlist "$kver") || return 1
	w=$(mktemp -d)
	mkdir -p "$w"/{bin,dev,proc,sys,newroot,lib/modules}
	cp "$ROOTFS/bin/busybox" "$w/bin/busybox"
	: > "$w/modules.order"
	while read -r p; do
		[ -n "$p" ] || continue
		n=$(basename "$p")
		case "$n" in
		*.xz) xz -dc "$ROOTFS/lib/modules/$kver/$p" > "$w/lib/modules/${n%.xz}" ;;
		*.zst) zstd -qdc "$ROOTFS/lib/modules/$kver/$p" > "$w/lib/modules/${n%.zst}" ;;
		*) cp "$ROOTFS/lib/modules/$kver/$p" "$w/lib/modules/$n" ;;
		esac
		echo "${n%.*}" | sed 's/\.ko$//' >> "$w/modules.order"
	done <<< "$mods"
	cp "$PMEMU_TOP/tests/vm/initramfs-init" "$w/init"
	chmod 755 "$w/init"
	(cd "$w" && find . | cpio -o -H newc --quiet | gzip -1) > "$2"
	rm -rf "$w"
	log "initramfs: $(du -h "$2" | cut -f1) ($(xargs -r -n1 basename <<< "$mods" | tr '\n' ' '))"
}

# lane_install OBJ KVER: into the guest root, the modules of the kernel
# whose object tree is OBJ (a path inside the chroot, bound there with
# PMEMU_BIND together with the source tree if that is elsewhere), then
# pmemu and its test module built against OBJ (from tests/vm/build's copy
# of the sources), W=1 as always.
lane_install() {
	in_chroot /bin/sh -ec "
		rm -rf /lib/modules/$2
		make -s -C $1 INSTALL_MOD_STRIP=1 modules_install > /dev/null
		rm -rf /tmp/pmemu-lane && mkdir -p /tmp/pmemu-lane/tests &&
			cp -a /usr/src/pmemu-build/driver /tmp/pmemu-lane/driver &&
			cp -a /usr/src/pmemu-build/tests/kmod /tmp/pmemu-lane/tests/kmod
		make -s -C /tmp/pmemu-lane/driver KDIR=$1 W=1
		make -s -C /tmp/pmemu-lane/tests/kmod KDIR=$1 W=1
		install -D -m 644 /tmp/pmemu-lane/driver/pmemu.ko /lib/modules/$2/updates/pmemu.ko
		install -D -m 644 /tmp/pmemu-lane/tests/kmod/pmemu_iomem_test.ko \
			/lib/modules/$2/updates/pmemu_iomem_test.ko
		rm -rf /tmp/pmemu-lane
		depmod -a $2"
}

# lane_images IMG BZIMAGE KVER: a lane's images in IMG: its kernel, an
# initramfs for it and a root image of the guest root as it is now.
lane_images() {
	local img=$1 mb
	mkdir -p "$img"
	cp "$2" "$img/vmlinuz"
	echo "$3" > "$img/kver"
	make_initramfs "$3" "$img/initrd.img"
	stage image "root.img with $3"
	mb=$(( $(du -sm "$ROOTFS" | cut -f1) + 1024 ))
	rm -f "$img/root.img.new"
	mke2fs -q -t ext4 -L pmemu-root -d "$ROOTFS" "$img/root.img.new" "${mb}M"
	mv "$img/root.img.new" "$img/root.img"
}
