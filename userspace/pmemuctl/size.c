// SPDX-License-Identifier: GPL-2.0
/*
 * pmemuctl: size parsing ("4G", "0x200000", "512") and formatting
 * ("2.00 GiB").  All units are binary: K = 2^10 ... T = 2^40.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "pmemuctl.h"

static int suffix_shift(const char *s)
{
	if (!s[0])
		return 0;
	if (s[1])
		return -1;
	switch (toupper((unsigned char)s[0])) {
	case 'K': return 10;
	case 'M': return 20;
	case 'G': return 30;
	case 'T': return 40;
	default: return -1;
	}
}

/*
 * Parse a size: decimal or 0x-prefixed hexadecimal digits, optionally
 * followed by one of K, M, G, T (either case).  -EINVAL for anything else
 * (signs, spaces, octal-looking prefixes are just decimal), -ERANGE if the
 * value does not fit in 64 bits.
 */
int size_parse(const char *str, uint64_t *val)
{
	const char *p = str;
	unsigned long long v;
	int base = 10, shift;
	char *end;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!(base == 16 ? isxdigit((unsigned char)*p) : isdigit((unsigned char)*p)))
		return -EINVAL;
	errno = 0;
	v = strtoull(p, &end, base);
	if (errno)
		return -errno;
	shift = suffix_shift(end);
	if (shift < 0)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*val = (uint64_t)v << shift;
	return 0;
}

/* Parse an --offset argument into its attribute value: "auto" or decimal. */
int offset_parse(const char *str, char *buf, size_t len)
{
	uint64_t v;
	int err;

	if (!strcmp(str, "auto")) {
		snprintf(buf, len, "auto");
		return 0;
	}
	err = size_parse(str, &v);
	if (!err)
		snprintf(buf, len, "%" PRIu64, v);
	return err;
}

/* "512 B", "4.00 KiB", "2.00 GiB": binary units, two decimals. */
void size_format(uint64_t val, char *buf, size_t len)
{
	static const char *const units[] = {
		"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB",
	};
	unsigned int i = 0;

	while (i + 1 < ARRAY_SIZE(units) &&
	       val >= (UINT64_C(1) << (10 * (i + 1))))
		i++;
	if (i == 0)
		snprintf(buf, len, "%" PRIu64 " B", val);
	else
		snprintf(buf, len, "%.2f %s",
			 (double)val / (double)(UINT64_C(1) << (10 * i)), units[i]);
}

/* A size as a JSON number, or as a "2.00 GiB" string when human is set. */
struct json_object *json_size(uint64_t val, bool human)
{
	char buf[SIZE_STR_MAX];

	if (!human)
		return json_object_new_uint64(val);
	size_format(val, buf, sizeof(buf));
	return json_object_new_string(buf);
}
