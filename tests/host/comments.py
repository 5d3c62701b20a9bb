#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Share of comment lines in C sources (issue 18: comments say why, briefly).

usage: comments.py MAX_PERCENT FILE...

A line counts as a comment line when it is not blank and holds any comment
text (a /* */ block, a // line, or a trailing comment).  Prints one line
per file and the total; exits 1 when the total is over MAX_PERCENT.
"""
import sys


def comment_lines(text):
    """(comment lines, non-blank lines) of one C source."""
    lines = text.split('\n')
    has_comment = [False] * len(lines)
    line = 0
    i = 0
    n = len(text)
    in_block = False
    while i < n:
        ch = text[i]
        if ch == '\n':
            line += 1
            i += 1
        elif in_block:
            if text.startswith('*/', i):
                in_block = False
                i += 2
            else:
                if not ch.isspace():
                    has_comment[line] = True
                i += 1
        elif text.startswith('/*', i):
            in_block = True
            has_comment[line] = True
            i += 2
        elif text.startswith('//', i):
            has_comment[line] = True
            while i < n and text[i] != '\n':
                i += 1
        elif ch in '"\'':
            i += 1
            while i < n and text[i] != ch:
                i += 2 if text[i] == '\\' else 1
            i += 1
        else:
            i += 1
    nonblank = [k for k, s in enumerate(lines) if s.strip()]
    return sum(1 for k in nonblank if has_comment[k]), len(nonblank)


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__.strip().split('\n')[2])
    limit = float(argv[1])
    total_c = total_n = 0
    for path in argv[2:]:
        with open(path, encoding='utf-8') as f:
            c, n = comment_lines(f.read())
        print(f'{path}: {c}/{n} {100.0 * c / max(n, 1):.1f}%')
        total_c += c
        total_n += n
    share = 100.0 * total_c / max(total_n, 1)
    print(f'total: {total_c}/{total_n} {share:.1f}% (limit {limit}%)')
    return 1 if share > limit else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
