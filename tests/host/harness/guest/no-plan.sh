#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Harness fixture: results but no plan.
echo "ok 1 - first"
exit 0
