# SPDX-License-Identifier: GPL-2.0
# jq helpers of the benchmarks (tests/bench/lib.sh: bench_jq).

# median of an array of numbers; null for an empty one
def median:
  sort | if length == 0 then null
         elif length % 2 == 1 then .[length / 2 | floor]
         else (.[length / 2 - 1] + .[length / 2]) / 2 end;

# median of field f over the samples whose .label is $l
def med($l; f): map(select(.label == $l)) | map(f) | median;

# minimum and maximum of field f over the samples labelled $l
def lo($l; f): map(select(.label == $l)) | map(f) | min;
def hi($l; f): map(select(.label == $l)) | map(f) | max;

# a ratio rounded to two decimals
def r2: . * 100 | round / 100;

# the samples of one phase (.phase: 1 with nd_e820's anchors, 2 with
# ramdax's; the benchmarks that measure both run them one after the other)
def ph($p): map(select(.phase == $p));
