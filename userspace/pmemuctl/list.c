// SPDX-License-Identifier: GPL-2.0
/*
 * pmemuctl list: regions and devices as JSON.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <json-c/json.h>

#include "pmemuctl.h"

static const char list_help[] =
"Usage: pmemuctl list [-R|--regions] [-D|--devices] [-v|--verbose] [-u|--human]\n"
"                     [-M|--media-errors]\n"
"\n"
"Print pmemu regions and devices as JSON, indented by two spaces. With no\n"
"option, print the array of devices. An empty result prints [].\n"
"\n"
"Options:\n"
"  -R, --regions   list regions\n"
"  -D, --devices   list devices; with -R, each region gets a \"devices\"\n"
"                  array of the devices carved from it\n"
"  -v, --verbose   also print region \"start\" and device \"offset\",\n"
"                  \"data_offset\", \"extent_size\" and \"phys_start\"\n"
"                  (addresses are only readable by root)\n"
"  -u, --human     print sizes as strings in binary units (\"2.00 GiB\")\n"
"  -M, --media-errors\n"
"                  add \"badblock_count\" (bad 512-byte sectors) and\n"
"                  \"badblocks\" ([{\"offset\": SECTOR, \"length\": SECTORS}],\n"
"                  relative to the device's start) to enabled devices\n"
"  -h, --help      show this help\n"
"\n"
"Region keys: dev, id, size, available_size, max_available_extent, align,\n"
"source [, start].\n"
"Device keys: dev, name, mode, map, size (capacity in bytes; for a disabled\n"
"device the configured size, 0 = the rest), align and lifetime (devdax),\n"
"region, blockdev (enabled fsdax) or chardev (enabled devdax), enabled,\n"
"state (configfs devices: live, disabled, or draining while pages of a\n"
"disabled device are still mapped or pinned)\n"
"[, offset, data_offset, extent_size, phys_start] [, badblock_count,\n"
"badblocks].\n"
"\n"
"list does not need root. If the pmemu module is not loaded, root loads it;\n"
"other users get a note on stderr and [].\n"
"\n"
"Example:\n"
"  pmemuctl list -R -D -u\n";

struct list_opts {
	bool regions;
	bool devices;
	unsigned int flags;
};

static int parse_list(int argc, char **argv, struct list_opts *o)
{
	static const struct option longopts[] = {
		{ "regions", no_argument, NULL, 'R' },
		{ "devices", no_argument, NULL, 'D' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "human", no_argument, NULL, 'u' },
		{ "media-errors", no_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, ":RDvuMh", longopts, NULL)) != -1) {
		switch (c) {
		case 'R':
			o->regions = true;
			break;
		case 'D':
			o->devices = true;
			break;
		case 'v':
			o->flags |= JF_VERBOSE;
			break;
		case 'u':
			o->flags |= JF_HUMAN;
			break;
		case 'M':
			o->flags |= JF_MEDIA;
			break;
		case 'h':
			fputs(list_help, stdout);
			return RC_DONE;
		default:
			return option_error("list", c, argv);
		}
	}
	if (optind < argc)
		return usage_error("list", "unexpected argument '%s'", argv[optind]);
	if (!o->regions)
		o->devices = true;
	return RC_OK;
}

/* NULL if a device cannot be listed (dev_to_json() said why, or no memory). */
static struct json_object *devices_json(const struct dev_vec *devs, int region,
					unsigned int flags)
{
	struct json_object *a = json_object_new_array(), *d;
	size_t i;

	for (i = 0; a && i < devs->n; i++) {
		if (region >= 0 && devs->v[i].region != region)
			continue;
		d = dev_to_json(&devs->v[i], flags);
		if (!d) {
			if (!(flags & JF_MEDIA))
				fail("list", ENOMEM, "build JSON");
			json_object_put(a);
			return NULL;
		}
		json_object_array_add(a, d);
	}
	return a;
}

static int regions_json(const struct list_opts *o, const struct dev_vec *devs,
			struct json_object *out)
{
	struct json_object *r, *d;
	size_t i, n;
	int *ids, err;

	err = region_ids(&ids, &n);
	if (err) {
		fail("list", -err, "%s%s", sys_root(), PMEMU_CLASS_DIR);
		return RC_FAIL;
	}
	for (i = 0; i < n; i++) {
		r = region_to_json(ids[i], o->flags);
		d = r && o->devices ? devices_json(devs, ids[i], o->flags) : NULL;
		if (r && o->devices && !d) {
			json_object_put(r);
			free(ids);
			return RC_FAIL;
		}
		if (d)
			json_object_object_add(r, "devices", d);
		json_object_array_add(out, r);
	}
	free(ids);
	return RC_OK;
}

/* Load the module if we may; RC_DONE (after a note) if there is nothing to list. */
static int list_prepare(bool *with_cfg)
{
	bool root = geteuid() == 0;

	if (!module_loaded()) {
		if (!root || sys_faked()) {
			note("list", "module %s is not loaded", PMEMU_MODULE);
			return RC_DONE;
		}
		if (module_load("list"))
			return RC_FAIL;
	}
	/* Without configfs, devices are still found through /sys/block. */
	*with_cfg = !configfs_prepare("list", root && !sys_faked());
	return RC_OK;
}

static int list_print(const struct list_opts *o, const struct dev_vec *devs)
{
	struct json_object *out;
	int rc = RC_OK;

	if (!o->regions) {
		/* NULL after saying why */
		out = devices_json(devs, -1, o->flags);
		if (!out)
			return RC_FAIL;
	} else {
		out = json_object_new_array();
		if (!out) {
			fail("list", ENOMEM, "build JSON");
			return RC_FAIL;
		}
		rc = regions_json(o, devs, out);
	}
	if (rc == RC_OK)
		print_json(out);
	json_object_put(out);
	return rc;
}

int cmd_list(int argc, char **argv)
{
	struct dev_vec devs = { NULL, 0 };
	struct list_opts o = { false, false, 0 };
	bool with_cfg = false;
	int rc, err;

	rc = parse_list(argc, argv, &o);
	if (rc != RC_OK)
		return rc == RC_DONE ? RC_OK : rc;
	rc = list_prepare(&with_cfg);
	if (rc == RC_DONE)
		puts("[]");
	if (rc != RC_OK)
		return rc == RC_DONE ? RC_OK : rc;
	if (o.devices) {
		err = dev_list(&devs, with_cfg);
		if (err) {
			fail("list", -err, "read devices");
			return RC_FAIL;
		}
	}
	rc = list_print(&o, &devs);
	dev_vec_free(&devs);
	return rc;
}
