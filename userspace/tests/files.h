/* SPDX-License-Identifier: GPL-2.0 */
/*
 * File helpers shared by the test programs.
 */
#ifndef PMEMU_TESTS_FILES_H
#define PMEMU_TESTS_FILES_H

#include <stdio.h>
#include <stdlib.h>

/*
 * file_num() - the number (decimal or 0x hex) a sysfs or debugfs file
 * holds, or -1 if it cannot be read.
 */
static inline long long file_num(const char *path)
{
	char buf[64];
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return buf[0] ? strtoll(buf, NULL, 0) : -1;
}

#endif
