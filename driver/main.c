// SPDX-License-Identifier: GPL-2.0
/*
 * pmemu - persistent memory emulation on reserved RAM: module entry.
 *
 * ranges=SIZE@START[,SIZE@START...] names physical ranges the kernel was
 * told to leave alone (memmap=SIZE$START).  Each becomes a "pmemu" platform
 * device with one IORESOURCE_MEM resource; the platform driver in region.c
 * turns it into a region.  Every range is validated before anything is
 * created, so a bad parameter fails the load and leaves nothing behind.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ioport.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/string.h>

#include "pmemu.h"

static char *ranges;
module_param(ranges, charp, 0444);
MODULE_PARM_DESC(ranges,
		 "Reserved physical ranges to emulate pmem on: SIZE@START[,SIZE@START...] (K/M/G/T suffixes, 2 MiB aligned)");

struct pmemu_range {
	u64 start;
	u64 size;
};

static struct platform_device *pmemu_pdevs[PMEMU_MAX_RANGES];
static int pmemu_nr_pdevs;

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
		ret = pmemu_check_range("ranges", r[i].start, r[i].size);
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

/*
 * A platform device's MEM resource is inserted into iomem around the
 * "Reserved" entry memmap=$ created when both cover the same range, and
 * platform_device_del() releases it together with its children.  Taking it
 * out with remove_resource() first hands the children back to the parent, so
 * the range stays reserved and can be claimed again after a reload.
 */
static void pmemu_remove_pdevs(void)
{
	struct platform_device *pdev;
	struct resource *res;

	while (pmemu_nr_pdevs > 0) {
		pdev = pmemu_pdevs[--pmemu_nr_pdevs];
		res = platform_get_resource(pdev, IORESOURCE_MEM, 0);
		if (res && res->parent)
			remove_resource(res);
		platform_device_unregister(pdev);
	}
}

static int pmemu_add_pdevs(const struct pmemu_range *r, int n)
{
	struct platform_device *pdev;
	int i;

	for (i = 0; i < n; i++) {
		struct resource res = DEFINE_RES_MEM(r[i].start, r[i].size);

		pdev = platform_device_register_simple(PMEMU_NAME, i, &res, 1);
		if (IS_ERR(pdev)) {
			pr_err("ranges: range %d [%#llx-%#llx]: cannot create platform device: %pe\n",
			       i, r[i].start, r[i].start + r[i].size - 1, pdev);
			pmemu_remove_pdevs();
			return PTR_ERR(pdev);
		}
		pmemu_pdevs[pmemu_nr_pdevs++] = pdev;
		/* probe ran synchronously; drvdata is set only on success */
		if (!platform_get_drvdata(pdev)) {
			pmemu_remove_pdevs();
			return -EINVAL;
		}
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
	ret = pmemu_lifetime_init();
	if (ret)
		goto out;
	ret = pmemu_region_class_register();
	if (ret)
		goto out_lifetime;
	ret = pmemu_region_driver_register();
	if (ret)
		goto out_class;
	ret = pmemu_configfs_init();
	if (ret)
		goto out_driver;
	ret = pmemu_add_pdevs(r, n);
	if (!ret)
		goto out;
	pmemu_configfs_exit();
out_driver:
	pmemu_region_driver_unregister();
out_class:
	pmemu_lifetime_exit();
	pmemu_region_class_unregister();
	goto out;
out_lifetime:
	pmemu_lifetime_exit();
out:
	kfree(r);
	return ret;
}

static void __exit pmemu_exit(void)
{
	pmemu_configfs_exit();
	pmemu_remove_pdevs();
	pmemu_region_driver_unregister();
	pmemu_lifetime_exit();
	pmemu_region_class_unregister();
}

module_init(pmemu_init);
module_exit(pmemu_exit);
MODULE_DESCRIPTION("Persistent memory emulation on reserved RAM (fsdax block device)");
MODULE_SOFTDEP("pre: configfs");
MODULE_AUTHOR("The pmemu authors");
MODULE_VERSION("0.1.0");
MODULE_LICENSE("GPL");
