// SPDX-License-Identifier: GPL-2.0
/*
 * pmemuctl: media errors.  "inject-error" injects or clears emulated media
 * errors of an enabled device; list --media-errors shows them.  The kernel
 * keeps them per device in 512-byte sectors: /sys/block/pmemuN/badblocks
 * for fsdax, /sys/class/pmemu/pmemuN.dax/badblocks for devdax, one
 * "SECTOR COUNT" line per range.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "pmemuctl.h"

#define SECTOR 512ULL

struct inject_opts {
	const char *dev;
	uint64_t offset;
	uint64_t length;
	bool have_offset;
	bool have_length;
	bool clear;
};

static int parse_bytes(const char *opt, const char *arg, uint64_t *val)
{
	int err = size_parse(arg, val);

	if (err)
		return usage_error("inject-error", "invalid %s '%s'", opt, arg);
	if (*val % SECTOR)
		return usage_error("inject-error",
				   "%s '%s' is not a multiple of 512 bytes", opt,
				   arg);
	return RC_OK;
}

static int inject_opt(struct inject_opts *o, int c, char **argv)
{
	switch (c) {
	case 'o':
		o->have_offset = true;
		return parse_bytes("--offset", optarg, &o->offset);
	case 'l':
		o->have_length = true;
		return parse_bytes("--length", optarg, &o->length);
	case 'c':
		o->clear = true;
		return RC_OK;
	case 'h':
		return print_help("inject-error");
	default:
		return option_error("inject-error", c, argv);
	}
}

static int parse_inject(int argc, char **argv, struct inject_opts *o)
{
	static const struct option longopts[] = {
		{ "offset", required_argument, NULL, 'o' },
		{ "length", required_argument, NULL, 'l' },
		{ "clear", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	while ((c = getopt_long(argc, argv, ":o:l:ch", longopts, NULL)) != -1) {
		rc = inject_opt(o, c, argv);
		if (rc != RC_OK)
			return rc;
	}
	if (optind >= argc)
		return usage_error("inject-error", "missing DEVICE");
	if (optind + 1 < argc)
		return usage_error("inject-error", "unexpected argument '%s'",
				   argv[optind + 1]);
	o->dev = strip_dev(argv[optind]);
	if (!o->have_offset || !o->have_length)
		return usage_error("inject-error", "--offset and --length are required");
	if (!o->length)
		return usage_error("inject-error", "--length must not be 0");
	return RC_OK;
}

/* The range must lie inside the device's capacity. */
static int check_range(const struct inject_opts *o, const struct pmemu_dev *d)
{
	uint64_t cap;

	if (!d->have_extent || d->data_offset > d->extent_size)
		return RC_OK;	/* the kernel checks it */
	cap = d->extent_size - d->data_offset;
	if (o->offset >= cap || o->length > cap - o->offset)
		return usage_error("inject-error",
				   "range %#" PRIx64 "+%#" PRIx64 " is outside %s (%" PRIu64 " bytes)",
				   o->offset, o->length, o->dev, cap);
	return RC_OK;
}

static int inject(const struct inject_opts *o, const struct pmemu_dev *d)
{
	const char *attr = o->clear ? "clear_error" : "inject_error";
	char dir[PATH_MAX], val[64];
	int err;

	err = dev_sysfs_dir(d, dir, sizeof(dir));
	if (err) {
		fail("inject-error", -err, "%s", o->dev);
		return RC_FAIL;
	}
	snprintf(val, sizeof(val), "%" PRIu64 " %" PRIu64, o->offset, o->length);
	err = attr_write(dir, attr, val);
	if (err) {
		fail("inject-error", -err, "write '%s' to %s/%s (see dmesg)", val,
		     dir, attr);
		return RC_FAIL;
	}
	return RC_OK;
}

static int print_media(const struct pmemu_dev *d)
{
	struct json_object *o = json_object_new_object();
	int err;

	if (!o) {
		fail("inject-error", ENOMEM, "build JSON");
		return RC_FAIL;
	}
	json_object_object_add(o, "dev", json_object_new_string(dev_key(d)));
	err = dev_add_media_errors(o, d);
	if (err) {
		json_object_put(o);
		fail("inject-error", -err, "read the media errors of %s", dev_key(d));
		return RC_FAIL;
	}
	print_json(o);
	json_object_put(o);
	return RC_OK;
}

int cmd_inject_error(int argc, char **argv)
{
	struct inject_opts o = { 0 };
	struct pmemu_dev d;
	int rc, err;

	rc = parse_inject(argc, argv, &o);
	if (rc != RC_OK)
		return rc == RC_DONE ? RC_OK : rc;
	if (!require_root("inject-error") || env_prepare("inject-error"))
		return RC_FAIL;
	err = dev_find(o.dev, &d);
	if (err) {
		fail("inject-error", -err, "%s", o.dev);
		return RC_FAIL;
	}
	if (!d.enabled || !d.node[0]) {
		fail("inject-error", ENXIO, "%s is not enabled", o.dev);
		return RC_FAIL;
	}
	rc = check_range(&o, &d);
	if (rc == RC_OK)
		rc = inject(&o, &d);
	if (rc == RC_OK)
		rc = print_media(&d);
	return rc;
}
