// SPDX-License-Identifier: GPL-2.0
/*
 * pmemu regions: the platform driver that claims physical ranges.
 *
 * A region is a physical range pmemu owns.  It comes from a "pmemu" platform
 * device (one MEM resource per ranges= entry) or from the legacy
 * "e820_pmem" platform device (memmap=SIZE!START), which has no resources:
 * its ranges are the iomem entries described as legacy persistent memory,
 * exactly as nd_e820 finds them.  Each region is validated, requested from
 * iomem and shown as /sys/class/pmemu/regionN.  Devices are extents carved
 * from a region (pmemu_dev_create()), by configfs or, with autocreate, one
 * over the whole region at probe.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/capability.h>
#include <linux/ioport.h>
#include <linux/kstrtox.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/numa.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "pmemu.h"

static bool autocreate = true;
module_param(autocreate, bool, 0444);
MODULE_PARM_DESC(autocreate,
		 "Create one fsdax device over each region at probe (default Y; N leaves regions empty for configfs)");

/* regions, their device lists, device states and owner slots */
DEFINE_MUTEX(pmemu_lock);
/* All regions until their last reference goes (dying ones included). */
static LIST_HEAD(pmemu_regions);
static DEFINE_IDA(pmemu_region_ida);
static DEFINE_IDA(pmemu_dev_ida);

static int pmemu_count_covered(struct resource *res, void *arg)
{
	u64 *covered = arg;

	*covered += resource_size(res);
	return 0;
}

/*
 * Bytes of [start, start + size) that iomem describes with @desc.  The walk
 * clips each match to the range and resumes after it, so nested entries
 * count once (guest/params checks it with nested Reserved entries).
 */
static u64 pmemu_bytes_with_desc(u64 start, u64 size, unsigned long desc)
{
	u64 covered = 0;

	walk_iomem_res_desc(desc, IORESOURCE_MEM, start, start + size - 1,
			    &covered, pmemu_count_covered);
	return covered;
}

/* What iomem must say about a range of each source; NULL if it does. */
static const char *pmemu_source_problem(u64 start, u64 size,
					enum pmemu_source source)
{
	u64 nvdimm = pmemu_bytes_with_desc(start, size,
					   IORES_DESC_PERSISTENT_MEMORY);

	switch (source) {
	case PMEMU_SRC_RANGES:
	case PMEMU_SRC_E820:
		if (pmemu_bytes_with_desc(start, size, IORES_DESC_RESERVED) +
		    pmemu_bytes_with_desc(start, size,
					  IORES_DESC_PERSISTENT_MEMORY_LEGACY) != size)
			return "not entirely reserved memory (boot with memmap=SIZE$START)";
		return NULL;
	case PMEMU_SRC_NFIT:
		if (nvdimm)
			return "owned by the nfit driver; pmemuctl claim-region hands it over";
		return NULL;
	case PMEMU_SRC_NDCTL:
		if (nvdimm != size)
			return "not entirely an NVDIMM range libnvdimm handed over";
		return NULL;
	default:
		return "unknown source";
	}
}

static const char *pmemu_range_problem(u64 start, u64 size,
				       enum pmemu_source source)
{
	struct range pluggable = mhp_get_pluggable_range(true);

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
	return pmemu_source_problem(start, size, source);
}

/**
 * pmemu_check_range() - validate a physical range before claiming it
 * @who: prefix for the error message (parameter or device name)
 * @start: physical start address
 * @size: length in bytes
 * @source: where the range comes from
 *
 * A usable range is non-empty, 2 MiB aligned in start and size, inside what
 * memory hotplug can map, disjoint from System RAM, and described by iomem
 * as its source requires: reserved (memmap=$) or legacy persistent memory
 * (memmap=!) for ranges, nothing for an NVDIMM no nfit driver registered,
 * the nfit driver's "Persistent Memory" for one libnvdimm handed over.
 * Prints one line naming the range and the reason when it is not.
 *
 * Return: 0 if the range is usable, -EINVAL otherwise.
 */
int pmemu_check_range(const char *who, u64 start, u64 size,
		      enum pmemu_source source)
{
	const char *why = pmemu_range_problem(start, size, source);

	if (!why)
		return 0;
	pr_err("%s: range [%#llx-%#llx]: %s\n", who, start,
	       size ? start + size - 1 : start, why);
	return -EINVAL;
}

/**
 * pmemu_source_of() - the source a runtime range (add_region) has
 * @start: physical start address
 * @size: length in bytes
 *
 * Return: PMEMU_SRC_NDCTL if iomem shows any of it as an NVDIMM range of
 * the nfit driver (handed over by libnvdimm), else PMEMU_SRC_RANGES.
 */
int pmemu_source_of(u64 start, u64 size)
{
	return pmemu_bytes_with_desc(start, size, IORES_DESC_PERSISTENT_MEMORY) ?
	       PMEMU_SRC_NDCTL : PMEMU_SRC_RANGES;
}

static struct pmemu_region *to_pmemu_region(struct device *dev)
{
	return container_of(dev, struct pmemu_region, dev);
}

/* Caller holds pmemu_lock. */
static struct pmemu_region *pmemu_region_overlapping(u64 start, u64 size)
{
	struct pmemu_region *r;

	list_for_each_entry(r, &pmemu_regions, node)
		if (start < r->start + r->size && r->start < start + size)
			return r;
	return NULL;
}

/*
 * Call @fn for each free extent [start, end) of @region in address order,
 * with the device that follows it (NULL at the end of the region), until
 * @fn returns true.  Caller holds pmemu_lock.
 */
static void pmemu_region_holes(struct pmemu_region *region,
			       bool (*fn)(void *arg, u64 start, u64 end,
					  struct pmemu_dev *next),
			       void *arg)
{
	struct pmemu_dev *pd;
	u64 pos = 0;

	list_for_each_entry(pd, &region->devs, region_node) {
		if (pd->cfg.offset > pos && fn(arg, pos, pd->cfg.offset, pd))
			return;
		pos = pd->cfg.offset + pd->cfg.size;
	}
	if (region->size > pos)
		fn(arg, pos, region->size, NULL);
}

struct pmemu_space {
	u64 avail;
	u64 max_extent;
};

static bool pmemu_count_hole(void *arg, u64 start, u64 end,
			     struct pmemu_dev *next)
{
	struct pmemu_space *sp = arg;

	sp->avail += end - start;
	sp->max_extent = max(sp->max_extent, end - start);
	return false;
}

static struct pmemu_space pmemu_region_free_space(struct pmemu_region *region)
{
	struct pmemu_space sp = { };

	mutex_lock(&pmemu_lock);
	pmemu_region_holes(region, pmemu_count_hole, &sp);
	mutex_unlock(&pmemu_lock);
	return sp;
}

static ssize_t id_show(struct device *dev, struct device_attribute *attr,
		       char *buf)
{
	return sysfs_emit(buf, "%d\n", to_pmemu_region(dev)->id);
}
static DEVICE_ATTR_RO(id);

static ssize_t size_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%llu\n", to_pmemu_region(dev)->size);
}
static DEVICE_ATTR_RO(size);

static ssize_t available_size_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  pmemu_region_free_space(to_pmemu_region(dev)).avail);
}
static DEVICE_ATTR_RO(available_size);

static ssize_t max_available_extent_show(struct device *dev,
					 struct device_attribute *attr,
					 char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  pmemu_region_free_space(to_pmemu_region(dev)).max_extent);
}
static DEVICE_ATTR_RO(max_available_extent);

static ssize_t align_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%lu\n", (unsigned long)PMEMU_MIN_ALIGN);
}
static DEVICE_ATTR_RO(align);

static ssize_t source_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  pmemu_source_name(to_pmemu_region(dev)->source));
}
static DEVICE_ATTR_RO(source);

static ssize_t start_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return sysfs_emit(buf, "%#llx\n", (u64)to_pmemu_region(dev)->start);
}
static DEVICE_ATTR_ADMIN_RO(start);

static ssize_t numa_node_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", to_pmemu_region(dev)->nid);
}
static DEVICE_ATTR_RO(numa_node);

static struct attribute *pmemu_region_attrs[] = {
	&dev_attr_id.attr,
	&dev_attr_size.attr,
	&dev_attr_available_size.attr,
	&dev_attr_max_available_extent.attr,
	&dev_attr_align.attr,
	&dev_attr_source.attr,
	&dev_attr_start.attr,
	&dev_attr_numa_node.attr,
	NULL,
};
ATTRIBUTE_GROUPS(pmemu_region);

static const struct device_type pmemu_region_type = {
	.name = "pmemu_region",
	.groups = pmemu_region_groups,
};

static struct pmemu_region *pmemu_region_find(int id);

/*
 * /sys/class/pmemu/add_region: "SIZE@START" (K/M/G/T suffixes) makes a
 * region of a range at runtime, as ranges= does at load: reserved RAM, or
 * an NVDIMM range libnvdimm handed over (pmemuctl claim-region).
 */
static ssize_t add_region_store(const struct class *class,
				const struct class_attribute *attr,
				const char *buf, size_t count)
{
	char *end;
	u64 size, start;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	size = memparse(buf, &end);
	if (end == buf || *end != '@')
		goto bad;
	buf = end + 1;
	start = memparse(buf, &end);
	if (end == buf || (*end && strcmp(end, "\n")))
		goto bad;
	ret = pmemu_range_add(start, size, pmemu_source_of(start, size));
	return ret ? ret : count;
bad:
	pr_err("add_region: expected SIZE@START\n");
	return -EINVAL;
}
static CLASS_ATTR_WO(add_region);

/*
 * /sys/class/pmemu/remove_region: "N" removes regionN if no device is
 * carved from it (an NVDIMM range goes back to libnvdimm's iomem entry).
 */
static ssize_t remove_region_store(const struct class *class,
				   const struct class_attribute *attr,
				   const char *buf, size_t count)
{
	struct pmemu_region *region;
	struct device *parent = NULL;
	int id, ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (kstrtoint(buf, 10, &id)) {
		pr_err("remove_region: expected a region number\n");
		return -EINVAL;
	}
	/* checked empty and closed to creators in one critical section */
	mutex_lock(&pmemu_lock);
	region = pmemu_region_find(id);
	if (!region)
		ret = -EINVAL;
	else if (!list_empty(&region->devs))
		ret = -EBUSY;
	else
		ret = 0;
	if (!ret) {
		region->closed = true;
		get_device(&region->dev);
		parent = get_device(region->parent);
	}
	mutex_unlock(&pmemu_lock);
	if (ret == -EINVAL)
		pr_err("remove_region: region%d does not exist\n", id);
	else if (ret == -EBUSY)
		pr_err("region%d: devices are carved from it; destroy them first\n",
		       id);
	if (ret)
		return ret;
	ret = pmemu_range_remove(parent);
	if (ret) {
		/* not a range pmemu added (e820_pmem): it stays */
		mutex_lock(&pmemu_lock);
		region->closed = false;
		mutex_unlock(&pmemu_lock);
	}
	put_device(parent);
	put_device(&region->dev);
	return ret ? ret : count;
}
static CLASS_ATTR_WO(remove_region);

static struct attribute *pmemu_class_attrs[] = {
	&class_attr_add_region.attr,
	&class_attr_remove_region.attr,
	NULL,
};
ATTRIBUTE_GROUPS(pmemu_class);

/* /sys/class/pmemu: regions and devdax character devices */
const struct class pmemu_class = {
	.name = PMEMU_NAME,
	.class_groups = pmemu_class_groups,
};

/* Last reference: no device uses the range any more. */
static void pmemu_region_release(struct device *dev)
{
	struct pmemu_region *region = to_pmemu_region(dev);

	mutex_lock(&pmemu_lock);
	if (!list_empty(&region->node))
		list_del(&region->node);
	mutex_unlock(&pmemu_lock);
	if (region->res)
		release_mem_region(region->start, region->size);
	if (region->id >= 0)
		ida_free(&pmemu_region_ida, region->id);
	put_device(region->parent);
	kfree(region);
}

static struct pmemu_region *pmemu_region_add(struct device *parent, u64 start,
					     u64 size, enum pmemu_source source)
{
	struct pmemu_region *region, *other;
	int ret;

	if (pmemu_check_range(dev_name(parent), start, size, source))
		return ERR_PTR(-EINVAL);

	region = kzalloc_obj(*region);
	if (!region)
		return ERR_PTR(-ENOMEM);
	/* dropped by the region's release: creators may outlive the unbind */
	region->parent = get_device(parent);
	region->start = start;
	region->size = size;
	region->source = source;
	/*
	 * As nd_e820: the node the firmware (SRAT) puts the range in, for a
	 * memmap= range and an NVDIMM alike; the nearest online node if that
	 * one has no CPUs or memory online.  The platform device has none.
	 */
	region->nid = numa_map_to_online_node(phys_to_target_node(start));
	region->persistent = source == PMEMU_SRC_NFIT ||
			     source == PMEMU_SRC_NDCTL;
	region->id = -1;
	INIT_LIST_HEAD(&region->node);
	INIT_LIST_HEAD(&region->devs);
	device_initialize(&region->dev);
	region->dev.class = &pmemu_class;
	region->dev.type = &pmemu_region_type;
	region->dev.parent = parent;
	region->dev.release = pmemu_region_release;

	mutex_lock(&pmemu_lock);
	other = pmemu_region_overlapping(start, size);
	if (other && other->dying) {
		dev_err(parent, "range [%#llx-%#llx] is still held by region%d, which is draining (pages in use)\n",
			start, start + size - 1, other->id);
		ret = -EBUSY;
		goto err_unlock;
	} else if (other) {
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
		goto err_unlock;
	}
	list_add_tail(&region->node, &pmemu_regions);
	mutex_unlock(&pmemu_lock);

	ret = dev_set_name(&region->dev, "region%d", region->id);
	if (!ret)
		ret = device_add(&region->dev);
	if (ret) {
		put_device(&region->dev);
		return ERR_PTR(ret);
	}
	dev_info(parent, "region%d: [mem %#llx-%#llx] from %s%s\n", region->id,
		 start, start + size - 1, pmemu_source_name(source),
		 region->persistent ? " (persistent, write cache flushed)" : "");
	return region;

err_unlock:
	mutex_unlock(&pmemu_lock);
	put_device(&region->dev);
	return ERR_PTR(ret);
}

/*
 * Move a live device to PMEMU_DEAD under pmemu_lock, in the same critical
 * section as the lookup that found it: once the lock is dropped another
 * claimer may tear it down and free it.
 */
static bool __pmemu_dev_claim_teardown(struct pmemu_dev *pd)
{
	struct pmemu_owner *owner = pd->owner;

	lockdep_assert_held(&pmemu_lock);
	if (pd->state != PMEMU_LIVE)
		return false;
	WRITE_ONCE(pd->state, PMEMU_DEAD);
	if (owner) {
		/* an older incarnation still draining: forget it */
		if (owner->gone)
			owner->gone->owner = NULL;
		owner->live = NULL;
		owner->gone = pd;
	}
	return true;
}

/**
 * pmemu_dev_claim_teardown() - move a live device to PMEMU_DEAD
 * @pd: the device; the caller holds a reference that keeps it allocated
 *	(its gendisk or character device)
 *
 * Whoever makes this transition owns the device's teardown; it also moves
 * the configfs item's link to its "gone" slot, where it stays until the
 * device has drained.
 *
 * Return: true if the caller now owns the teardown.
 */
bool pmemu_dev_claim_teardown(struct pmemu_dev *pd)
{
	bool claimed;

	mutex_lock(&pmemu_lock);
	claimed = __pmemu_dev_claim_teardown(pd);
	mutex_unlock(&pmemu_lock);
	return claimed;
}

/*
 * Tear down @pd, which the caller claimed, and drop the caller's hold on its
 * node @dev.  If nothing else uses the device, that put releases it and the
 * drain is queued: after pmemu_pages_drain_flush() its extent is free.
 */
static void pmemu_dev_take_down(struct pmemu_dev *pd, struct device *dev)
{
	pd->ops->teardown(pd);
	pmemu_pages_settle(pd);
	put_device(dev);
}

/* Claim the first live device of @region; NULL if there is none. */
static struct pmemu_dev *pmemu_region_claim_one(struct pmemu_region *region)
{
	struct pmemu_dev *pd;

	lockdep_assert_held(&pmemu_lock);
	list_for_each_entry(pd, &region->devs, region_node)
		if (__pmemu_dev_claim_teardown(pd))
			return pd;
	return NULL;
}

/*
 * Tear down every live device of @region and drop the region.  A device
 * still being created (PMEMU_NEW) sees @dying when it is done and tears
 * itself down (pmemu_dev_create()).
 */
static void pmemu_region_destroy(struct pmemu_region *region)
{
	struct pmemu_dev *pd;
	struct device *dev;

	mutex_lock(&pmemu_lock);
	region->dying = true;
	mutex_unlock(&pmemu_lock);
	for (;;) {
		mutex_lock(&pmemu_lock);
		pd = pmemu_region_claim_one(region);
		dev = pd ? get_device(pd->ops->device(pd)) : NULL;
		mutex_unlock(&pmemu_lock);
		if (!pd)
			break;
		pmemu_hold(PMEMU_HOLD_DESTROY_CLAIMED);
		pmemu_dev_take_down(pd, dev);
	}
	device_del(&region->dev);
	/* the range is released when the last device has drained */
	put_device(&region->dev);
	/* unused devices drain on their first run: the range is free now */
	pmemu_pages_drain_flush();
}

struct pmemu_placement {
	struct pmemu_dev_config *cfg;
	u64 phys;		/* region start: alignment is physical */
	u64 align;		/* extent alignment */
	bool auto_off;
	bool found;
	u64 best;		/* size 0 with auto offset: largest hole */
	struct pmemu_dev *next;	/* the device to insert before */
};

static bool pmemu_try_hole(void *arg, u64 start, u64 end,
			   struct pmemu_dev *next)
{
	struct pmemu_placement *pl = arg;
	struct pmemu_dev_config *cfg = pl->cfg;
	u64 len;

	if (!pl->auto_off) {
		if (cfg->offset < start || cfg->offset >= end)
			return false;
		if (!cfg->size)
			cfg->size = round_down(end - cfg->offset, pl->align);
		pl->found = cfg->size && cfg->offset + cfg->size <= end;
		pl->next = next;
		return true;
	}
	/* the first offset in the hole whose physical address is aligned */
	start = ALIGN(pl->phys + start, pl->align) - pl->phys;
	if (start >= end)
		return false;
	len = round_down(end - start, pl->align);
	if (cfg->size) {
		if (len < cfg->size)
			return false;
		cfg->offset = start;
		pl->found = true;
		pl->next = next;
		return true;
	}
	if (len > pl->best) {
		pl->best = len;
		pl->found = true;
		pl->next = next;
		cfg->offset = start;
	}
	return false;
}

/*
 * Resolve @cfg's offset and size against the free extents of @region and
 * check them.  Extents are aligned to @align (at least 2 MiB) in physical
 * address space.  Caller holds pmemu_lock.  Returns the device to insert
 * before (NULL: at the end) or an ERR_PTR.
 */
static struct pmemu_dev *pmemu_region_place(struct pmemu_region *region,
					    struct pmemu_dev_config *cfg,
					    u64 align)
{
	struct pmemu_placement pl = {
		.cfg = cfg,
		.phys = region->start,
		.align = align,
		.auto_off = cfg->offset == PMEMU_OFFSET_AUTO,
	};

	if ((!pl.auto_off && !IS_ALIGNED(cfg->offset, PMEMU_MIN_ALIGN)) ||
	    !IS_ALIGNED(cfg->size, PMEMU_MIN_ALIGN)) {
		pr_err("%s: offset and size must be multiples of 2 MiB\n",
		       cfg->name);
		return ERR_PTR(-EINVAL);
	}
	if (!IS_ALIGNED(cfg->size, align)) {
		pr_err("%s: size %llu is not a multiple of align %llu\n",
		       cfg->name, cfg->size, align);
		return ERR_PTR(-EINVAL);
	}
	if (!pl.auto_off && !IS_ALIGNED(region->start + cfg->offset, align)) {
		pr_err("%s: offset %llu puts the extent at %#llx, not aligned to align %llu\n",
		       cfg->name, cfg->offset, region->start + cfg->offset,
		       align);
		return ERR_PTR(-EINVAL);
	}
	if (cfg->size > region->size ||
	    (!pl.auto_off && (cfg->offset >= region->size ||
			      cfg->size > region->size - cfg->offset))) {
		pr_err("%s: extent [%llu, +%llu) is beyond region%d (%llu bytes)\n",
		       cfg->name, pl.auto_off ? 0 : cfg->offset, cfg->size,
		       region->id, region->size);
		return ERR_PTR(-EINVAL);
	}
	pmemu_region_holes(region, pmemu_try_hole, &pl);
	if (pl.found) {
		if (pl.auto_off && !cfg->size)
			cfg->size = pl.best;
		return pl.next;
	}
	if (pl.auto_off) {
		pr_err("%s: no free extent of %llu bytes aligned to %llu in region%d\n",
		       cfg->name, cfg->size, align, region->id);
		return ERR_PTR(-ENOSPC);
	}
	pr_err("%s: extent [%llu, +%llu) overlaps another device in region%d\n",
	       cfg->name, cfg->offset, cfg->size, region->id);
	return ERR_PTR(-EINVAL);
}

/* Caller holds pmemu_lock. */
static struct pmemu_region *pmemu_region_find(int id)
{
	struct pmemu_region *region;

	list_for_each_entry(region, &pmemu_regions, node)
		if (region->id == id && !region->dying && !region->closed)
			return region;
	return NULL;
}

/* Reserve the extent: a PMEMU_NEW device in the region's list. */
static struct pmemu_dev *pmemu_dev_reserve(const struct pmemu_dev_config *cfg)
{
	struct pmemu_region *region;
	struct pmemu_dev *pd, *next;
	int ret;

	pd = kzalloc_obj(*pd);
	if (!pd)
		return ERR_PTR(-ENOMEM);
	pd->cfg = *cfg;
	ret = pmemu_media_init(pd);
	if (ret)
		goto err_free;
	ret = ida_alloc(&pmemu_dev_ida, GFP_KERNEL);
	if (ret < 0)
		goto err_media;
	pd->id = ret;

	mutex_lock(&pmemu_lock);
	region = pmemu_region_find(cfg->region);
	if (!region) {
		pr_err("%s: region%d does not exist\n", cfg->name, cfg->region);
		ret = -EINVAL;
		goto err_unlock;
	}
	next = pmemu_region_place(region, &pd->cfg,
				  max_t(u64, cfg->align, PMEMU_MIN_ALIGN));
	if (IS_ERR(next)) {
		ret = PTR_ERR(next);
		goto err_unlock;
	}
	pd->region = region;
	pd->phys = region->start + pd->cfg.offset;
	pd->state = PMEMU_NEW;
	get_device(&region->dev);
	if (next)
		list_add_tail(&pd->region_node, &next->region_node);
	else
		list_add_tail(&pd->region_node, &region->devs);
	mutex_unlock(&pmemu_lock);
	return pd;

err_unlock:
	mutex_unlock(&pmemu_lock);
	ida_free(&pmemu_dev_ida, pd->id);
err_media:
	pmemu_media_exit(pd);
err_free:
	kfree(pd);
	return ERR_PTR(ret);
}

/**
 * pmemu_dev_released() - a device is gone: free its extent
 * @pd: device whose struct pages are unmapped (or were never mapped)
 *
 * Removes the extent from the region, frees the device and drops its
 * reference on the region (the last one releases the range).
 */
void pmemu_dev_released(struct pmemu_dev *pd)
{
	struct pmemu_region *region = pd->region;

	mutex_lock(&pmemu_lock);
	list_del(&pd->region_node);
	if (pd->owner && pd->owner->gone == pd)
		pd->owner->gone = NULL;
	mutex_unlock(&pmemu_lock);
	ida_free(&pmemu_dev_ida, pd->id);
	pmemu_media_exit(pd);
	kfree(pd);
	put_device(&region->dev);
}

/**
 * pmemu_owner_release() - a creator goes away
 * @owner: its links; the device must not be live any more
 *
 * A device of @owner that is still draining forgets its owner.
 */
void pmemu_owner_release(struct pmemu_owner *owner)
{
	mutex_lock(&pmemu_lock);
	WARN_ON_ONCE(owner->live);
	if (owner->gone)
		owner->gone->owner = NULL;
	owner->gone = NULL;
	mutex_unlock(&pmemu_lock);
}

/*
 * Check the personality-specific part of @cfg and fill in defaults (devdax
 * align 2M).  Returns 0 or -EINVAL with one message.
 */
static int pmemu_dev_check_config(struct pmemu_dev_config *cfg)
{
	if (cfg->mode != PMEMU_MODE_DEVDAX)
		return 0;
	if (!cfg->align)
		cfg->align = PMD_SIZE;
	if (cfg->align != PAGE_SIZE &&
	    !(cfg->align == PMD_SIZE && has_transparent_hugepage()) &&
	    !(cfg->align == PUD_SIZE &&
	      IS_ENABLED(CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD) &&
	      has_transparent_hugepage())) {
		pr_err("%s: align %llu is not a page size this kernel maps (4096, 2097152 or 1073741824)\n",
		       cfg->name, cfg->align);
		return -EINVAL;
	}
	if (cfg->lifetime == PMEMU_LIFETIME_TRACKED && cfg->align == PUD_SIZE) {
		pr_err("%s: lifetime=tracked supports align 4K and 2M only: the core's rmap walk cannot handle a PUD-mapped device-coherent folio (docs/lifetime.md)\n",
		       cfg->name);
		return -EINVAL;
	}
	return 0;
}

/* Bytes at the start of an extent that hold its memmap (map=dev). */
static u64 pmemu_memmap_bytes(const struct pmemu_dev_config *cfg)
{
	u64 align = max_t(u64, cfg->align, PMEMU_MIN_ALIGN);

	if (cfg->map != PMEMU_MAP_DEV)
		return 0;
	return ALIGN(PHYS_PFN(cfg->size) * sizeof(struct page), align);
}

/**
 * pmemu_dev_create() - carve a device from a region and bring it up
 * @cfg: what to create; offset may be PMEMU_OFFSET_AUTO and size 0
 * @owner: the creator's links to the device (its live link is cleared if
 *	the device is torn down from elsewhere, e.g. platform unbind); or NULL
 *
 * Invalid or unplaceable configurations are refused with one error line.
 *
 * Return: the live device or an ERR_PTR(): -EINVAL (bad configuration, no
 * such region, overlap), -ENOSPC (no free extent that fits), -ENODEV (the
 * region went away meanwhile), or an allocation/registration error.
 */
struct pmemu_dev *pmemu_dev_create(const struct pmemu_dev_config *cfg,
				   struct pmemu_owner *owner)
{
	struct pmemu_dev_config checked = *cfg;
	struct pmemu_dev *pd;
	bool dying;
	int ret;

	ret = pmemu_dev_check_config(&checked);
	if (ret)
		return ERR_PTR(ret);
	if (checked.size && pmemu_memmap_bytes(&checked) >= checked.size) {
		pr_err("%s: %llu bytes leave no room for data after the memmap (map=dev)\n",
		       cfg->name, cfg->size);
		return ERR_PTR(-EINVAL);
	}
	pd = pmemu_dev_reserve(&checked);
	if (IS_ERR(pd))
		return pd;
	pd->ops = pd->cfg.mode == PMEMU_MODE_DEVDAX ? &pmemu_devdax_ops :
						      &pmemu_fsdax_ops;
	pd->data_offset = pmemu_memmap_bytes(&pd->cfg);
	if (pd->data_offset >= pd->cfg.size) {
		pr_err("%s: %llu bytes leave no room for data after the memmap (map=dev)\n",
		       cfg->name, pd->cfg.size);
		ret = -EINVAL;
		goto err_release;
	}

	ret = pd->ops->init(pd);
	if (ret)
		goto err_release;
	if (pd->cfg.mode == PMEMU_MODE_DEVDAX)
		pr_info("%s%s/dev/%s: region%d [%llu, +%llu) devdax map=%s align=%llu lifetime=%s\n",
			pd->cfg.name, pd->cfg.name[0] ? ": " : "", pd->devname,
			pd->region->id, pd->cfg.offset, pd->cfg.size,
			pmemu_map_name(pd->cfg.map), pd->cfg.align,
			pmemu_lifetime_name(pd->cfg.lifetime));
	else
		pr_info("%s%s/dev/%s: region%d [%llu, +%llu) fsdax map=%s\n",
			pd->cfg.name, pd->cfg.name[0] ? ": " : "", pd->devname,
			pd->region->id, pd->cfg.offset, pd->cfg.size,
			pmemu_map_name(pd->cfg.map));

	mutex_lock(&pmemu_lock);
	dying = pd->region->dying;
	if (dying) {
		/*
		 * The region was unbound while we built the device, and its
		 * destroy passed it by: nobody else can claim a new device.
		 */
		WRITE_ONCE(pd->state, PMEMU_DEAD);
	} else {
		WRITE_ONCE(pd->state, PMEMU_LIVE);
		if (owner) {
			pd->owner = owner;
			owner->live = pd;
		}
	}
	mutex_unlock(&pmemu_lock);
	if (dying) {
		pmemu_dev_take_down(pd, get_device(pd->ops->device(pd)));
		return ERR_PTR(-ENODEV);
	}
	return pd;

err_release:
	pmemu_dev_released(pd);
	return ERR_PTR(ret);
}

/**
 * pmemu_dev_disable() - tear down the device a configfs item created
 * @owner: the item's links to its device
 * @force: tear down even if the block device is open
 *
 * Without @force, refuses while the block device is open (mounted).  If no
 * page is in use the device has drained, and its extent is free, when this
 * returns; otherwise the struct pages and the extent are released later,
 * once drained (pagemap.c).
 *
 * Return: 0 (also if the device was already gone) or -EBUSY.
 */
int pmemu_dev_disable(struct pmemu_owner *owner, bool force)
{
	struct pmemu_dev *pd;
	struct device *dev = NULL;
	int ret;

	mutex_lock(&pmemu_lock);
	pd = owner->live;
	if (pd && pd->state == PMEMU_LIVE) {
		/* keeps the gendisk or chardev, and so @pd, until we are done */
		dev = get_device(pd->ops->device(pd));
	}
	mutex_unlock(&pmemu_lock);
	if (!dev)
		return 0;
	if (force)
		ret = pmemu_dev_claim_teardown(pd) ? 0 : -ENODEV;
	else
		ret = pd->ops->kill_unused(pd);
	if (ret) {
		put_device(dev);
		return ret == -ENODEV ? 0 : ret;
	}
	pmemu_dev_take_down(pd, dev);
	pmemu_pages_drain_flush();
	return 0;
}

static void pmemu_remove_regions_of(struct device *parent)
{
	struct pmemu_region *region;

	for (;;) {
		mutex_lock(&pmemu_lock);
		list_for_each_entry_reverse(region, &pmemu_regions, node)
			if (region->parent == parent && !region->dying)
				break;
		if (list_entry_is_head(region, &pmemu_regions, node))
			region = NULL;
		mutex_unlock(&pmemu_lock);
		if (!region)
			return;
		pmemu_region_destroy(region);
	}
}

/* probe: one fsdax device over the whole region, unless autocreate=N */
static int pmemu_region_autocreate(struct pmemu_region *region)
{
	struct pmemu_dev_config cfg = {
		.region = region->id,
		.offset = 0,
		.size = region->size,
		.mode = PMEMU_MODE_FSDAX,
		.map = PMEMU_MAP_MEM,
	};

	if (!autocreate)
		return 0;
	return PTR_ERR_OR_ZERO(pmemu_dev_create(&cfg, NULL));
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
				  PMEMU_SRC_E820);
	if (IS_ERR(region)) {
		w->err = PTR_ERR(region);
		return w->err;
	}
	if (!w->first)
		w->first = region;
	w->err = pmemu_region_autocreate(region);
	return w->err;
}

/*
 * Platform data is a struct pmemu_pdata only on pmemu's own range devices:
 * a device of another name bound through driver_override carries its own
 * driver's, which must not be read as ours (a source that skips the
 * "must be reserved" check).
 */
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
			region = pmemu_region_add(&pdev->dev, res->start,
						  resource_size(res), source);
			if (IS_ERR(region)) {
				w.err = PTR_ERR(region);
				break;
			}
			if (!w.first)
				w.first = region;
			w.err = pmemu_region_autocreate(region);
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
 * pmemu_region_class_register() - register the region class (/sys/class/pmemu)
 *
 * Return: 0 or a negative errno.
 */
int pmemu_region_class_register(void)
{
	return class_register(&pmemu_class);
}

/**
 * pmemu_region_class_unregister() - unregister the region class
 *
 * Called last at unload, after every drain has finished.
 */
void pmemu_region_class_unregister(void)
{
	class_unregister(&pmemu_class);
}

/**
 * pmemu_region_driver_register() - register the pmemu platform driver
 *
 * Return: 0 or a negative errno.
 */
int pmemu_region_driver_register(void)
{
	return platform_driver_register(&pmemu_driver);
}

/**
 * pmemu_region_driver_attach() - probe a range device nothing has probed
 * @dev: a "pmemu" platform device registered while drivers_autoprobe was 0
 *
 * Return: 0 or the probe's error.
 */
int pmemu_region_driver_attach(struct device *dev)
{
	return device_driver_attach(&pmemu_driver.driver, dev);
}

/**
 * pmemu_region_driver_unregister() - unbind every region and unregister
 *
 * Regions torn down here are released when their devices have drained
 * (pmemu_lifetime_exit() waits for that).
 */
void pmemu_region_driver_unregister(void)
{
	platform_driver_unregister(&pmemu_driver);
}
