# SPDX-License-Identifier: GPL-2.0
# FAILSLAB scoped to pmemu (sourced by guest suites; debug lane kernels).
#
# Only allocations with a pmemu frame among the innermost 10 count: pmemu's
# own and those of what it calls (alloc_dax, cdev_device_add,
# blk_alloc_disk).  Deeper ones, like the partition scan's buffer under
# add_disk, print the core's own allocation-failure reports, and nothing
# is failed under memremap_pages(), whose add_pages() WARNs.

# symbol_range SYMBOL: "START END" (hex) of a kernel text symbol: its
# address and the next symbol's.
symbol_range() {
	sort /proc/kallsyms | awk -v sym="$1" '
		found { print start, $1; exit }
		$3 == sym && tolower($2) == "t" { start = $1; found = 1 }'
}

# module_text MODULE: "START END" (hex) around MODULE's text symbols.
module_text() {
	local first last
	read -r first last <<< "$(awk -v mod="[$1]" '$4 == mod && tolower($2) == "t" { print $1 }' \
		/proc/kallsyms | sort | sed -n '1p;$p' | paste -sd ' ')"
	[ -n "$last" ] || return 0
	# past the last function's start; bash wraps to the same 64 bits
	printf '%s %x\n' "$first" $((0x$last + 4096))
}

# failslab_setup: fail (through /proc/self/fail-nth) only slab allocations
# with a pmemu frame among the innermost 10 of the stack and none under
# memremap_pages(); prints what is missing, nothing when it is set up.
# Again after every modprobe: the module's text moves.
failslab_setup() {
	local FS=/sys/kernel/debug/failslab
	[ -d $FS ] || { echo "no $FS (CONFIG_FAILSLAB)"; return; }
	local start end mstart mend
	read -r start end <<< "$(symbol_range memremap_pages)"
	[ -n "$end" ] || { echo "memremap_pages not in /proc/kallsyms"; return; }
	read -r mstart mend <<< "$(module_text pmemu)"
	[ -n "$mend" ] || { echo "no pmemu text in /proc/kallsyms"; return; }
	# GFP_KERNEL allocations too; no stack dump per injected failure;
	# only allocations pmemu makes or its direct callees make for it
	# (a pmemu frame among the innermost 10), none under memremap_pages()
	echo N > $FS/ignore-gfp-wait && echo 0 > $FS/verbose &&
		printf '%u\n' "0x$mstart" > $FS/require-start &&
		printf '%u\n' "0x$mend" > $FS/require-end &&
		printf '%u\n' "0x$start" > $FS/reject-start &&
		printf '%u\n' "0x$end" > $FS/reject-end && echo 10 > $FS/stacktrace-depth ||
		echo "cannot configure $FS"
}

