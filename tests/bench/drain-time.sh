#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench-vm: --mem 22G --cmdline memmap=17G$4G
# Guest side of the drain-time benchmark (tests/bench/run): how long
# bringing up and taking away an idle devdax device takes, by size
# (1, 4 and 16 GiB), lifetime (sweep, tracked) and align (4K, 2M).  An idle
# device has no page in use, so this is the price of each model's
# teardown bookkeeping: sweep reads the refcount of every folio, tracked
# reads one counter; memremap_pages/memunmap_pages dominate both.  Every
# sample goes to $OUT/drain-time.jsonl, the medians to $OUT/drain-time.md.
BENCH_REPS=5
. "$(dirname "$0")/lib.sh"

C=/sys/kernel/config/pmemu
now_ns() { date +%s%N; }

load_pmemu "ranges=$(pmemu_boot_ranges)" autocreate=0 || die "modprobe pmemu"
: > "$OUT/drain-time.jsonl"
for size in 1G 4G 16G; do
	for align in 4K 2M; do
		for rep in $(seq "$REPS"); do
			# alternate which goes first: creating after a take-away
			# is not the same as creating after a creation
			order="sweep tracked"
			[ $((rep % 2)) = 0 ] && order="tracked sweep"
			for lt in $order; do
				mkdir $C/t && echo 0 > $C/t/region && echo $size > $C/t/size &&
					echo devdax > $C/t/mode && echo $align > $C/t/align &&
					echo $lt > $C/t/lifetime || die "configure"
				t0=$(now_ns)
				echo 1 > $C/t/enable || die "enable $size $align $lt"
				t1=$(now_ns)
				# touch nothing: an idle device
				echo 0 > $C/t/enable || die "disable"
				t2=$(now_ns)
				rmdir $C/t
				printf '{"size":"%s","align":"%s","label":"%s","lifetime":"%s","rep":%d,"create_ns":%d,"destroy_ns":%d}\n' \
					$size $align $lt $lt "$rep" $((t1 - t0)) $((t2 - t1)) >> "$OUT/drain-time.jsonl"
			done
		done
	done
done

bench_jq "$OUT/drain-time.jsonl" '
  group_by([.size, .align]) | map(
    med("sweep"; .destroy_ns) as $sw |
    group_by(.lifetime) | map({
      size: .[0].size, align: .[0].align, lifetime: .[0].lifetime,
      create_ms: (map(.create_ns) | median / 1e6),
      destroy_ms: (map(.destroy_ns) | median / 1e6),
      dmin: (map(.destroy_ns) | min / 1e6), dmax: (map(.destroy_ns) | max / 1e6),
      ratio: ((map(.destroy_ns) | median) / $sw)
    })) | flatten | sort_by(.size | rtrimstr("G") | tonumber) |
  (["| size | align | lifetime | create ms | take away (teardown + drain) ms, median (min–max) | take away / sweep |",
    "|---|---|---|---|---|---|"] +
   map("| \(.size) | \(.align) | \(.lifetime) | \(.create_ms | round) | \(.destroy_ms | round) (\(.dmin | round)–\(.dmax | round)) | \(.ratio | r2) |"))
  | .[]' > "$OUT/drain-time.md" || die "summary"
bench_jq "$OUT/drain-time.jsonl" '
  (["row\ttracked/sweep take away\ttracked/sweep create"] +
   (group_by([.size, .align]) | sort_by(.[0].size | rtrimstr("G") | tonumber) |
    map("\(.[0].size)_\(.[0].align)\t\(med("tracked"; .destroy_ns) / med("sweep"; .destroy_ns))\t\(med("tracked"; .create_ns) / med("sweep"; .create_ns))")))
  | .[]' > "$OUT/drain-time.tsv" || die "tsv"
cat "$OUT/drain-time.md"
