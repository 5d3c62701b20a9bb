// SPDX-License-Identifier: GPL-2.0
/*
 * pmemuctl reconfigure-device: disable, rewrite settings, enable; on
 * failure write the old settings back and re-enable.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmemuctl.h"

static int reconf_opt(struct settings *s, int c, char **argv)
{
	const char *verb = "reconfigure-device";

	switch (c) {
	case 'm':
		s->given[S_MODE] = true;
		snprintf(s->v[S_MODE], SIZE_STR_MAX, "%s", optarg);
		return check_mode(verb, optarg);
	case 'M':
		s->given[S_MAP] = true;
		snprintf(s->v[S_MAP], SIZE_STR_MAX, "%s", optarg);
		return check_map(verb, optarg);
	case 's':
		s->given[S_SIZE] = true;
		return parse_extent_arg(verb, "size", optarg, s->v[S_SIZE], SIZE_STR_MAX);
	case 'o':
		s->given[S_OFFSET] = true;
		return parse_extent_arg(verb, "offset", optarg, s->v[S_OFFSET],
					SIZE_STR_MAX);
	case 'a':
		s->given[S_ALIGN] = true;
		return parse_align(verb, optarg, s->v[S_ALIGN], SIZE_STR_MAX);
	case 'l':
		s->given[S_LIFETIME] = true;
		snprintf(s->v[S_LIFETIME], SIZE_STR_MAX, "%s", optarg);
		return check_lifetime(verb, optarg);
	case 'f':
		s->force = true;
		return RC_OK;
	case 'h':
		return print_help(verb);
	default:
		return option_error(verb, c, argv);
	}
}

static int parse_reconf(int argc, char **argv, struct settings *s,
			const char **name)
{
	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "map", required_argument, NULL, 'M' },
		{ "size", required_argument, NULL, 's' },
		{ "offset", required_argument, NULL, 'o' },
		{ "align", required_argument, NULL, 'a' },
		{ "lifetime", required_argument, NULL, 'l' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *verb = "reconfigure-device";
	int c, i, rc;

	while ((c = getopt_long(argc, argv, ":m:M:s:o:a:l:fh", longopts, NULL)) != -1) {
		rc = reconf_opt(s, c, argv);
		if (rc != RC_OK)
			return rc;
	}
	if (optind >= argc)
		return usage_error(verb, "missing device NAME");
	if (optind + 1 < argc)
		return usage_error(verb, "unexpected argument '%s'", argv[optind + 1]);
	*name = strip_dev(argv[optind]);
	for (i = 0; i < S_COUNT && !s->given[i]; i++)
		;
	if (i == S_COUNT)
		return usage_error(verb, "nothing to change: give --mode, --map, --size, --offset, --align or --lifetime");
	return check_name(verb, *name);
}

static int reconfigure(const struct pmemu_dev *d, const struct settings *want,
		       const struct settings *old)
{
	const char *verb = "reconfigure-device";
	struct failure f, r;
	int err;

	if (d->enabled) {
		err = dev_set(d->name, "enable", "0");
		if (err) {
			fail_set(verb, -err, d->name, "enable", "0", "");
			return RC_FAIL;
		}
	}
	if (!settings_write(d->name, want, true, &f))
		return print_dev(verb, d->name);
	if (settings_write(d->name, old, d->enabled, &r)) {
		char what[NAME_MAX + 2 * SIZE_STR_MAX + 16], extra[sizeof(what) + 96];

		set_desc(what, sizeof(what), d->name, r.attr, r.val);
		snprintf(extra, sizeof(extra),
			 " (restoring the old settings failed too: %s: %s)", what,
			 strerror(-r.err));
		fail_set(verb, -f.err, d->name, f.attr, f.val, extra);
	} else {
		fail_set(verb, -f.err, d->name, f.attr, f.val,
			 " (old settings restored)");
	}
	return RC_FAIL;
}

static bool changed(const struct settings *want, const struct settings *old,
		    int i)
{
	return want->given[i] && strcmp(want->v[i], old->v[i]);
}

/* Why applying @want moves or cuts the data of the device; NULL if not. */
static const char *moves_data(const struct settings *want,
			      const struct settings *old)
{
	if (changed(want, old, S_MAP))
		return "another --map moves the start of its data";
	if (changed(want, old, S_OFFSET))
		return "another --offset moves its data";
	if (want->given[S_SIZE] && strcmp(want->v[S_SIZE], "0") &&
	    strtoull(want->v[S_SIZE], NULL, 10) < strtoull(old->v[S_SIZE], NULL, 10))
		return "a smaller --size cuts its data";
	if (!strcmp(old->v[S_MAP], "dev") && changed(want, old, S_ALIGN))
		return "another --align of a map=dev device moves the start of its data";
	return NULL;
}

int cmd_reconfigure(int argc, char **argv)
{
	const char *verb = "reconfigure-device", *arg = NULL, *why;
	struct settings want = { 0 }, old = { 0 };
	struct pmemu_dev d;
	int i, rc, err;

	rc = parse_reconf(argc, argv, &want, &arg);
	if (rc != RC_OK)
		return rc == RC_DONE ? RC_OK : rc;
	if (!require_root(verb) || env_prepare(verb) || find_cfg_dev(verb, arg, &d))
		return RC_FAIL;
	err = settings_read(d.name, &old);
	if (err) {
		fail(verb, -err, "read %s settings", d.name);
		return RC_FAIL;
	}
	/* Pin an enabled device to where it is, for the new and the old settings. */
	if (d.enabled && d.have_extent)
		snprintf(old.v[S_OFFSET], SIZE_STR_MAX, "%" PRIu64, d.offset);
	why = moves_data(&want, &old);
	if (why && !want.force) {
		note(verb, "%s: %s (its data would be lost); --force to do it anyway",
		     d.name, why);
		return RC_FAIL;
	}
	for (i = 0; i < S_COUNT; i++)
		if (!want.given[i])
			snprintf(want.v[i], SIZE_STR_MAX, "%s", old.v[i]);
	return reconfigure(&d, &want, &old);
}
