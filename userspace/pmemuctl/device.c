// SPDX-License-Identifier: GPL-2.0
/*
 * pmemuctl device verbs: create-device, destroy-device, enable-device,
 * disable-device.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "pmemuctl.h"

struct create_opts {
	char region[16];
	char size[SIZE_STR_MAX];	/* "" if not given */
	char offset[SIZE_STR_MAX];	/* "" if not given */
	const char *mode;
	const char *map;
	const char *name;		/* NULL: first free devN */
	char align[SIZE_STR_MAX];	/* "" if not given */
	const char *lifetime;		/* "" if not given */
};

static int parse_region(const char *arg, char *buf, size_t len)
{
	int id = region_parse(arg);

	if (id < 0)
		return usage_error("create-device", "invalid --region '%s' (regionN or N)",
				   arg);
	snprintf(buf, len, "%d", id);
	return RC_OK;
}

static int create_opt(struct create_opts *o, int c, char **argv)
{
	const char *verb = "create-device";

	switch (c) {
	case 'r':
		return parse_region(optarg, o->region, sizeof(o->region));
	case 's':
		return parse_extent_arg(verb, "size", optarg, o->size, sizeof(o->size));
	case 'o':
		return parse_extent_arg(verb, "offset", optarg, o->offset,
					sizeof(o->offset));
	case 'm':
		o->mode = optarg;
		return check_mode(verb, optarg);
	case 'M':
		o->map = optarg;
		return check_map(verb, optarg);
	case 'n':
		o->name = optarg;
		return check_name(verb, optarg);
	case 'a':
		return parse_align(verb, optarg, o->align, sizeof(o->align));
	case 'l':
		o->lifetime = optarg;
		return check_lifetime(verb, optarg);
	case 'h':
		return print_help(verb);
	default:
		return option_error(verb, c, argv);
	}
}

static int parse_create(int argc, char **argv, struct create_opts *o)
{
	static const struct option longopts[] = {
		{ "region", required_argument, NULL, 'r' },
		{ "size", required_argument, NULL, 's' },
		{ "offset", required_argument, NULL, 'o' },
		{ "mode", required_argument, NULL, 'm' },
		{ "map", required_argument, NULL, 'M' },
		{ "name", required_argument, NULL, 'n' },
		{ "align", required_argument, NULL, 'a' },
		{ "lifetime", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	while ((c = getopt_long(argc, argv, ":r:s:o:m:M:n:a:l:h", longopts,
				NULL)) != -1) {
		rc = create_opt(o, c, argv);
		if (rc != RC_OK)
			return rc;
	}
	if (optind < argc)
		return usage_error("create-device", "unexpected argument '%s'",
				   argv[optind]);
	if (!o->region[0])
		return usage_error("create-device", "missing --region");
	if (!o->mode)
		return usage_error("create-device", "missing --mode");
	if (strcmp(o->mode, "devdax") && (o->align[0] || o->lifetime[0]))
		return usage_error("create-device",
				   "--align and --lifetime apply to --mode devdax only");
	return RC_OK;
}

/* mkdir the configfs directory: WANT, or the first free devN. */
static int create_dir(const char *want, char *name, size_t len)
{
	char dir[PATH_MAX];
	int i, err;

	for (i = 0; i < 100000; i++) {
		if (want)
			snprintf(name, len, "%s", want);
		else
			snprintf(name, len, "dev%d", i);
		err = cfg_path(dir, sizeof(dir), name);
		if (err)
			return err;
		/* mkdir of a restored device's name would hand it over */
		if (dev_name_live(name))
			errno = EEXIST;
		else if (!mkdir(dir, 0755))
			return 0;
		if (errno != EEXIST || want)
			return -errno;
	}
	return -EEXIST;
}

/* Append to @buf at *@off, never past @len. */
PRINTF(4, 5) static void append(char *buf, size_t len, size_t *off,
				const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	*off = n < 0 ? len : *off + (size_t)n;
}

/*
 * Why region @id has no room, for an ENOSPC message: the devices holding
 * extents in it, and the way out.  "" if none is found.
 */
static void occupants(int id, char *buf, size_t len)
{
	struct dev_vec devs;
	bool by_module = false;
	size_t i, off = 0;

	buf[0] = '\0';
	if (dev_list(&devs, true))
		return;
	for (i = 0; i < devs.n; i++) {
		const struct pmemu_dev *d = &devs.v[i];

		if (d->region != id || (!d->enabled && strcmp(d->state, "draining")))
			continue;
		if (off)
			append(buf, len, &off, ", ");
		else
			append(buf, len, &off, "; region%d is used by ", id);
		append(buf, len, &off, "%s%s", dev_key(d),
		       strcmp(d->state, "draining") ? "" : " (draining)");
		by_module |= !d->name[0];
	}
	dev_vec_free(&devs);
	if (!off)
		return;
	append(buf, len, &off, by_module ?
	       " (made by the module at load: load pmemu with autocreate=0 to keep the region free)" :
	       " ('pmemuctl destroy-device NAME' frees an extent)");
}

/* Write the settings and enable; on failure report which write failed. */
static int create_configure(const struct create_opts *o, const char *name)
{
	const char *const attrs[] = { "region", "offset", "size", "mode", "map",
				      "align", "lifetime", "enable" };
	const char *const vals[] = { o->region, o->offset, o->size, o->mode, o->map,
				     o->align, o->lifetime, "1" };
	char why[512] = "";
	size_t i;
	int err;

	for (i = 0; i < ARRAY_SIZE(attrs); i++) {
		if (!vals[i][0])
			continue;
		err = dev_set(name, attrs[i], vals[i]);
		if (err == -ENOSPC) {
			/* after the errno: what fills the region, the way out */
			char what[NAME_MAX + 2 * SIZE_STR_MAX + 16];

			set_desc(what, sizeof(what), name, attrs[i], vals[i]);
			occupants(atoi(o->region), why, sizeof(why));
			note("create-device", "%s: %s%s", what, strerror(ENOSPC), why);
			return err;
		}
		if (err) {
			fail_set("create-device", -err, name, attrs[i], vals[i], "");
			return err;
		}
	}
	return 0;
}

static void remove_dir(const char *verb, const char *name)
{
	int err = dev_remove(name);

	if (err)
		fail(verb, -err, "remove %s", name);
}

int cmd_create(int argc, char **argv)
{
	struct create_opts o = { .offset = "", .size = "", .map = "mem",
				 .align = "", .lifetime = "" };
	const char *verb = "create-device";
	char name[NAME_MAX + 1];
	int rc, err;

	rc = parse_create(argc, argv, &o);
	if (rc != RC_OK)
		return rc == RC_DONE ? RC_OK : rc;
	if (!require_root(verb) || env_prepare(verb))
		return RC_FAIL;
	if (!region_exists(atoi(o.region))) {
		fail(verb, ENODEV, "region %s", o.region);
		return RC_FAIL;
	}
	err = create_dir(o.name, name, sizeof(name));
	if (err) {
		fail(verb, -err, "create %s", o.name ? o.name : "devN");
		return RC_FAIL;
	}
	if (create_configure(&o, name)) {
		remove_dir(verb, name);
		return RC_FAIL;
	}
	print_dev(verb, name);
	return RC_OK;
}

/* The common start of destroy/enable/disable: parse, root, module, find. */
static int start_verb(const char *verb, int argc, char **argv,
		      struct pmemu_dev *d, bool *force)
{
	const char *arg;
	int rc;

	rc = parse_name_only(verb, argc, argv, &arg, force);
	if (rc != RC_OK)
		return rc;
	if (!require_root(verb) || env_prepare(verb))
		return RC_FAIL;
	return find_cfg_dev(verb, arg, d);
}

/* Write enable; -errno, reported unless it is EBUSY and @force is set. */
static int set_enable(const char *verb, const struct pmemu_dev *d, bool on,
		      bool force)
{
	const char *val = on ? "1" : "0";
	int err;

	if (d->enabled == on)
		return 0;
	err = dev_set(d->name, "enable", val);
	if (err && !(err == -EBUSY && force))
		fail_set(verb, -err, d->name, "enable", val, "");
	return err;
}

static void forcing(const char *verb, const struct pmemu_dev *d)
{
	note(verb, "%s is in use: taking it away (mappers get SIGBUS, I/O fails with EIO)",
	     d->name);
}

int cmd_enable(int argc, char **argv)
{
	const char *verb = "enable-device";
	struct pmemu_dev d;
	int rc;

	rc = start_verb(verb, argc, argv, &d, NULL);
	if (rc == RC_OK && set_enable(verb, &d, true, false))
		rc = RC_FAIL;
	if (rc == RC_OK)
		rc = print_dev(verb, d.name);
	return rc == RC_DONE ? RC_OK : rc;
}

/*
 * Disable an open device: rmdir (configfs cannot refuse it, the kernel
 * tears the device down) and mkdir again with the same settings.
 */
static int disable_forced(const char *verb, const struct pmemu_dev *d)
{
	struct settings s = { 0 };
	struct failure f;
	char name[NAME_MAX + 1];
	int err;

	err = settings_read(d->name, &s);
	if (err) {
		fail(verb, -err, "read %s settings", d->name);
		return RC_FAIL;
	}
	forcing(verb, d);
	err = dev_remove(d->name);
	if (err) {
		fail(verb, -err, "remove %s", d->name);
		return RC_FAIL;
	}
	err = create_dir(d->name, name, sizeof(name));
	if (err) {
		fail(verb, -err, "make %s again (its settings were region=%s mode=%s size=%s)",
		     d->name, s.v[S_REGION], s.v[S_MODE], s.v[S_SIZE]);
		return RC_FAIL;
	}
	if (settings_write(d->name, &s, false, &f)) {
		fail_set(verb, -f.err, d->name, f.attr, f.val,
			 " (made again after a forced disable)");
		return RC_FAIL;
	}
	return RC_OK;
}

/*
 * disable-device and destroy-device: disable (with --force also an open
 * device), then for destroy remove the configfs directory.
 */
static int take_down(const char *verb, int argc, char **argv, bool destroy)
{
	bool force = false;
	struct pmemu_dev d;
	int rc, err;

	rc = start_verb(verb, argc, argv, &d, &force);
	if (rc != RC_OK)
		return rc == RC_DONE ? RC_OK : rc;
	err = set_enable(verb, &d, false, force);
	if (err && !(err == -EBUSY && force))
		return RC_FAIL;
	if (!destroy)
		return err ? disable_forced(verb, &d) : RC_OK;
	if (err)
		forcing(verb, &d);
	err = dev_remove(d.name);
	if (err) {
		fail(verb, -err, "remove %s", d.name);
		return RC_FAIL;
	}
	return RC_OK;
}

int cmd_disable(int argc, char **argv)
{
	return take_down("disable-device", argc, argv, false);
}

int cmd_destroy(int argc, char **argv)
{
	return take_down("destroy-device", argc, argv, true);
}
