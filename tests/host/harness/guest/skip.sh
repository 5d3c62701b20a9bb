#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Harness fixture: a test skipped through tap.sh's skip, one whose
# kselftest binary reports a SKIP while the test passes, one passing.
. "$(dirname "$0")/../../../lib/tap.sh"
t_plan 3
t_run "skipped by the suite" skip "the machine lacks it"
t_run "kselftest skip inside" printf '%s\n' "ok 1 sub_a" "ok 2 sub_b # SKIP no 1G pages"
t_run "passes" true
t_done
