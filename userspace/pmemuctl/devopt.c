// SPDX-License-Identifier: GPL-2.0
/*
 * pmemuctl device options and lookups shared by the device verbs
 * (device.c, reconfigure.c): setting names and values checked before
 * anything is written, a device found by name, a device printed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "pmemuctl.h"

/* What an attribute write does, for messages: "enable dev1", "set dev1 size=4096". */
void set_desc(char *buf, size_t len, const char *name, const char *attr,
	      const char *val)
{
	if (!strcmp(attr, "enable"))
		snprintf(buf, len, "%s %s", strcmp(val, "0") ? "enable" : "disable",
			 name);
	else
		snprintf(buf, len, "set %s %s=%s", name, attr, val);
}

/* Report a failed attribute write, with @extra after the description. */
void fail_set(const char *verb, int err, const char *name, const char *attr,
	      const char *val, const char *extra)
{
	char what[NAME_MAX + 2 * SIZE_STR_MAX + 16];

	set_desc(what, sizeof(what), name, attr, val);
	fail(verb, err, "%s%s", what, extra);
}

int check_map(const char *verb, const char *map)
{
	if (strcmp(map, "mem") && strcmp(map, "dev"))
		return usage_error(verb, "invalid --map '%s': expected mem or dev", map);
	return RC_OK;
}

int check_mode(const char *verb, const char *mode)
{
	if (strcmp(mode, "fsdax") && strcmp(mode, "devdax"))
		return usage_error(verb, "invalid --mode '%s': expected fsdax or devdax",
				   mode);
	return RC_OK;
}

/* --align: 4K, 2M or 1G (any spelling size_parse() takes), as bytes. */
int parse_align(const char *verb, const char *arg, char *buf, size_t len)
{
	uint64_t v;

	if (size_parse(arg, &v) ||
	    (v != 4096 && v != 2ULL << 20 && v != 1ULL << 30))
		return usage_error(verb, "invalid --align '%s': expected 4K, 2M or 1G",
				   arg);
	snprintf(buf, len, "%llu", (unsigned long long)v);
	return RC_OK;
}

int check_lifetime(const char *verb, const char *lifetime)
{
	if (strcmp(lifetime, "sweep") && strcmp(lifetime, "tracked"))
		return usage_error(verb, "invalid --lifetime '%s': expected sweep or tracked",
				   lifetime);
	return RC_OK;
}

/* Parse a --size or --offset value into its attribute string. */
int parse_extent_arg(const char *verb, const char *opt, const char *arg,
		     char *buf, size_t len)
{
	uint64_t v;
	int err;

	err = strcmp(opt, "offset") ? size_parse(arg, &v) : offset_parse(arg, buf, len);
	if (err)
		return usage_error(verb, "invalid --%s '%s': %s", opt, arg,
				   err == -ERANGE ? "too large" :
				   "expected a number with an optional K, M, G or T suffix");
	if (strcmp(opt, "offset"))
		snprintf(buf, len, "%llu", (unsigned long long)v);
	return RC_OK;
}

/* Print configfs device NAME as JSON (as list -D does). */
int print_dev(const char *verb, const char *name)
{
	struct json_object *o;
	struct pmemu_dev d;
	int err;

	err = dev_load_cfg(name, &d);
	if (err) {
		fail(verb, -err, "read %s", name);
		return RC_FAIL;
	}
	o = dev_to_json(&d, 0);
	if (!o) {
		fail(verb, ENOMEM, "print %s", name);
		return RC_FAIL;
	}
	print_json(o);
	json_object_put(o);
	return RC_OK;
}

/*
 * Parse "VERB [-h] [-f] NAME" (-f/--force only if @force is not NULL);
 * RC_OK with *name set, RC_DONE after --help.
 */
int parse_name_only(const char *verb, int argc, char **argv,
		    const char **name, bool *force)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, force ? ":fh" : ":h",
				force ? longopts : longopts + 1, NULL)) != -1) {
		if (c == 'f') {
			*force = true;
			continue;
		}
		if (c != 'h')
			return option_error(verb, c, argv);
		return print_help(verb);
	}
	if (optind >= argc)
		return usage_error(verb, "missing device NAME");
	if (optind + 1 < argc)
		return usage_error(verb, "unexpected argument '%s'", argv[optind + 1]);
	*name = strip_dev(argv[optind]);
	return check_name(verb, *name);
}

/* Find a device that has a configfs directory; reports the error. */
int find_cfg_dev(const char *verb, const char *arg, struct pmemu_dev *d)
{
	int err = dev_find(arg, d);

	if (err == -ENODEV) {
		fail(verb, ENODEV, "%s", arg);
		return RC_FAIL;
	}
	if (err) {
		fail(verb, -err, "read %s", arg);
		return RC_FAIL;
	}
	if (!d->name[0]) {
		fail(verb, EOPNOTSUPP, "%s was made by the module at load time", arg);
		return RC_FAIL;
	}
	if (d->no_item) {
		/* restored from its region's labels: its item manages it */
		err = dev_adopt(d);
		if (err) {
			fail(verb, -err, "make the configfs directory of %s (restored from its region's labels)",
			     arg);
			return RC_FAIL;
		}
	}
	return RC_OK;
}

const char *const set_attr[S_COUNT] = { "region", "mode", "map", "offset",
					"size", "align", "lifetime" };

/* Read configfs device NAME's settings (all but enable). */
int settings_read(const char *name, struct settings *s)
{
	char dir[PATH_MAX];
	int i, err;

	err = cfg_path(dir, sizeof(dir), name);
	for (i = 0; !err && i < S_COUNT; i++)
		err = attr_read(dir, set_attr[i], s->v[i], SIZE_STR_MAX);
	return err;
}

/*
 * Write all settings of disabled device NAME, then enable if asked; @f says
 * where it stopped.  The size is first set to 0 ("the rest", valid at any
 * offset) so that the kernel never sees a new offset with an old size that
 * does not fit.
 */
int settings_write(const char *name, const struct settings *s, bool enable,
		   struct failure *f)
{
	int i;

	f->attr = "size";
	f->val = "0";
	f->err = dev_set(name, f->attr, f->val);
	if (f->err)
		return f->err;
	for (i = 0; i < S_COUNT; i++) {
		/* a region never set reads -1, which no write sets */
		if (i == S_REGION && s->v[i][0] == '-')
			continue;
		f->attr = set_attr[i];
		f->val = s->v[i];
		f->err = dev_set(name, f->attr, f->val);
		if (f->err)
			return f->err;
	}
	if (!enable)
		return 0;
	f->attr = "enable";
	f->val = "1";
	f->err = dev_set(name, f->attr, f->val);
	return f->err;
}
