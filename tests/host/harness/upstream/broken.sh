# SPDX-License-Identifier: GPL-2.0
# A scenario whose steps fail in-tree (no signature: not "not
# reproduced"), and whose pmemu run makes a report.
# upstream-drivers: a
# upstream-signature: RIP: [0-9a-f]+:stub_bug
# upstream-bug: the broken scenario
if [ "$1" = pmemu ]; then
	echo '<4>[    5.000000] WARNING: CPU: 0 PID: 1 at drivers/pmemu/dev.c:1 x+0x1/0x2' >> "$PMEMU_STUB_KMSG"
	exit 0
fi
echo "FAIL: could not create the namespace"
exit 1
