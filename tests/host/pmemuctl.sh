#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# pmemuctl without a guest: build it in the trixie chroot and run
# tests/host/pmemuctl/cases.sh there, against a fake sysfs and configfs
# (TAP, seconds).  The guest suites (guest/control, guest/media,
# guest/nvdimm) run it against the real module.
set -uo pipefail
. "$(dirname "$0")/../vm/lib.sh"

dir=/tmp/pmemuctl-host
{ copy_source userspace "$ROOTFS$dir/userspace" && copy_source docs/man "$ROOTFS$dir/docs/man"; } ||
	{ echo "Bail out! copy the sources"; exit 1; }
cp "$PMEMU_TOP"/tests/host/pmemuctl/*.sh "$PMEMU_TOP/tests/lib/tap.sh" "$ROOTFS$dir/" &&
	cp -r "$PMEMU_TOP/tests/host/pmemuctl/expected" "$ROOTFS$dir/" ||
	{ echo "Bail out! copy the cases"; exit 1; }
if ! out=$(in_chroot make -s -C "$dir/userspace" pmemuctl 2>&1); then
	echo "Bail out! pmemuctl does not build: $out"
	exit 1
fi
in_chroot env PMEMUCTL="$dir/userspace/pmemuctl/pmemuctl" \
	${PMEMU_TEST_ONLY:+PMEMU_TEST_ONLY="$PMEMU_TEST_ONLY"} \
	${PMEMU_TEST_VERBOSE:+PMEMU_TEST_VERBOSE=1} \
	bash "$dir/cases.sh"
rc=$?
rm -rf "${ROOTFS:?}$dir"
exit $rc
