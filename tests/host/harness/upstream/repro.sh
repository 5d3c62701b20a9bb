# SPDX-License-Identifier: GPL-2.0
# A bug both in-tree "drivers" show (b with a consequence after it);
# clean on pmemu.
# upstream-drivers: a b
# upstream-signature: RIP: [0-9a-f]+:stub_bug
# upstream-bug: the stub bug
case $1 in
a | b)
	printf '%s\n' '<1>[    5.000000] BUG: unable to handle page fault for address: ffeb000000000008' \
		'<4>[    5.000000] RIP: 0010:stub_bug+0x10/0x60' \
		'<4>[    5.000000] Call Trace:' \
		'<4>[    5.000000] ---[ end trace 0000000000000000 ]---' >> "$PMEMU_STUB_KMSG"
	[ "$1" = a ] ||
		echo '<3>[    9.000000] INFO: task stub:9 blocked for more than 122 seconds.' >> "$PMEMU_STUB_KMSG"
	;;
esac
echo "ran on $1"
