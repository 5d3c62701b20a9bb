#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Harness fixture: every planned test passes, then the suite exits 3.
echo "1..1"
echo "ok 1 - first"
exit 3
