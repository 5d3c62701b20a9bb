#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Harness fixture: two passing tests through tests/lib/tap.sh.
. "$(dirname "$0")/../../../lib/tap.sh"
t_plan 2
t_run "first" true
t_run "second" true
t_done
