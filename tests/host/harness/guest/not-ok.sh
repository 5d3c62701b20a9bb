#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Harness fixture: one of two tests fails, through tests/lib/tap.sh.
. "$(dirname "$0")/../../../lib/tap.sh"
t_plan 2
t_run "passes" true
t_run "fails" false
t_done
