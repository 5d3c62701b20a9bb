// SPDX-License-Identifier: GPL-2.0
/*
 * pmemuctl: size parsing ("4G", "0x200000", "512") and formatting
 * (ndctl's "2.00 GiB (2.15 GB)").  All units are binary: K = 2^10 ... T = 2^40.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <json-c/printbuf.h>

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

/* x * 200 / 2^shift without overflow: hundredths of a unit, times two */
static uint64_t centi2(uint64_t x, unsigned int shift)
{
	uint64_t mask = (UINT64_C(1) << shift) - 1;

	return (x >> shift) * 200 + ((x & mask) * 200 >> shift);
}

/*
 * ndctl's human form of a size: under 5000 KiB it stays a number (false);
 * else binary and decimal units with two decimals, rounded half up, MiB/MB
 * below 2 GiB and GiB/GB from there: "512.00 MiB (536.87 MB)".
 */
bool size_format(uint64_t val, char *buf, size_t len)
{
	bool giga = val >= UINT64_C(2) << 30;
	uint64_t cbin = (centi2(val, giga ? 30 : 20) + 1) / 2;
	uint64_t cdec = (val / (giga ? 5000000 : 5000) + 1) / 2;

	if (val < 5000 * 1024)
		return false;
	snprintf(buf, len, "%" PRIu64 ".%02" PRIu64 " %s (%" PRIu64 ".%02" PRIu64 " %s)",
		 cbin / 100, cbin % 100, giga ? "GiB" : "MiB",
		 cdec / 100, cdec % 100, giga ? "GB" : "MB");
	return true;
}

static int print_size(struct json_object *o, struct printbuf *pb, int level,
		      int flags)
{
	uint64_t val = json_object_get_uint64(o);
	char buf[64], str[68];

	(void)level;
	(void)flags;
	if (size_format(val, buf, sizeof(buf)))
		snprintf(str, sizeof(str), "\"%s\"", buf);
	else
		snprintf(str, sizeof(str), "%" PRIu64, val);
	return printbuf_memappend(pb, str, (int)strlen(str));
}

/*
 * A size as a JSON number; with human set it prints in ndctl's form (see
 * size_format()), and stays a number to json-c.
 */
struct json_object *json_size(uint64_t val, bool human)
{
	struct json_object *o = json_object_new_uint64(val);

	if (o && human)
		json_object_set_serializer(o, print_size, NULL, NULL);
	return o;
}
