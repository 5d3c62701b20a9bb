#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Harness fixture: plans 3 tests, reports one and exits 1 (a set-up step
# of the suite failed).
echo "1..3"
echo "ok 1 - first"
exit 1
