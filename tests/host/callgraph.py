#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Which driver file uses which: the layering check of tests/host/lint.sh.

Usage: callgraph.py DIR

Reads DIR/*.c, finds every function and object each file defines without
"static" (the names other files may use), and draws an edge A -> B when
A.c names one that B.c defines.  Prints the edges with the names behind
them, then the files bottom-up (each uses only files printed before it),
and exits 1 if the edges form a cycle, naming the files in it.
"""
import os
import re
import sys

COMMENT_OR_STRING = re.compile(
    r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)
# a non-static definition starting in column 0: a function (its
# parameter list followed by a body) or an initialised object
FUNC = re.compile(r'^(?!static\b)[A-Za-z_][\w \t\*]*?\b(\w+)\s*\([^;{}]*\)\s*\{',
                  re.M)
OBJECT = re.compile(r'^(?!static\b)(?:const\s+)?(?:struct\s+)?\w+\s+\**(\w+)'
                    r'\s*(?:\[[^\]]*\])?\s*=', re.M)
DEFINE = re.compile(r'^DEFINE_\w+\((\w+)\)', re.M)
IDENT = re.compile(r'\b[A-Za-z_]\w*\b')


def sources(d):
    out = {}
    for name in sorted(os.listdir(d)):
        if name.endswith('.c'):
            with open(os.path.join(d, name)) as f:
                out[name] = COMMENT_OR_STRING.sub(' ', f.read())
    return out


def definitions(srcs):
    owner = {}
    for name, text in srcs.items():
        for rx in (FUNC, OBJECT, DEFINE):
            for m in rx.finditer(text):
                owner.setdefault(m.group(1), set()).add(name)
    return owner


def edges_of(srcs, owner):
    edges = {name: {} for name in srcs}
    for name, text in srcs.items():
        for tok in set(IDENT.findall(text)):
            for other in owner.get(tok, ()):
                if other != name:
                    edges[name].setdefault(other, set()).add(tok)
    return edges


def bottom_up(edges):
    """Files in an order where each uses only earlier ones, and the rest."""
    order, left = [], set(edges)
    while True:
        ready = sorted(f for f in left if not set(edges[f]) & left)
        if not ready:
            return order, sorted(left)
        order += ready
        left -= set(ready)


def main():
    if len(sys.argv) != 2:
        sys.exit('usage: callgraph.py DIR')
    srcs = sources(sys.argv[1])
    edges = edges_of(srcs, definitions(srcs))
    for a in sorted(edges):
        for b in sorted(edges[a]):
            print('%s -> %s: %s' % (a, b, ' '.join(sorted(edges[a][b]))))
    order, cyclic = bottom_up(edges)
    print('bottom up: ' + ' '.join(order))
    if cyclic:
        print('in or above a cycle: ' + ' '.join(cyclic))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
