#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Harness fixture: the suite passes, but kmsg_log stopped before the end of
# the boot, so part of the kernel log was never judged.
# stub: kmsg_log dies
. "$(dirname "$0")/../../../lib/tap.sh"
t_plan 1
t_run "passes" true
t_done
