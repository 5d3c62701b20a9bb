#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Harness fixture: a failing test leaves a helper holding its output open
# (as a mapping holder does); t_run must report it at once and kill it.
. "$(dirname "$0")/../../../lib/tap.sh"
t_plan 2
holds() { sleep 300 & echo "holder $! started"; return 1; }
t_run "fails with a holder running" holds
t_run "next test runs" true
t_done
