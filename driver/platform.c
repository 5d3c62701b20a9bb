// SPDX-License-Identifier: GPL-2.0
/* pmemu platform devices: pmemu.N range devices, and e820_pmem. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ioport.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "pmemu.h"

static bool pmemu_autocreate;
static bool pmemu_labels_ram;

/* NVDIMM regions keep labels; reserved RAM when loaded with labels=1. */
static bool pmemu_source_labels(enum pmemu_source source)
{
	return source == PMEMU_SRC_NFIT || source == PMEMU_SRC_NDCTL ||
	       pmemu_labels_ram;
}

/* Claim a range as a region, then restore or autocreate its devices. */
static struct pmemu_region *pmemu_region_bring_up(struct device *parent,
						  u64 start, u64 size,
						  enum pmemu_source source,
						  int *err)
{
	struct pmemu_region *region;

	region = pmemu_region_add(parent, start, size, source,
				  pmemu_source_labels(source));
	if (IS_ERR(region)) {
		*err = PTR_ERR(region);
		return NULL;
	}
	*err = pmemu_region_populate(region, pmemu_autocreate);
	return region;
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

	region = pmemu_region_bring_up(w->parent, res->start,
				       resource_size(res), PMEMU_SRC_E820,
				       &w->err);
	if (region && !w->first)
		w->first = region;
	return w->err;
}

/* Other names (driver_override) carry their own driver's platform data. */
static struct pmemu_pdata *pmemu_pdata_of(struct platform_device *pdev)
{
	return strcmp(pdev->name, PMEMU_NAME) ? NULL :
					       dev_get_platdata(&pdev->dev);
}

static int pmemu_probe_ranges(struct platform_device *pdev)
{
	struct pmemu_e820_walk w = { .parent = &pdev->dev };
	const struct pmemu_pdata *pdata = pmemu_pdata_of(pdev);
	enum pmemu_source source = pdata ? pdata->source : PMEMU_SRC_RANGES;
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
			region = pmemu_region_bring_up(&pdev->dev, res->start,
						       resource_size(res), source,
						       &w.err);
			if (region && !w.first)
				w.first = region;
		}
		if (!w.err && !w.first) {
			dev_err(&pdev->dev, "platform device has no memory resource\n");
			w.err = -ENODEV;
		}
	}
	if (w.err) {
		pmemu_regions_destroy(&pdev->dev);
		return w.err;
	}
	platform_set_drvdata(pdev, w.first);
	return 0;
}

static int pmemu_probe(struct platform_device *pdev)
{
	struct pmemu_pdata *pdata = pmemu_pdata_of(pdev);
	int ret = pmemu_probe_ranges(pdev);

	if (pdata) {
		pdata->probe_err = ret;
		pdata->probed = true;
	}
	return ret;
}

static void pmemu_remove(struct platform_device *pdev)
{
	pmemu_regions_destroy(&pdev->dev);
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

struct pmemu_pdev {
	struct list_head node;
	struct platform_device *pdev;
};

static LIST_HEAD(pmemu_pdevs);
static DEFINE_MUTEX(pmemu_pdevs_lock);	/* the list, @closed, the IDA's use */
static DEFINE_IDA(pmemu_pdev_ida);
static bool pmemu_pdevs_closed;		/* unload: no new range device */

/*
 * Our resource wraps memmap=$'s "Reserved" entry, which platform_device_del()
 * would release with it; remove_resource() hands it back to iomem first.
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

/* With drivers_autoprobe=0 nothing probed it: adding a range asks for it. */
static int pmemu_pdev_bound(struct platform_device *pdev)
{
	const struct pmemu_pdata *pdata = dev_get_platdata(&pdev->dev);

	if (pdev->dev.driver)
		return 0;
	if (pdata->probed)
		return pdata->probe_err ?: -ENODEV;
	return device_driver_attach(&pmemu_driver.driver, &pdev->dev);
}

/**
 * pmemu_range_add() - make a region of a physical range
 * @start: physical start
 * @size: bytes
 * @source: where the range comes from (decides what iomem must say)
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
 * pmemu_range_remove() - remove a range device and its regions
 * @parent: the regions' parent device
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
static void pmemu_ranges_remove_all(void)
{
	mutex_lock(&pmemu_pdevs_lock);
	pmemu_pdevs_closed = true;
	while (!list_empty(&pmemu_pdevs))
		pmemu_pdev_unregister(list_last_entry(&pmemu_pdevs,
						      struct pmemu_pdev, node));
	mutex_unlock(&pmemu_pdevs_lock);
}

/**
 * pmemu_platform_register() - register the pmemu platform driver
 * @autocreate: make one fsdax device over each region without labels
 * @labels: keep a label area on reserved-RAM regions too
 *
 * Return: 0 or a negative errno.
 */
int pmemu_platform_register(bool autocreate, bool labels)
{
	pmemu_autocreate = autocreate;
	pmemu_labels_ram = labels;
	return platform_driver_register(&pmemu_driver);
}

/**
 * pmemu_platform_unregister() - remove every range device, unbind, unregister
 *
 * Ranges are released once their devices have drained (pmemu_drain_exit()).
 */
void pmemu_platform_unregister(void)
{
	pmemu_ranges_remove_all();
	platform_driver_unregister(&pmemu_driver);
}
