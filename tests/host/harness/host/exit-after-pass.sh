#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Harness fixture: a host suite whose tests pass, exiting 1.
echo "1..1"
echo "ok 1 - first"
exit 1
