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
7.3)	PMEMU_SUITE=trixie PMEMU_KPKG_SUITE=trixie-backports _sfx="" ;;
7.2)	PMEMU_SUITE=sid PMEMU_KPKG_SUITE=sid _sfx=-7.2 ;;
*)	# a known kernel too old, or an unknown one
	case "$PMEMU_KVER" in
	[0-5].* | 6.[0-9] | 6.1[0-4]) printf 'error: %s\n' \
		"KVER=$PMEMU_KVER: pmemu needs Linux 6.15 or later; its devdax faults map pages with vmf_insert_page_mkwrite, vmf_insert_folio_pmd and vmf_insert_folio_pud, the refcounted insert paths added in 6.15 (KVER=7.3, the default, or 7.2)" >&2 ;;
	*) printf 'error: %s\n' "KVER=$PMEMU_KVER: no Debian kernel known for it; KVER=7.3 (trixie-backports, the default) or 7.2 (sid)" >&2 ;;
	esac
	exit 2 ;;
esac
ROOTFS=$PMEMU_CACHE/rootfs$_sfx
STAMPS=$PMEMU_CACHE/stamps$_sfx
KSRC_DIR=$PMEMU_CACHE/src$_sfx

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
	v=$(ls "$ROOTFS/lib/modules" 2>/dev/null | grep -- '-amd64$' | sort -V | tail -n1)
	[ -n "$v" ] || die "no guest kernel in $ROOTFS; run 'make setup'"
	echo "$v"
}

# Images of the kernel the guest boots: the stock trixie-backports kernel,
# or with PMEMU_KERNEL=debug the debug-lane kernel (tests/vm/debug-kernel).
images_dir() {
	case "${PMEMU_KERNEL:-stock}" in
	stock) echo "$PMEMU_CACHE/images/$(guest_kver)" ;;
	debug | debug-*) echo "$PMEMU_CACHE/images/$PMEMU_KERNEL" ;;
	*) die "PMEMU_KERNEL must be stock, debug or debug-VARIANT, not '$PMEMU_KERNEL'" ;;
	esac
}

# vm_verdict RES QEMU-STATUS TIMEOUT ELAPSED JUDGE: after a guest run, judge
# its kernel log (when JUDGE is 1) into RES/judge.txt and write RES/verdict;
# returns the run's exit status: the script's, 124 if it did not finish
# (timeout or crash), 125 if the kernel log shows a problem.
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
		# the judge's findings (or its own error) are what judge.txt holds
		[ ${#logs[@]} -eq 0 ] || "$PMEMU_TOP/tests/vm/judge" "${logs[@]}" >> "$res/judge.txt" 2>&1 || true
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
