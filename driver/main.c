// SPDX-License-Identifier: GPL-2.0
/*
 * pmemu - persistent memory emulation on reserved RAM: module entry.
 * Every range is validated before anything is created.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ioport.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "pmemu.h"

static char *ranges;
module_param(ranges, charp, 0400);
MODULE_PARM_DESC(ranges,
		 "Reserved physical ranges to emulate pmem on: SIZE@START[,SIZE@START...] (K/M/G/T suffixes, 2 MiB aligned)");

static bool autocreate = true;
module_param(autocreate, bool, 0444);
MODULE_PARM_DESC(autocreate,
		 "Create one fsdax device over each region at probe unless its labels record devices (default Y; N leaves regions empty for configfs)");

static bool labels;
module_param(labels, bool, 0444);
MODULE_PARM_DESC(labels,
		 "Keep a label area (the last 128 KiB; 2 MiB taken from the region) on reserved-RAM regions too, so that their devices come back after a warm reboot or kexec (default N; NVDIMM regions always have one)");

static bool nvdimm = true;
module_param(nvdimm, bool, 0444);
MODULE_PARM_DESC(nvdimm,
		 "Make regions of the NVDIMM ranges the ACPI NFIT describes when no nfit driver has them (default Y)");

struct pmemu_range {
	u64 start;
	u64 size;
};

static int pmemu_parse_ranges(const char *s, struct pmemu_range *r)
{
	const char *p = s;
	char *end;
	int n = 0;

	while (*p) {
		if (n == PMEMU_MAX_RANGES) {
			pr_err("ranges=%s: more than %d ranges\n", s,
			       PMEMU_MAX_RANGES);
			return -EINVAL;
		}
		r[n].size = memparse(p, &end);
		if (end == p || *end != '@')
			goto bad;
		p = end + 1;
		r[n].start = memparse(p, &end);
		if (end == p || (*end != ',' && *end != '\0') ||
		    (*end == ',' && end[1] == '\0'))
			goto bad;
		p = *end ? end + 1 : end;
		n++;
	}
	return n;
bad:
	pr_err("ranges=%s: cannot parse \"%s\": expected SIZE@START[,SIZE@START...]\n",
	       s, p);
	return -EINVAL;
}

static int pmemu_check_ranges(const struct pmemu_range *r, int n)
{
	int i, j, ret;

	for (i = 0; i < n; i++) {
		ret = pmemu_check_range("ranges", r[i].start, r[i].size,
					PMEMU_SRC_RANGES);
		if (ret)
			return ret;
		for (j = 0; j < i; j++) {
			if (r[i].start < r[j].start + r[j].size &&
			    r[j].start < r[i].start + r[i].size) {
				pr_err("ranges: range %d [%#llx-%#llx] overlaps range %d [%#llx-%#llx]\n",
				       i, r[i].start, r[i].start + r[i].size - 1,
				       j, r[j].start, r[j].start + r[j].size - 1);
				return -EINVAL;
			}
		}
	}
	return 0;
}

static int pmemu_add_ranges(const struct pmemu_range *r, int n)
{
	int i, ret;

	for (i = 0; i < n; i++) {
		ret = pmemu_range_add(r[i].start, r[i].size, PMEMU_SRC_RANGES);
		if (ret)
			return ret;
	}
	return 0;
}

static int __init pmemu_init(void)
{
	struct pmemu_range *r;
	int n = 0, ret;

	r = kzalloc_objs(*r, PMEMU_MAX_RANGES);
	if (!r)
		return -ENOMEM;
	if (ranges) {
		n = pmemu_parse_ranges(ranges, r);
		ret = n < 0 ? n : pmemu_check_ranges(r, n);
		if (ret)
			goto out;
	}
	pmemu_debugfs_init();
	ret = pmemu_drain_init();
	if (ret)
		goto out_debugfs;
	ret = pmemu_class_register();
	if (ret)
		goto out_drain;
	ret = pmemu_platform_register(autocreate, labels);
	if (ret)
		goto out_class;
	ret = pmemu_ctl_init();
	if (ret)
		goto out_platform;
	ret = pmemu_configfs_init();
	if (ret)
		goto out_ctl;
	ret = pmemu_add_ranges(r, n);
	if (ret)
		goto out_configfs;
	if (nvdimm)
		pmemu_nfit_scan();
	goto out;

out_configfs:
	pmemu_configfs_exit();
out_ctl:
	pmemu_ctl_exit();
out_platform:
	pmemu_platform_unregister();
out_class:
	/* devices torn down above drain before the class goes */
	pmemu_drain_exit();
	pmemu_class_unregister();
	goto out_debugfs;
out_drain:
	pmemu_drain_exit();
out_debugfs:
	pmemu_debugfs_exit();
out:
	kfree(r);
	return ret;
}

static void __exit pmemu_exit(void)
{
	pmemu_holds_exit();
	pmemu_configfs_exit();
	pmemu_ctl_exit();
	pmemu_platform_unregister();
	pmemu_drain_exit();
	pmemu_class_unregister();
	/* devdax devices remove their directories as they drain */
	pmemu_debugfs_exit();
}

module_init(pmemu_init);
module_exit(pmemu_exit);
MODULE_DESCRIPTION("Persistent memory emulation: fsdax block devices and devdax character devices on reserved RAM and NVDIMMs");
MODULE_SOFTDEP("pre: configfs");
MODULE_AUTHOR("The pmemu authors");
MODULE_VERSION("0.1.0");
MODULE_LICENSE("GPL");
