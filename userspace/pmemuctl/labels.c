// SPDX-License-Identifier: GPL-2.0
/*
 * pmemuctl init-labels: start a region's label area afresh, as ndctl's
 * init-labels does for a DIMM's (/sys/class/pmemu/regionN/labels).
 */
#include <errno.h>
#include <stdio.h>

#include "pmemuctl.h"

static int parse_init_labels(int argc, char **argv, int *id)
{
	const char *verb = "init-labels", *arg;
	int rc = parse_r_opt(verb, argc, argv, "region", &arg);

	if (rc != RC_OK)
		return rc;
	*id = region_parse(arg);
	if (*id < 0)
		return usage_error(verb, "'%s' is not a region (N or regionN)", arg);
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
