#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Harness fixture: every test passes, but the kernel logged a WARNING and
# then 2 MB of other messages, far past what a 128 KiB ring keeps.
. "$(dirname "$0")/../../../lib/tap.sh"
t_plan 1
kmsg=${PMEMU_STUB_KMSG:-/dev/kmsg}
echo "<4>[   12.000000] WARNING: CPU: 1 PID: 77 at mm/memremap.c:12 fake+0x1/0x2" >> "$kmsg"
yes "<6>[   13.000000] filler message of the kind a long suite logs" | head -c 2000000 >> "$kmsg"
t_run "passes" true
t_done
