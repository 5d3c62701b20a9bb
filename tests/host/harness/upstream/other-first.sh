# SPDX-License-Identifier: GPL-2.0
# Another report before the expected one: not a reproduction.
# upstream-drivers: a
# upstream-signature: RIP: [0-9a-f]+:stub_bug
# upstream-bug: the bug after another
if [ "$1" = a ]; then
	printf '%s\n' '<4>[    4.000000] WARNING: CPU: 0 PID: 1 at mm/memremap.c:1 y+0x1/0x2' \
		'<4>[    4.000000] ---[ end trace 0000000000000000 ]---' \
		'<1>[    5.000000] BUG: unable to handle page fault for address: ffeb000000000008' \
		'<4>[    5.000000] RIP: 0010:stub_bug+0x10/0x60' \
		'<4>[    5.000000] Call Trace:' \
		'<4>[    5.000000] ---[ end trace 0000000000000000 ]---' >> "$PMEMU_STUB_KMSG"
fi
echo "ran on $1"
