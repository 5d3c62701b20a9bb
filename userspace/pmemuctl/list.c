// SPDX-License-Identifier: GPL-2.0
/*
 * pmemuctl list: regions and devices as JSON.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "pmemuctl.h"

struct list_opts {
	bool regions;
	bool devices;
	int region;			/* -1: every region */
	const char *name;		/* NULL: every device */
	const char *mode;		/* NULL: every mode */
	bool idle;
	unsigned int flags;
};

static int list_opt(struct list_opts *o, int c, char **argv)
{
	switch (c) {
	case 'R':
		o->regions = true;
		return RC_OK;
	case 'N':
	case 'D':
		o->devices = true;
		return RC_OK;
	case 'r':
		o->region = region_parse(optarg);
		if (o->region < 0)
			return usage_error("list", "invalid --region '%s' (regionN or N)",
					   optarg);
		return RC_OK;
	case 'n':
		o->name = strip_dev(optarg);
		return RC_OK;
	case 'm':
		o->mode = optarg;
		return check_mode("list", optarg);
	case 'i':
		o->idle = true;
		return RC_OK;
	case 'v':
		o->flags |= JF_VERBOSE;
		return RC_OK;
	case 'u':
		o->flags |= JF_HUMAN;
		return RC_OK;
	case 'M':
		o->flags |= JF_MEDIA;
		return RC_OK;
	case 'h':
		return print_help("list");
	default:
		return option_error("list", c, argv);
	}
}

static int parse_list(int argc, char **argv, struct list_opts *o)
{
	static const struct option longopts[] = {
		{ "regions", no_argument, NULL, 'R' },
		{ "namespaces", no_argument, NULL, 'N' },
		{ "devices", no_argument, NULL, 'D' },
		{ "region", required_argument, NULL, 'r' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "mode", required_argument, NULL, 'm' },
		{ "idle", no_argument, NULL, 'i' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "human", no_argument, NULL, 'u' },
		{ "media-errors", no_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	while ((c = getopt_long(argc, argv, ":RNDr:n:m:ivuMh", longopts, NULL)) != -1) {
		rc = list_opt(o, c, argv);
		if (rc != RC_OK)
			return rc;
	}
	if (optind < argc)
		return usage_error("list", "unexpected argument '%s'", argv[optind]);
	/* as ndctl: a region filter alone lists the region */
	if (!o->regions && !o->devices) {
		o->regions = o->region >= 0 && !o->name && !o->mode;
		o->devices = !o->regions;
	}
	return RC_OK;
}

static bool dev_selected(const struct list_opts *o, const struct pmemu_dev *d)
{
	if (!o->idle && !d->enabled)
		return false;
	if (o->region >= 0 && d->region != o->region)
		return false;
	if (o->mode && strcmp(d->mode, o->mode))
		return false;
	return !o->name || !strcmp(o->name, d->name) || !strcmp(o->name, d->node);
}

/* NULL if a device cannot be listed (dev_to_json() said why, or no memory). */
static struct json_object *devices_json(const struct list_opts *o,
					const struct dev_vec *devs, int region)
{
	struct json_object *a = json_object_new_array(), *d;
	size_t i;

	for (i = 0; a && i < devs->n; i++) {
		if (!dev_selected(o, &devs->v[i]) ||
		    (region >= 0 && devs->v[i].region != region))
			continue;
		d = dev_to_json(&devs->v[i], o->flags);
		if (!d) {
			if (!(o->flags & JF_MEDIA))
				fail("list", ENOMEM, "build JSON");
			json_object_put(a);
			return NULL;
		}
		json_object_array_add(a, d);
	}
	if (!a)
		fail("list", ENOMEM, "build JSON");
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
		if (o->region >= 0 && ids[i] != o->region)
			continue;
		r = region_to_json(ids[i], o->flags);
		d = r && o->devices ? devices_json(o, devs, ids[i]) : NULL;
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

/* As ndctl: with --human, a result of one prints as that object. */
static void print_result(const struct list_opts *o, struct json_object *out)
{
	if ((o->flags & JF_HUMAN) && json_object_array_length(out) == 1)
		print_json(json_object_array_get_idx(out, 0));
	else
		print_json(out);
}

static int list_print(const struct list_opts *o, const struct dev_vec *devs)
{
	struct json_object *out;
	int rc = RC_OK;

	if (!o->regions) {
		/* NULL after saying why */
		out = devices_json(o, devs, -1);
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
		print_result(o, out);
	json_object_put(out);
	return rc;
}

int cmd_list(int argc, char **argv)
{
	struct list_opts o = { .region = -1 };
	struct dev_vec devs = { NULL, 0 };
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
