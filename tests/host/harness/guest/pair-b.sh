#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Harness fixture: guest/pair-a's other half (see there).
ME=b OTHER=a . "$(dirname "$0")/pair-a.sh"
