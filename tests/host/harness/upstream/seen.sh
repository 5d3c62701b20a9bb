# SPDX-License-Identifier: GPL-2.0
# A bug the script sees (no kernel report): in-tree it says so, on pmemu
# it notes the same behaviour; both logs are judged whole.
# upstream-drivers: a
# upstream-signature: script
# upstream-cmdline: memmap=1G!4G
# upstream-bug: the bug the script sees
if [ "$1" = a ]; then
	echo "upstream: reproduced: op=x dropped the mapping"
else
	echo "upstream: note: on pmemu too"
fi
