// SPDX-License-Identifier: GPL-2.0
/* pmemu regions: ranges claimed in iomem, and the extents carved from them */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/ioport.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/numa.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "pmemu.h"

/* regions, their device lists, device states and owner slots */
DEFINE_MUTEX(pmemu_lock);
/* All regions until their last reference goes (dying ones included). */
static LIST_HEAD(pmemu_regions);
static DEFINE_IDA(pmemu_region_ida);

static int pmemu_count_covered(struct resource *res, void *arg)
{
	u64 *covered = arg;

	*covered += resource_size(res);
	return 0;
}

/* The walk clips matches to the range and skips nested ones: no overcount. */
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
 * Prints one line naming the range and the reason when it is not usable.
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
 * Call @fn on each free extent [start, end) of @region, in order, with the
 * device after it (NULL at the end) until @fn returns true.  Under pmemu_lock.
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
	if (region->capacity > pos)
		fn(arg, pos, region->capacity, NULL);
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
	return sysfs_emit(buf, "%llu\n", to_pmemu_region(dev)->capacity);
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

static ssize_t labels_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct pmemu_region *region = to_pmemu_region(dev);

	return sysfs_emit(buf, "%s\n",
			  pmemu_labels_state_name(READ_ONCE(region->labels.state)));
}

/* Write the empty layout to both copies: the user's word for a fresh start. */
static int pmemu_region_init_labels(struct pmemu_region *region)
{
	struct pmemu_labels *ls = &region->labels;
	const char *why = NULL;
	int ret;

	mutex_lock(&ls->lock);
	mutex_lock(&pmemu_lock);
	if (!region->populated || region->closed || region->dying)
		why = "it is being restored or taken away";
	else if (!list_empty(&region->devs))
		why = "devices are carved from it: destroy them first";
	mutex_unlock(&pmemu_lock);
	if (why) {
		dev_err(&region->dev, "labels not initialised: %s\n", why);
		ret = -EBUSY;
		goto out;
	}
	ret = pmemu_labels_commit(region, NULL, 0);
	if (ret)
		goto out;
	mutex_lock(&pmemu_lock);
	WRITE_ONCE(ls->state, PMEMU_LABELS_OK);
	mutex_unlock(&pmemu_lock);
	dev_info(&region->dev, "labels initialised: no device recorded\n");
out:
	mutex_unlock(&ls->lock);
	return ret;
}

static ssize_t labels_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	struct pmemu_region *region = to_pmemu_region(dev);
	int ret;

	if (!sysfs_streq(buf, "init")) {
		dev_err(dev, "labels: expected \"init\"\n");
		return -EINVAL;
	}
	if (READ_ONCE(region->labels.state) == PMEMU_LABELS_NONE) {
		dev_err(dev, "has no label area (reserved RAM has one with the module parameter labels=1)\n");
		return -EINVAL;
	}
	ret = pmemu_region_init_labels(region);
	return ret ?: count;
}
static DEVICE_ATTR_ADMIN_RW(labels);

static struct attribute *pmemu_region_attrs[] = {
	&dev_attr_id.attr,
	&dev_attr_size.attr,
	&dev_attr_available_size.attr,
	&dev_attr_max_available_extent.attr,
	&dev_attr_align.attr,
	&dev_attr_source.attr,
	&dev_attr_start.attr,
	&dev_attr_numa_node.attr,
	&dev_attr_labels.attr,
	NULL,
};
ATTRIBUTE_GROUPS(pmemu_region);

static const struct device_type pmemu_region_type = {
	.name = "pmemu_region",
	.groups = pmemu_region_groups,
};

/* Last reference: no device uses the range any more. */
static void pmemu_region_release(struct device *dev)
{
	struct pmemu_region *region = to_pmemu_region(dev);

	mutex_lock(&pmemu_lock);
	if (!list_empty(&region->node))
		list_del(&region->node);
	mutex_unlock(&pmemu_lock);
	pmemu_labels_close(region);
	mutex_destroy(&region->labels.lock);
	if (region->res)
		release_mem_region(region->start, region->size);
	if (region->id >= 0)
		ida_free(&pmemu_region_ida, region->id);
	put_device(region->parent);
	kfree(region);
}

/**
 * pmemu_region_add() - claim a range and make a region of it
 * @parent: the platform device the range belongs to
 * @start: physical start
 * @size: bytes
 * @source: where the range comes from
 * @labels: keep a label area at the end of the range
 *
 * The region is closed to creators until pmemu_region_open().
 *
 * Return: the region, shown in sysfs, or an ERR_PTR(): -EINVAL for a range
 * that is not usable or overlaps another region, -EBUSY if a draining
 * region or another driver holds it, -ENOMEM.
 */
struct pmemu_region *pmemu_region_add(struct device *parent, u64 start,
				      u64 size, enum pmemu_source source,
				      bool labels)
{
	struct pmemu_region *region, *other;
	int ret;

	if (pmemu_check_range(dev_name(parent), start, size, source))
		return ERR_PTR(-EINVAL);
	if (labels && size <= PMEMU_LABEL_RESERVED) {
		dev_err(parent, "range [%#llx-%#llx]: no room for devices beside the label area (2 MiB are kept for it)\n",
			start, start + size - 1);
		return ERR_PTR(-EINVAL);
	}

	region = kzalloc_obj(*region);
	if (!region)
		return ERR_PTR(-ENOMEM);
	/* dropped by the region's release: creators may outlive the unbind */
	region->parent = get_device(parent);
	region->start = start;
	region->size = size;
	region->capacity = labels ? size - PMEMU_LABEL_RESERVED : size;
	region->source = source;
	/* as nd_e820: the firmware's node, or the nearest online one */
	region->nid = numa_map_to_online_node(phys_to_target_node(start));
	region->persistent = source == PMEMU_SRC_NFIT ||
			     source == PMEMU_SRC_NDCTL;
	region->id = -1;
	INIT_LIST_HEAD(&region->node);
	INIT_LIST_HEAD(&region->devs);
	mutex_init(&region->labels.lock);
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

	if (labels) {
		ret = pmemu_labels_open(region);
		if (ret) {
			put_device(&region->dev);
			return ERR_PTR(ret);
		}
	}
	ret = dev_set_name(&region->dev, "region%d", region->id);
	if (!ret)
		ret = device_add(&region->dev);
	if (ret) {
		put_device(&region->dev);
		return ERR_PTR(ret);
	}
	dev_info(parent, "region%d: [mem %#llx-%#llx] from %s%s, labels %s\n",
		 region->id, start, start + size - 1, pmemu_source_name(source),
		 region->persistent ? " (persistent, write cache flushed)" : "",
		 pmemu_labels_state_name(region->labels.state));
	return region;

err_unlock:
	mutex_unlock(&pmemu_lock);
	put_device(&region->dev);
	return ERR_PTR(ret);
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

/**
 * pmemu_region_place() - find the extent a device configuration asks for
 * @region: the region; the caller holds pmemu_lock
 * @cfg: offset (or PMEMU_OFFSET_AUTO) and size (or 0: the largest free
 *	extent) to resolve and check; updated in place
 * @align: extent alignment in physical address space (at least 2 MiB)
 *
 * Return: the device to insert the new one before (NULL: at the end) or
 * an ERR_PTR(): -EINVAL, or -ENOSPC when no free extent fits.
 */
struct pmemu_dev *pmemu_region_place(struct pmemu_region *region,
				     struct pmemu_dev_config *cfg, u64 align)
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
	if (cfg->size > region->capacity ||
	    (!pl.auto_off && (cfg->offset >= region->capacity ||
			      cfg->size > region->capacity - cfg->offset))) {
		pr_err("%s: extent [%llu, +%llu) is beyond region%d (%llu bytes%s)\n",
		       cfg->name, pl.auto_off ? 0 : cfg->offset, cfg->size,
		       region->id, region->capacity,
		       region->labels.state ? ", the label area after them" : "");
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

/**
 * pmemu_region_find() - the region devices can be carved from by number
 * @id: region number
 *
 * The caller holds pmemu_lock.
 *
 * Return: the region, or NULL if none by that number is open to creators.
 */
struct pmemu_region *pmemu_region_find(int id)
{
	struct pmemu_region *region;

	list_for_each_entry(region, &pmemu_regions, node)
		if (region->id == id && region->populated && !region->dying &&
		    !region->closed)
			return region;
	return NULL;
}

/**
 * pmemu_region_dev_named() - the device of a name, being made or live
 * @name: a configfs name, not ""
 *
 * The caller holds pmemu_lock.
 *
 * Return: the device, or NULL.
 */
struct pmemu_dev *pmemu_region_dev_named(const char *name)
{
	struct pmemu_region *region;
	struct pmemu_dev *pd;

	lockdep_assert_held(&pmemu_lock);
	list_for_each_entry(region, &pmemu_regions, node)
		list_for_each_entry(pd, &region->devs, region_node)
			if ((pd->state == PMEMU_NEW || pd->state == PMEMU_LIVE) &&
			    !strcmp(pd->cfg.name, name))
				return pd;
	return NULL;
}

/**
 * pmemu_region_open() - let creators carve devices from a new region
 * @region: the region, its recorded devices restored
 */
void pmemu_region_open(struct pmemu_region *region)
{
	mutex_lock(&pmemu_lock);
	region->populated = true;
	mutex_unlock(&pmemu_lock);
}

/**
 * pmemu_region_set_labels() - change the state of a region's labels
 * @region: the region
 * @state: the new state
 */
void pmemu_region_set_labels(struct pmemu_region *region,
			     enum pmemu_labels_state state)
{
	mutex_lock(&region->labels.lock);
	mutex_lock(&pmemu_lock);
	WRITE_ONCE(region->labels.state, state);
	mutex_unlock(&pmemu_lock);
	mutex_unlock(&region->labels.lock);
}

/**
 * pmemu_region_last_of() - the newest region a platform device made
 * @parent: the platform device
 *
 * Return: its last region not being destroyed, or NULL.
 */
struct pmemu_region *pmemu_region_last_of(struct device *parent)
{
	struct pmemu_region *region;

	mutex_lock(&pmemu_lock);
	list_for_each_entry_reverse(region, &pmemu_regions, node)
		if (region->parent == parent && !region->dying)
			break;
	if (list_entry_is_head(region, &pmemu_regions, node))
		region = NULL;
	mutex_unlock(&pmemu_lock);
	return region;
}
