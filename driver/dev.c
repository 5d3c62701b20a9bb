// SPDX-License-Identifier: GPL-2.0
/* pmemu device core: the extents of a region brought up, and taken down. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/huge_mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include "pmemu.h"

static DEFINE_IDA(pmemu_dev_ida);

/*
 * In the critical section of the lookup that found @pd: once pmemu_lock is
 * dropped, another claimer may tear @pd down and free it.
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

/* The caller holds @pd's node.  True if it now owns the teardown. */
static bool pmemu_dev_claim_teardown(struct pmemu_dev *pd)
{
	bool claimed;

	mutex_lock(&pmemu_lock);
	claimed = __pmemu_dev_claim_teardown(pd);
	mutex_unlock(&pmemu_lock);
	return claimed;
}

/* Opens are blocked from the check to the claim, which fails later ones. */
static int pmemu_dev_kill_unused(struct pmemu_dev *pd)
{
	int ret = pd->ops->lock_unused(pd);

	if (ret)
		return ret;
	ret = pmemu_dev_claim_teardown(pd) ? 0 : -ENODEV;
	pd->ops->unlock_opens(pd);
	return ret;
}

/* Consumes @dev; after pmemu_pages_drain_flush() an unused @pd is freed. */
static void pmemu_dev_take_down(struct pmemu_dev *pd, struct device *dev)
{
	pd->ops->teardown(pd);
	pmemu_pages_settle(pd);
	put_device(dev);
}

static struct pmemu_dev *pmemu_region_claim_one(struct pmemu_region *region)
{
	struct pmemu_dev *pd;

	lockdep_assert_held(&pmemu_lock);
	list_for_each_entry(pd, &region->devs, region_node)
		if (__pmemu_dev_claim_teardown(pd))
			return pd;
	return NULL;
}

/* A device still PMEMU_NEW sees @dying when built and tears itself down. */
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
	put_device(&region->dev);
	/* unused devices drain on their first run: the range is free now */
	pmemu_pages_drain_flush();
}

/* pd->released: struct pages unmapped (or never mapped); frees @pd */
static void pmemu_dev_released(struct pmemu_dev *pd)
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

/* Why a region refuses new devices (caller holds pmemu_lock), or NULL. */
static const char *pmemu_region_refuses(struct pmemu_region *region,
					const struct pmemu_dev_config *cfg)
{
	struct pmemu_dev *pd;
	unsigned int named = 0;

	switch (READ_ONCE(region->labels.state)) {
	case PMEMU_LABELS_DAMAGED:
		return "its label area is damaged; 'pmemuctl init-labels' starts it afresh";
	case PMEMU_LABELS_INCOMPLETE:
		return "its labels are left as they are (a recorded device was not restored)";
	case PMEMU_LABELS_OK:
		list_for_each_entry(pd, &region->devs, region_node)
			named += pd->cfg.name[0] != 0;
		if (cfg->name[0] && named >= pmemu_labels_max())
			return "its labels record no more devices";
		return NULL;
	default:
		return NULL;
	}
}

/*
 * Reserve @cfg's extent on @region, or (NULL) on the region @cfg names,
 * open to creators.
 */
static struct pmemu_dev *pmemu_dev_reserve(struct pmemu_region *region,
					   const struct pmemu_dev_config *cfg,
					   const uuid_t *uuid)
{
	struct pmemu_dev *pd, *next, *other;
	const char *why;
	int ret;

	pd = kzalloc_obj(*pd);
	if (!pd)
		return ERR_PTR(-ENOMEM);
	pd->cfg = *cfg;
	pd->released = pmemu_dev_released;
	if (uuid)
		uuid_copy(&pd->uuid, uuid);
	else
		uuid_gen(&pd->uuid);
	ret = pmemu_media_init(pd);
	if (ret)
		goto err_free;
	ret = ida_alloc(&pmemu_dev_ida, GFP_KERNEL);
	if (ret < 0)
		goto err_media;
	pd->id = ret;

	mutex_lock(&pmemu_lock);
	if (!region)
		region = pmemu_region_find(cfg->region);
	if (!region || region->dying) {
		pr_err("%s: region%d does not exist\n", cfg->name, cfg->region);
		ret = -EINVAL;
		goto err_unlock;
	}
	why = pmemu_region_refuses(region, cfg);
	if (why) {
		pr_err("%s: region%d: %s\n", cfg->name, region->id, why);
		ret = -EBUSY;
		goto err_unlock;
	}
	other = cfg->name[0] ? pmemu_region_dev_named(cfg->name) : NULL;
	if (other) {
		pr_err("%s: a device of this name exists already (/dev/%s on region%d)\n",
		       cfg->name, other->devname, other->region->id);
		ret = -EEXIST;
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

/*
 * Record @region's live named devices in its labels: 0, -ENODEV for a
 * region being destroyed (unbind, unload), which keeps the labels it has
 * so that its devices come back at the next probe, -EBUSY for labels left
 * as they are (damaged, incomplete, being restored), -ENOSPC.
 */
static int pmemu_dev_record(struct pmemu_region *region)
{
	struct pmemu_labels *ls = &region->labels;
	struct pmemu_dev *pd;
	unsigned int n = 0;
	int ret = 0;

	if (READ_ONCE(ls->state) == PMEMU_LABELS_NONE)
		return 0;
	mutex_lock(&ls->lock);
	mutex_lock(&pmemu_lock);
	if (region->dying) {
		ret = -ENODEV;
	} else if (ls->state != PMEMU_LABELS_OK || !region->populated) {
		/* left as they are; a restore in progress records nothing */
		ret = -EBUSY;
	} else {
		list_for_each_entry(pd, &region->devs, region_node) {
			if (pd->state != PMEMU_LIVE || !pd->cfg.name[0])
				continue;
			if (n == pmemu_labels_max()) {
				ret = -ENOSPC;
				break;
			}
			ls->snap[n].uuid = pd->uuid;
			ls->snap[n].cfg = pd->cfg;
			n++;
		}
	}
	mutex_unlock(&pmemu_lock);
	if (!ret)
		ret = pmemu_labels_commit(region, ls->snap, n);
	mutex_unlock(&ls->lock);
	return ret;
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

/*
 * Tear down a device that went live but cannot stay; @dev is the caller's
 * reference to its node, consumed.
 */
static void pmemu_dev_undo(struct pmemu_dev *pd, struct device *dev)
{
	if (!pmemu_dev_claim_teardown(pd)) {
		put_device(dev);
		return;
	}
	pmemu_dev_take_down(pd, dev);
	pmemu_pages_drain_flush();
}

/* Record a new live device in its region's labels, or take it down. */
static int pmemu_dev_record_new(struct pmemu_dev *pd, struct device *dev)
{
	struct pmemu_region *region = pd->region;
	int ret;

	ret = pmemu_dev_record(region);
	if (ret) {
		pr_err("%s: region%d's labels cannot record it (%pe): taken down again\n",
		       pd->cfg.name, region->id, ERR_PTR(ret));
		pmemu_dev_undo(pd, dev);
	} else {
		put_device(dev);
	}
	put_device(&region->dev);
	return ret;
}

/*
 * Carve @cfg from @region (NULL: the region @cfg names) and bring it up;
 * @uuid is NULL for a new identity.  @record: write the region's labels
 * once it is live.
 */
static struct pmemu_dev *pmemu_dev_build(struct pmemu_region *region,
					 const struct pmemu_dev_config *cfg,
					 struct pmemu_owner *owner,
					 const uuid_t *uuid, bool record)
{
	struct pmemu_dev_config checked = *cfg;
	struct device *dev = NULL;
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
	pd = pmemu_dev_reserve(region, &checked, uuid);
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
		/* the region's destroy passed it by: nobody else claims it */
		WRITE_ONCE(pd->state, PMEMU_DEAD);
	} else {
		WRITE_ONCE(pd->state, PMEMU_LIVE);
		if (owner) {
			pd->owner = owner;
			owner->live = pd;
		}
		/* live, it may be torn down and freed by others: hold it */
		if (record && pd->cfg.name[0]) {
			dev = get_device(pd->ops->device(pd));
			get_device(&pd->region->dev);
		}
	}
	mutex_unlock(&pmemu_lock);
	if (dying) {
		pmemu_dev_take_down(pd, get_device(pd->ops->device(pd)));
		return ERR_PTR(-ENODEV);
	}
	/* enable returns once the labels say the device exists */
	if (dev) {
		ret = pmemu_dev_record_new(pd, dev);
		if (ret)
			return ERR_PTR(ret);
	}
	return pd;

err_release:
	pmemu_dev_released(pd);
	return ERR_PTR(ret);
}

/**
 * pmemu_dev_create() - carve a device from a region and bring it up
 * @cfg: what to create; offset may be PMEMU_OFFSET_AUTO and size 0
 * @owner: the creator's links, cleared if the device is torn down
 *	elsewhere; or NULL
 *
 * A named device of a region with labels is recorded in them before this
 * returns.
 *
 * Return: the live device or an ERR_PTR(): -EINVAL (bad configuration, no
 * such region, overlap), -ENOSPC (no free extent fits), -EEXIST (a device
 * has the name), -EBUSY (the region's labels refuse new devices), -ENODEV
 * (the region went away meanwhile), or an allocation/registration error.
 */
struct pmemu_dev *pmemu_dev_create(const struct pmemu_dev_config *cfg,
				   struct pmemu_owner *owner)
{
	return pmemu_dev_build(NULL, cfg, owner, NULL, true);
}

/**
 * pmemu_dev_adopt() - give a configfs item the device of its name
 * @name: the item's name
 * @owner: the item's links
 * @cfg: set to the device's configuration if there is one
 *
 * A device restored from labels has no item; the item of its name
 * manages it from then on (disable, destroy, reconfigure).  Nothing
 * happens if @owner has a device or while the region is being restored.
 *
 * Return: true if @owner took a device.
 */
bool pmemu_dev_adopt(const char *name, struct pmemu_owner *owner,
		     struct pmemu_dev_config *cfg)
{
	struct pmemu_dev *pd;
	bool adopted = false;

	mutex_lock(&pmemu_lock);
	pd = owner->live ? NULL : pmemu_region_dev_named(name);
	if (pd && pd->state == PMEMU_LIVE && !pd->owner &&
	    pd->region->populated) {
		pd->owner = owner;
		owner->live = pd;
		*cfg = pd->cfg;
		adopted = true;
		pr_info("%s: the configfs item manages /dev/%s, restored from region%d's labels\n",
			name, pd->devname, pd->region->id);
	}
	mutex_unlock(&pmemu_lock);
	return adopted;
}

/* A new region's devices without labels: one fsdax device over it all. */
static int pmemu_region_autocreate(struct pmemu_region *region)
{
	struct pmemu_dev_config cfg = {
		.region = region->id,
		.offset = 0,
		.size = region->capacity,
		.mode = PMEMU_MODE_FSDAX,
		.map = PMEMU_MAP_MEM,
	};

	return PTR_ERR_OR_ZERO(pmemu_dev_build(region, &cfg, NULL, NULL,
					       false));
}

/* Bring back the devices @region's labels record. */
static void pmemu_region_restore(struct pmemu_region *region)
{
	struct pmemu_labels *ls = &region->labels;
	unsigned int i, restored = 0;
	struct pmemu_dev *pd;

	for (i = 0; i < ls->nr_found; i++) {
		pd = pmemu_dev_build(region, &ls->found[i].cfg, NULL,
				     &ls->found[i].uuid, false);
		if (IS_ERR(pd))
			pr_err("region%d: recorded device %s [%llu, +%llu) not restored: %pe\n",
			       region->id, ls->found[i].cfg.name,
			       ls->found[i].cfg.offset, ls->found[i].cfg.size, pd);
		else
			restored++;
	}
	if (restored == ls->nr_found) {
		dev_info(&region->dev, "devices restored from its labels: %u\n",
			 restored);
		return;
	}
	pmemu_region_set_labels(region, PMEMU_LABELS_INCOMPLETE);
	dev_err(&region->dev, "%u of %u recorded devices restored: labels left as they are and no device created until a probe restores all or 'pmemuctl init-labels' (no device left) starts afresh\n",
		restored, ls->nr_found);
}

/**
 * pmemu_region_populate() - bring up what a new region holds, then open it
 * @region: a region just added, closed to creators
 * @autocreate: make one fsdax device over a region that records none
 *
 * The devices the labels record come back first, with their names; a
 * region whose labels record devices or are damaged gets no autocreated
 * device.
 *
 * Return: 0, or the error of the autocreated device (a device that
 * cannot be restored is reported and leaves the labels "incomplete").
 */
int pmemu_region_populate(struct pmemu_region *region, bool autocreate)
{
	int ret = 0;

	if (region->labels.nr_found)
		pmemu_region_restore(region);
	else if (autocreate &&
		 READ_ONCE(region->labels.state) != PMEMU_LABELS_DAMAGED)
		ret = pmemu_region_autocreate(region);
	pmemu_labels_forget_found(region);
	pmemu_region_open(region);
	return ret;
}

/**
 * pmemu_dev_disable() - tear down the device a configfs item created
 * @owner: the item's links to its device
 * @force: tear down even if the device is open
 *
 * If no page is in use, the extent is free on return.  The region's labels
 * are rewritten without the device; if they cannot be (the region is
 * going away, its labels are left as they are), one message says that the
 * device comes back at the next probe.
 *
 * Return: 0 (also if the device was already gone), or -EBUSY if it is open.
 */
int pmemu_dev_disable(struct pmemu_owner *owner, bool force)
{
	struct pmemu_region *region;
	struct pmemu_dev *pd;
	struct device *dev = NULL;
	char name[PMEMU_NAME_LEN];
	int ret;

	mutex_lock(&pmemu_lock);
	pd = owner->live;
	if (pd && pd->state == PMEMU_LIVE) {
		/* keeps the gendisk or chardev, and so @pd, until done */
		dev = get_device(pd->ops->device(pd));
	}
	mutex_unlock(&pmemu_lock);
	if (!dev)
		return 0;
	if (force)
		ret = pmemu_dev_claim_teardown(pd) ? 0 : -ENODEV;
	else
		ret = pmemu_dev_kill_unused(pd);
	if (ret) {
		put_device(dev);
		return ret == -ENODEV ? 0 : ret;
	}
	/* @pd may be freed once taken down; its region and name are needed */
	region = pd->region;
	get_device(&region->dev);
	strscpy(name, pd->cfg.name);
	pmemu_dev_take_down(pd, dev);
	ret = pmemu_dev_record(region);
	if (ret)
		dev_err(&region->dev, "labels not rewritten (%pe): %s comes back at the next probe\n",
			ERR_PTR(ret), name);
	put_device(&region->dev);
	pmemu_pages_drain_flush();
	return 0;
}

/**
 * pmemu_regions_destroy() - take a platform device's regions away
 * @parent: the platform device
 *
 * Each range is released when the last of its devices has drained.
 */
void pmemu_regions_destroy(struct device *parent)
{
	struct pmemu_region *region;

	while ((region = pmemu_region_last_of(parent)))
		pmemu_region_destroy(region);
}
