#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Harness fixture: a result outside the plan and a second result for one
# test, exit 0.
echo "1..2"
echo "ok 1 - first"
echo "ok 2 - second"
echo "ok 2 - second again"
echo "ok 3 - third"
exit 0
