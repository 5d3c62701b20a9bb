// SPDX-License-Identifier: GPL-2.0
/*
 * pmemuctl claim-region / release-region: move an NVDIMM range between
 * libnvdimm (the nfit driver's regionN, managed with ndctl) and pmemu.
 *
 * claim-region disables the libnvdimm region (its namespaces go with it)
 * and makes a pmemu region of its range through /sys/class/pmemu/add_region;
 * release-region removes that pmemu region (remove_region) and enables the
 * libnvdimm region again.  Nothing changes when either step is refused.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <ndctl/libndctl.h>
#include <syslog.h>

#include "pmemuctl.h"

static int parse_region_opt(const char *verb, int argc, char **argv,
			    const char **name)
{
	int rc = parse_r_opt(verb, argc, argv, "ndctl-region", name);

	if (rc != RC_OK)
		return rc;
	if (strncmp(*name, "region", 6) || !(*name)[6] ||
	    strspn(*name + 6, "0123456789") != strlen(*name + 6))
		return usage_error(verb, "'%s' is not a region name (regionN)", *name);
	return RC_OK;
}

/* The libnvdimm region called @name, or NULL (message printed). */
static struct ndctl_region *find_nd_region(const char *verb,
					   struct ndctl_ctx *ctx,
					   const char *name)
{
	struct ndctl_region *region;
	struct ndctl_bus *bus;

	ndctl_bus_foreach(ctx, bus)
		ndctl_region_foreach(bus, region)
			if (!strcmp(ndctl_region_get_devname(region), name))
				return region;
	fail(verb, ENODEV, "no libnvdimm region %s ('ndctl list -R -i' lists them)",
	     name);
	return NULL;
}

#define MAX_NAMESPACES 64

/*
 * Disable every active namespace of @region the way ndctl does:
 * ndctl_namespace_disable_safe() opens its block device (raw, fsdax or
 * btt) O_EXCL first, which fails while it is mounted, open, partitioned
 * and in use, or under a dm or md device.  An enabled devdax namespace is
 * refused: it has no block device to prove it unused.  On a refusal the
 * namespaces disabled so far are enabled again.
 */
static int disable_namespaces(const char *verb, struct ndctl_region *region)
{
	struct ndctl_namespace *ndns, *done[MAX_NAMESPACES];
	int n = 0, err = 0;

	ndctl_namespace_foreach(region, ndns) {
		const char *name = ndctl_namespace_get_devname(ndns);

		if (!ndctl_namespace_is_active(ndns))
			continue;
		if (ndctl_namespace_get_dax(ndns)) {
			fail(verb, EBUSY, "%s is enabled in devdax mode: once nothing maps it, 'ndctl disable-namespace %s'",
			     name, name);
			err = -EBUSY;
			break;
		}
		if (n == MAX_NAMESPACES) {
			fail(verb, E2BIG, "%s has more than %d active namespaces",
			     ndctl_region_get_devname(region), MAX_NAMESPACES);
			err = -E2BIG;
			break;
		}
		err = ndctl_namespace_disable_safe(ndns);
		if (err) {
			fail(verb, -err, "%s is in use (mounted, open, or under a partition, dm or md device); stop using it first",
			     name);
			break;
		}
		done[n++] = ndns;
	}
	if (!err)
		return RC_OK;
	while (n--)
		if (ndctl_namespace_enable(done[n]) < 0)
			note(verb, "could not enable %s again",
			     ndctl_namespace_get_devname(done[n]));
	return RC_FAIL;
}

/* The id of the pmemu region starting at @start, or -1. */
static int pmemu_region_at(unsigned long long start)
{
	char dir[PATH_MAX];
	uint64_t s;
	size_t i, n;
	int *ids, id = -1;

	if (region_ids(&ids, &n))
		return -1;
	for (i = 0; i < n && id < 0; i++)
		if (!sys_path(dir, sizeof(dir), PMEMU_CLASS_DIR "/region%d", ids[i]) &&
		    !attr_read_u64(dir, "start", &s) && s == start)
			id = ids[i];
	free(ids);
	return id;
}

/* Write @val to pmemu's class attribute @attr; a negative errno on failure. */
static int class_write(const char *attr, const char *val)
{
	char dir[PATH_MAX];
	int err = sys_path(dir, sizeof(dir), PMEMU_CLASS_DIR);

	return err ? err : attr_write(dir, attr, val);
}

static void fail_class_write(const char *verb, int err, const char *attr,
			     const char *val, const char *extra)
{
	fail(verb, -err, "write '%s' to %s%s/%s (see dmesg)%s", val, sys_root(),
	     PMEMU_CLASS_DIR, attr, extra);
}

/* Refuse a region whose range pmemu has already (claimed before). */
static int not_claimed(const char *verb, struct ndctl_region *region)
{
	const char *name = ndctl_region_get_devname(region);
	int id = pmemu_region_at(ndctl_region_get_resource(region));

	if (id < 0)
		return RC_OK;
	fail(verb, EBUSY, "%s is already pmemu's region%d ('pmemuctl release-region --ndctl-region %s' gives it back)",
	     name, id, name);
	return RC_FAIL;
}

/*
 * Disable @region and give its range to pmemu; if pmemu refuses, enable it
 * again, unless it was disabled before or pmemu has the range after all
 * (a concurrent claim won): enabling it under pmemu would leave libnvdimm
 * a region whose namespaces cannot reserve their range.
 */
static int claim(const char *verb, struct ndctl_region *region)
{
	unsigned long long start = ndctl_region_get_resource(region);
	unsigned long long size = ndctl_region_get_size(region);
	int err, id, was_enabled;
	char val[64];

	if (start == ULLONG_MAX || !size) {
		fail(verb, EINVAL, "%s has no physical range", ndctl_region_get_devname(region));
		return RC_FAIL;
	}
	was_enabled = ndctl_region_is_enabled(region);
	err = ndctl_region_disable_invalidate(region);
	if (err) {
		fail(verb, -err, "disable %s in libnvdimm (busy?)",
		     ndctl_region_get_devname(region));
		return RC_FAIL;
	}
	snprintf(val, sizeof(val), "%llu@%llu", size, start);
	err = class_write("add_region", val);
	if (err) {
		bool restore = was_enabled && pmemu_region_at(start) < 0;

		fail_class_write(verb, err, "add_region", val,
				 restore && ndctl_region_enable(region) ?
				 "; libnvdimm could not enable it again" : "");
		return RC_FAIL;
	}
	id = pmemu_region_at(start);
	return id < 0 ? RC_OK : region_print(verb, id);
}

static int start_region_verb(const char *verb, int argc, char **argv,
			     struct ndctl_ctx **ctx, struct ndctl_region **region)
{
	const char *name;
	int rc, err;

	rc = parse_region_opt(verb, argc, argv, &name);
	if (rc != RC_OK)
		return rc;
	if (!require_root(verb) || env_prepare(verb))
		return RC_FAIL;
	err = ndctl_new(ctx);
	if (err) {
		fail(verb, -err, "libndctl");
		return RC_FAIL;
	}
	/* one message per refusal: ours, which says what to do */
	ndctl_set_log_priority(*ctx, LOG_CRIT);
	*region = find_nd_region(verb, *ctx, name);
	return *region ? RC_OK : RC_FAIL;
}

int cmd_claim_region(int argc, char **argv)
{
	const char *verb = "claim-region";
	struct ndctl_region *region;
	struct ndctl_ctx *ctx = NULL;
	int rc;

	rc = start_region_verb(verb, argc, argv, &ctx, &region);
	if (rc == RC_OK && strcmp(ndctl_region_get_type_name(region), "pmem")) {
		fail(verb, EINVAL, "%s is a %s region, not persistent memory",
		     ndctl_region_get_devname(region),
		     ndctl_region_get_type_name(region));
		rc = RC_FAIL;
	}
	if (rc == RC_OK)
		rc = not_claimed(verb, region);
	if (rc == RC_OK)
		rc = disable_namespaces(verb, region);
	if (rc == RC_OK)
		rc = claim(verb, region);
	if (ctx)
		ndctl_unref(ctx);
	return rc == RC_DONE ? RC_OK : rc;
}

int cmd_release_region(int argc, char **argv)
{
	const char *verb = "release-region";
	struct ndctl_region *region;
	struct ndctl_ctx *ctx = NULL;
	char val[16];
	int rc, err, id = -1;

	rc = start_region_verb(verb, argc, argv, &ctx, &region);
	if (rc == RC_OK) {
		id = pmemu_region_at(ndctl_region_get_resource(region));
		if (id < 0) {
			fail(verb, ENOENT, "pmemu has no region on %s's range",
			     ndctl_region_get_devname(region));
			rc = RC_FAIL;
		}
	}
	if (rc == RC_OK) {
		snprintf(val, sizeof(val), "%d", id);
		err = class_write("remove_region", val);
		if (err) {
			fail_class_write(verb, err, "remove_region", val, "");
			rc = RC_FAIL;
		}
	}
	if (rc == RC_OK && ndctl_region_enable(region)) {
		fail(verb, EIO, "pmemu let go of %s, but libnvdimm could not enable it ('ndctl enable-region %s')",
		     ndctl_region_get_devname(region), ndctl_region_get_devname(region));
		rc = RC_FAIL;
	}
	if (ctx)
		ndctl_unref(ctx);
	return rc == RC_DONE ? RC_OK : rc;
}
