# SPDX-License-Identifier: GPL-2.0
# A bug the kernel no longer shows: every step runs, the log stays clean.
# upstream-drivers: a
# upstream-signature: RIP: [0-9a-f]+:stub_bug
# upstream-bug: the fixed bug
echo "ran on $1"
