/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command-line helpers shared by the test programs.
 */
#ifndef PMEMU_TESTS_ARGS_H
#define PMEMU_TESTS_ARGS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * arg_number() - a whole number (decimal or 0x hex) from the command line,
 * or exit 2 with one message naming @prog.
 */
static inline unsigned long arg_number(const char *prog, const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || !*s || *end || *s == '-') {
		fprintf(stderr, "%s: bad number '%s'\n", prog, s);
		exit(2);
	}
	return v;
}

#endif
