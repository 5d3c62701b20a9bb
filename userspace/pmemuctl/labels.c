// SPDX-License-Identifier: GPL-2.0
/*
 * pmemuctl init-labels: start a region's label area afresh, as ndctl's
 * init-labels does for a DIMM's (/sys/class/pmemu/regionN/labels).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "pmemuctl.h"

static int parse_init_labels(int argc, char **argv, int *id)
{
	const char *verb = "init-labels";
	static const struct option longopts[] = {
		{ "region", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*id = -1;
	while ((c = getopt_long(argc, argv, ":r:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			*id = region_parse(optarg);
			if (*id < 0)
				return usage_error(verb, "'%s' is not a region (N or regionN)",
						   optarg);
			break;
		case 'h':
			return print_help(verb);
		default:
			return option_error(verb, c, argv);
		}
	}
	if (optind < argc)
		return usage_error(verb, "unexpected argument '%s'", argv[optind]);
	if (*id < 0)
		return usage_error(verb, "--region is required");
	return RC_OK;
}

/* What a refusal of the kernel means, for the one message. */
static const char *refusal(int err)
{
	switch (err) {
	case -EBUSY:
		return "devices are carved from it; destroy them first";
	case -EINVAL:
		return "it has no label area (reserved RAM has one when pmemu is loaded with labels=1)";
	default:
		return "see dmesg";
	}
}

int cmd_init_labels(int argc, char **argv)
{
	const char *verb = "init-labels";
	char dir[PATH_MAX];
	int rc, err, id;

	rc = parse_init_labels(argc, argv, &id);
	if (rc != RC_OK)
		return rc == RC_DONE ? RC_OK : rc;
	if (!require_root(verb) || env_prepare(verb))
		return RC_FAIL;
	if (!region_exists(id)) {
		fail(verb, ENODEV, "region%d", id);
		return RC_FAIL;
	}
	err = sys_path(dir, sizeof(dir), PMEMU_CLASS_DIR "/region%d", id);
	if (!err)
		err = attr_write(dir, "labels", "init");
	if (err) {
		fail(verb, -err, "region%d: %s", id, refusal(err));
		return RC_FAIL;
	}
	return region_print(verb, id);
}
