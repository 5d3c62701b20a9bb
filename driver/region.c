// SPDX-License-Identifier: GPL-2.0
/*
 * pmemu regions: the platform driver that claims physical ranges.
 *
 * A region is a physical range pmemu owns.  It comes from a "pmemu" platform
 * device (one MEM resource per ranges= entry) or from the legacy
 * "e820_pmem" platform device (memmap=SIZE!START), which has no resources:
 * its ranges are the iomem entries described as legacy persistent memory,
 * exactly as nd_e820 finds them.  Each region is validated, requested from
 * iomem and gets one fsdax device over its whole length.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ioport.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/slab.h>

#include "pmemu.h"

/* All live regions, for overlap checks and teardown. */
static LIST_HEAD(pmemu_regions);
/* Regions being torn down: their range stays claimed until drained. */
static LIST_HEAD(pmemu_dying_regions);
static DEFINE_MUTEX(pmemu_regions_lock);
static DEFINE_IDA(pmemu_region_ida);

static int pmemu_count_covered(struct resource *res, void *arg)
{
	u64 *covered = arg;

	*covered += resource_size(res);
	return 0;
}

/* Bytes of [start, start + size) that iomem describes with @desc. */
static u64 pmemu_bytes_with_desc(u64 start, u64 size, unsigned long desc)
{
	u64 covered = 0;

	walk_iomem_res_desc(desc, IORESOURCE_MEM, start, start + size - 1,
			    &covered, pmemu_count_covered);
	return covered;
}

static const char *pmemu_range_problem(u64 start, u64 size)
{
	struct range pluggable = mhp_get_pluggable_range(true);
	u64 covered;

	if (!size)
		return "size is zero";
	if (!IS_ALIGNED(start, PMEMU_MIN_ALIGN))
		return "start is not 2 MiB aligned";
	if (!IS_ALIGNED(size, PMEMU_MIN_ALIGN))
		return "size is not a multiple of 2 MiB";
	if (start + size < start || start < pluggable.start ||
	    start + size - 1 > pluggable.end)
		return "outside the physical range memory hotplug can map";
	if (region_intersects(start, size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT)
		return "overlaps System RAM";
	covered = pmemu_bytes_with_desc(start, size, IORES_DESC_RESERVED) +
		  pmemu_bytes_with_desc(start, size,
					IORES_DESC_PERSISTENT_MEMORY_LEGACY);
	if (covered != size)
		return "not entirely reserved memory (boot with memmap=SIZE$START)";
	return NULL;
}

/**
 * pmemu_check_range() - validate a physical range before claiming it
 * @who: prefix for the error message (parameter or device name)
 * @start: physical start address
 * @size: length in bytes
 *
 * A usable range is non-empty, 2 MiB aligned in start and size, inside what
 * memory hotplug can map, disjoint from System RAM and entirely described by
 * iomem as reserved (memmap=$) or legacy persistent memory (memmap=!).
 * Prints one line naming the range and the reason when it is not.
 *
 * Return: 0 if the range is usable, -EINVAL otherwise.
 */
int pmemu_check_range(const char *who, u64 start, u64 size)
{
	const char *why = pmemu_range_problem(start, size);

	if (!why)
		return 0;
	pr_err("%s: range [%#llx-%#llx]: %s\n", who, start,
	       size ? start + size - 1 : start, why);
	return -EINVAL;
}

/* Caller holds pmemu_regions_lock. */
static struct pmemu_region *pmemu_region_overlapping(u64 start, u64 size)
{
	struct pmemu_region *r;

	list_for_each_entry(r, &pmemu_regions, node)
		if (start < r->start + r->size && r->start < start + size)
			return r;
	list_for_each_entry(r, &pmemu_dying_regions, node)
		if (start < r->start + r->size && r->start < start + size)
			return r;
	return NULL;
}

static void pmemu_region_free(struct pmemu_region *region)
{
	release_mem_region(region->start, region->size);
	ida_free(&pmemu_region_ida, region->id);
	kfree(region);
}

static struct pmemu_region *pmemu_region_add(struct device *parent, u64 start,
					     u64 size, const char *source)
{
	struct pmemu_region *region, *other;
	struct pmemu_dev *pd;
	int ret;

	if (pmemu_check_range(dev_name(parent), start, size))
		return ERR_PTR(-EINVAL);

	region = kzalloc_obj(*region);
	if (!region)
		return ERR_PTR(-ENOMEM);
	region->parent = parent;
	region->start = start;
	region->size = size;
	region->source = source;

	mutex_lock(&pmemu_regions_lock);
	other = pmemu_region_overlapping(start, size);
	if (other) {
		dev_err(parent, "range [%#llx-%#llx] overlaps region%d [%#llx-%#llx]\n",
			start, start + size - 1, other->id, other->start,
			other->start + other->size - 1);
		ret = -EINVAL;
		goto err_unlock;
	}
	ret = ida_alloc(&pmemu_region_ida, GFP_KERNEL);
	if (ret < 0)
		goto err_unlock;
	region->id = ret;
	snprintf(region->name, sizeof(region->name), "pmemu.region%d",
		 region->id);
	region->res = request_mem_region(start, size, region->name);
	if (!region->res) {
		dev_err(parent, "range [%#llx-%#llx] is already claimed by another driver (see /proc/iomem)\n",
			start, start + size - 1);
		ret = -EBUSY;
		goto err_ida;
	}
	list_add_tail(&region->node, &pmemu_regions);
	mutex_unlock(&pmemu_regions_lock);

	pd = pmemu_fsdax_create(region, 0, size);
	if (IS_ERR(pd)) {
		dev_err(parent, "region%d: cannot create the fsdax device: %pe\n",
			region->id, pd);
		mutex_lock(&pmemu_regions_lock);
		list_del(&region->node);
		mutex_unlock(&pmemu_regions_lock);
		pmemu_region_free(region);
		return ERR_CAST(pd);
	}
	region->dev = pd;
	dev_info(parent, "region%d: [mem %#llx-%#llx] from %s: /dev/pmemu%d\n",
		 region->id, start, start + size - 1, source, pd->id);
	return region;

err_ida:
	ida_free(&pmemu_region_ida, region->id);
err_unlock:
	mutex_unlock(&pmemu_regions_lock);
	kfree(region);
	return ERR_PTR(ret);
}

/*
 * The one teardown path of a region: its device first; the range is
 * released by pmemu_region_dev_released() once the device has drained.
 */
static void pmemu_region_destroy(struct pmemu_region *region)
{
	struct pmemu_dev *pd = region->dev;

	mutex_lock(&pmemu_regions_lock);
	list_move_tail(&region->node, &pmemu_dying_regions);
	mutex_unlock(&pmemu_regions_lock);
	if (pd)
		pmemu_fsdax_destroy(pd);
	else
		pmemu_region_dev_released(region);
}

/**
 * pmemu_region_dev_released() - the region's device is gone
 * @region: region being torn down
 *
 * Called when the device's struct pages have been freed: nothing uses the
 * range any more, so the iomem claim and the region go.
 */
void pmemu_region_dev_released(struct pmemu_region *region)
{
	mutex_lock(&pmemu_regions_lock);
	list_del(&region->node);
	mutex_unlock(&pmemu_regions_lock);
	pmemu_region_free(region);
}

static void pmemu_remove_regions_of(struct device *parent)
{
	struct pmemu_region *region;

	for (;;) {
		region = NULL;
		mutex_lock(&pmemu_regions_lock);
		list_for_each_entry_reverse(region, &pmemu_regions, node)
			if (region->parent == parent)
				break;
		if (list_entry_is_head(region, &pmemu_regions, node))
			region = NULL;
		mutex_unlock(&pmemu_regions_lock);
		if (!region)
			return;
		pmemu_region_destroy(region);
	}
}

struct pmemu_e820_walk {
	struct device *parent;
	struct pmemu_region *first;
	int err;
};

static int pmemu_add_e820_range(struct resource *res, void *arg)
{
	struct pmemu_e820_walk *w = arg;
	struct pmemu_region *region;

	region = pmemu_region_add(w->parent, res->start, resource_size(res),
				  "e820_pmem");
	if (IS_ERR(region)) {
		w->err = PTR_ERR(region);
		return w->err;
	}
	if (!w->first)
		w->first = region;
	return 0;
}

static int pmemu_probe(struct platform_device *pdev)
{
	struct pmemu_e820_walk w = { .parent = &pdev->dev };
	struct pmemu_region *region;
	struct resource *res;
	int i;

	if (!strcmp(pdev->name, "e820_pmem")) {
		walk_iomem_res_desc(IORES_DESC_PERSISTENT_MEMORY_LEGACY,
				    IORESOURCE_MEM, 0, -1, &w,
				    pmemu_add_e820_range);
		if (!w.err && !w.first) {
			dev_err(&pdev->dev, "no legacy persistent memory ranges (memmap=SIZE!START) in /proc/iomem\n");
			w.err = -ENODEV;
		}
	} else {
		for (i = 0; !w.err; i++) {
			res = platform_get_resource(pdev, IORESOURCE_MEM, i);
			if (!res)
				break;
			region = pmemu_region_add(&pdev->dev, res->start,
						  resource_size(res), "ranges");
			if (IS_ERR(region))
				w.err = PTR_ERR(region);
			else if (!w.first)
				w.first = region;
		}
		if (!w.err && !w.first) {
			dev_err(&pdev->dev, "platform device has no memory resource\n");
			w.err = -ENODEV;
		}
	}
	if (w.err) {
		pmemu_remove_regions_of(&pdev->dev);
		return w.err;
	}
	platform_set_drvdata(pdev, w.first);
	return 0;
}

static void pmemu_remove(struct platform_device *pdev)
{
	pmemu_remove_regions_of(&pdev->dev);
	platform_set_drvdata(pdev, NULL);
}

static struct platform_driver pmemu_driver = {
	.probe = pmemu_probe,
	.remove = pmemu_remove,
	.driver = {
		.name = PMEMU_NAME,
		/* module load validates and reports synchronously */
		.probe_type = PROBE_FORCE_SYNCHRONOUS,
	},
};

/**
 * pmemu_region_driver_register() - register the pmemu platform driver
 *
 * Return: 0 or a negative errno from platform_driver_register().
 */
int pmemu_region_driver_register(void)
{
	return platform_driver_register(&pmemu_driver);
}

/**
 * pmemu_region_driver_unregister() - unbind every region and unregister
 *
 * Regions torn down here finish when their devices have drained
 * (pmemu_lifetime_exit() waits for that).
 */
void pmemu_region_driver_unregister(void)
{
	platform_driver_unregister(&pmemu_driver);
}
