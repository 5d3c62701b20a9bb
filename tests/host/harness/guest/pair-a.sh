#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Harness fixture: passes only while guest/pair-b runs at the same time
# (JOBS > 1): each leaves a file in $PMEMU_TEST_PAIR and waits for the
# other's, 10 s at most.  pair-b.sh is this script with ME and OTHER swapped.
. "$(dirname "${BASH_SOURCE[0]}")/../../../lib/tap.sh"
ME=${ME:-a} OTHER=${OTHER:-b}
meet() {
	touch "$PMEMU_TEST_PAIR/$ME"
	for _ in $(seq 100); do
		[ -e "$PMEMU_TEST_PAIR/$OTHER" ] && return 0
		sleep 0.1
	done
	return 1
}
t_plan 1
t_run "meets pair-$OTHER" meet
t_done
