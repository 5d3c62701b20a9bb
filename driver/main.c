// SPDX-License-Identifier: GPL-2.0
/*
 * pmemu - persistent memory emulation on reserved RAM: module entry.
 *
 * ranges=SIZE@START[,SIZE@START...] names physical ranges the kernel was
 * told to leave alone (memmap=SIZE$START).  Each becomes a "pmemu" platform
 * device with one IORESOURCE_MEM resource; the platform driver in region.c
 * turns it into a region.  Every range is validated before anything is
 * created, so a bad parameter fails the load and leaves nothing behind.
 * NVDIMMs the ACPI NFIT describes become regions too (nfit.c), and ranges
 * can be added and removed at runtime (/sys/class/pmemu/add_region).
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

struct pmemu_range {
	u64 start;
	u64 size;
};

/*
 * The "pmemu" platform devices, one per range (ranges=, NVDIMMs found in
 * the NFIT, add_region), numbered pmemu.N from an IDA.  @closed: module
 * unload has removed them; no new one may be added.
 */
struct pmemu_pdev {
	struct list_head node;
	struct platform_device *pdev;
};

static LIST_HEAD(pmemu_pdevs);
static DEFINE_MUTEX(pmemu_pdevs_lock);	/* the list, @closed, the IDA's use */
static DEFINE_IDA(pmemu_pdev_ida);
static bool pmemu_pdevs_closed;

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

/*
 * A platform device's MEM resource is inserted into iomem around the
 * "Reserved" entry memmap=$ created when both cover the same range, and
 * platform_device_del() releases it together with its children.  Taking it
 * out with remove_resource() first hands the children back to the parent, so
 * the range stays reserved and can be claimed again after a reload.
 */
static void pmemu_pdev_unregister(struct pmemu_pdev *p)
{
	struct resource *res = platform_get_resource(p->pdev, IORESOURCE_MEM, 0);
	int id = p->pdev->id;

	if (res && res->parent)
		remove_resource(res);
	platform_device_unregister(p->pdev);
	ida_free(&pmemu_pdev_ida, id);
	list_del(&p->node);
	kfree(p);
}

/*
 * The probe's verdict on a range device just registered: the probe runs
 * synchronously and says why it failed.  With drivers_autoprobe=0 nothing
 * probed it; adding a range asks for its region, so probe it now.
 */
static int pmemu_pdev_bound(struct platform_device *pdev)
{
	const struct pmemu_pdata *pdata = dev_get_platdata(&pdev->dev);

	if (pdev->dev.driver)
		return 0;
	if (pdata->probed)
		return pdata->probe_err ?: -ENODEV;
	return pmemu_region_driver_attach(&pdev->dev);
}

/**
 * pmemu_range_add() - make a region of a physical range
 * @start: physical start
 * @size: bytes
 * @source: where the range comes from (decides what iomem must say)
 *
 * Validates the range, then registers a "pmemu" platform device with it;
 * its probe (region.c) claims the range and makes the region.
 *
 * Return: 0, -EINVAL for a range that is not usable (one message says
 * why), -EBUSY if something holds it, -ENODEV during unload, -ENOMEM, or
 * another error of the probe.
 */
int pmemu_range_add(u64 start, u64 size, enum pmemu_source source)
{
	struct resource res = DEFINE_RES_MEM(start, size);
	struct pmemu_pdata pdata = { .source = source };
	struct platform_device_info info = {
		.name = PMEMU_NAME,
		.res = &res,
		.num_res = 1,
		.data = &pdata,
		.size_data = sizeof(pdata),
	};
	struct pmemu_pdev *p;
	int ret;

	ret = pmemu_check_range(pmemu_source_name(source), start, size, source);
	if (ret)
		return ret;
	p = kzalloc_obj(*p);
	if (!p)
		return -ENOMEM;
	mutex_lock(&pmemu_pdevs_lock);
	ret = pmemu_pdevs_closed ? -ENODEV :
	      ida_alloc(&pmemu_pdev_ida, GFP_KERNEL);
	if (ret < 0)
		goto err;
	info.id = ret;
	p->pdev = platform_device_register_full(&info);
	if (IS_ERR(p->pdev)) {
		ret = PTR_ERR(p->pdev);
		pr_err("%s: range [%#llx-%#llx]: cannot create platform device: %pe\n",
		       pmemu_source_name(source), start, start + size - 1,
		       p->pdev);
		ida_free(&pmemu_pdev_ida, info.id);
		goto err;
	}
	list_add_tail(&p->node, &pmemu_pdevs);
	ret = pmemu_pdev_bound(p->pdev);
	if (ret)
		pmemu_pdev_unregister(p);
	mutex_unlock(&pmemu_pdevs_lock);
	return ret;
err:
	mutex_unlock(&pmemu_pdevs_lock);
	kfree(p);
	return ret;
}

/**
 * pmemu_range_remove() - remove the platform device behind a region
 * @parent: the region's parent device
 *
 * Its regions are destroyed (their devices torn down) and the range goes
 * back to what held it before (memmap=$ "Reserved", libnvdimm's
 * "Persistent Memory").
 *
 * Return: 0, or -EINVAL if @parent is not a pmemu range device (the
 * e820_pmem device is unbound, not removed).
 */
int pmemu_range_remove(struct device *parent)
{
	struct pmemu_pdev *p;
	int ret = -EINVAL;

	mutex_lock(&pmemu_pdevs_lock);
	list_for_each_entry(p, &pmemu_pdevs, node) {
		if (&p->pdev->dev == parent) {
			pmemu_pdev_unregister(p);
			ret = 0;
			break;
		}
	}
	mutex_unlock(&pmemu_pdevs_lock);
	if (ret)
		pr_err("%s: not a range pmemu added; unbind its platform device instead\n",
		       dev_name(parent));
	return ret;
}

/* Module unload, or a failed load: every range device goes. */
static void pmemu_remove_pdevs(void)
{
	mutex_lock(&pmemu_pdevs_lock);
	pmemu_pdevs_closed = true;
	while (!list_empty(&pmemu_pdevs))
		pmemu_pdev_unregister(list_last_entry(&pmemu_pdevs,
						      struct pmemu_pdev, node));
	mutex_unlock(&pmemu_pdevs_lock);
}

static int pmemu_add_pdevs(const struct pmemu_range *r, int n)
{
	int i, ret;

	for (i = 0; i < n; i++) {
		ret = pmemu_range_add(r[i].start, r[i].size, PMEMU_SRC_RANGES);
		if (ret) {
			pmemu_remove_pdevs();
			return ret;
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
	pmemu_debugfs_init();
	ret = pmemu_lifetime_init();
	if (ret)
		goto out_debugfs;
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
	if (!ret) {
		pmemu_nfit_scan();
		goto out;
	}
	pmemu_configfs_exit();
out_driver:
	pmemu_region_driver_unregister();
out_class:
	pmemu_lifetime_exit();
	pmemu_region_class_unregister();
	goto out_debugfs;
out_lifetime:
	pmemu_lifetime_exit();
out_debugfs:
	pmemu_debugfs_exit();
out:
	kfree(r);
	return ret;
}

static void __exit pmemu_exit(void)
{
	pmemu_debugfs_exit();
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
