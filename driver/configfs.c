// SPDX-License-Identifier: GPL-2.0
/*
 * pmemu control plane: /sys/kernel/config/pmemu/NAME devices, as null_blk
 * and nvmet do (docs/ABI/configfs-pmemu).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/configfs.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/blkdev.h>

#include "pmemu.h"

/**
 * struct pmemu_cfs_dev - one configfs directory
 * @item: the configfs item
 * @lock: serialises attribute writes and enable/disable
 * @cfg: the configuration the next enable uses
 * @owner: the device while enabled, and while it drains after being
 *	disabled (pmemu_lock)
 */
struct pmemu_cfs_dev {
	struct config_item item;
	struct mutex lock;	/* see above */
	struct pmemu_dev_config cfg;
	struct pmemu_owner owner;
};

static struct pmemu_cfs_dev *to_cfs_dev(struct config_item *item)
{
	return container_of(item, struct pmemu_cfs_dev, item);
}

/*
 * A device of this item's name that its region's labels brought back,
 * without an item, is the item's from the item's first use (not from
 * mkdir: a mkdir that fails drops the item, which would destroy it).
 */
static void pmemu_cfs_adopt(struct pmemu_cfs_dev *d)
{
	lockdep_assert_held(&d->lock);
	pmemu_dev_adopt(d->cfg.name, &d->owner, &d->cfg);
}

/* The item, with the device of its name if it has just come back. */
static struct pmemu_cfs_dev *to_cfs_dev_adopted(struct config_item *item)
{
	struct pmemu_cfs_dev *d = to_cfs_dev(item);

	mutex_lock(&d->lock);
	pmemu_cfs_adopt(d);
	mutex_unlock(&d->lock);
	return d;
}

static bool pmemu_cfs_enabled(struct pmemu_cfs_dev *d)
{
	bool enabled;

	mutex_lock(&pmemu_lock);
	enabled = d->owner.live;
	mutex_unlock(&pmemu_lock);
	return enabled;
}

/* Returns 0 with d->lock held, or -EBUSY (enabled) without it. */
static int pmemu_cfs_begin_write(struct pmemu_cfs_dev *d, const char *attr)
{
	mutex_lock(&d->lock);
	pmemu_cfs_adopt(d);
	if (pmemu_cfs_enabled(d)) {
		mutex_unlock(&d->lock);
		pr_err("%s: %s cannot change while the device is enabled\n",
		       config_item_name(&d->item), attr);
		return -EBUSY;
	}
	return 0;
}

/* Parse a byte count: decimal/0x, optional K/M/G/T suffix, nothing else. */
static int pmemu_parse_bytes(const char *page, u64 *val)
{
	char *end;

	*val = memparse(page, &end);
	if (end == page || (*end && !(*end == '\n' && !end[1])))
		return -EINVAL;
	return 0;
}

static int pmemu_cfs_invalid(struct pmemu_cfs_dev *d, const char *attr,
			     const char *page, const char *want)
{
	pr_err("%s: invalid %s \"%.*s\": expected %s\n",
	       config_item_name(&d->item), attr,
	       (int)min_t(size_t, strcspn(page, "\n"), 40), page, want);
	return -EINVAL;
}

static ssize_t pmemu_cfs_region_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%d\n", to_cfs_dev_adopted(item)->cfg.region);
}

static ssize_t pmemu_cfs_region_store(struct config_item *item,
				      const char *page, size_t count)
{
	struct pmemu_cfs_dev *d = to_cfs_dev(item);
	int ret, id;

	ret = pmemu_cfs_begin_write(d, "region");
	if (ret)
		return ret;
	if (kstrtoint(page, 0, &id) || id < 0)
		ret = pmemu_cfs_invalid(d, "region", page, "a region id >= 0");
	else
		d->cfg.region = id;
	mutex_unlock(&d->lock);
	return ret ?: count;
}

static ssize_t pmemu_cfs_offset_show(struct config_item *item, char *page)
{
	struct pmemu_cfs_dev *d = to_cfs_dev_adopted(item);

	if (d->cfg.offset == PMEMU_OFFSET_AUTO)
		return sysfs_emit(page, "auto\n");
	return sysfs_emit(page, "%llu\n", d->cfg.offset);
}

static ssize_t pmemu_cfs_offset_store(struct config_item *item,
				      const char *page, size_t count)
{
	struct pmemu_cfs_dev *d = to_cfs_dev(item);
	u64 off;
	int ret;

	ret = pmemu_cfs_begin_write(d, "offset");
	if (ret)
		return ret;
	if (sysfs_streq(page, "auto"))
		d->cfg.offset = PMEMU_OFFSET_AUTO;
	else if (pmemu_parse_bytes(page, &off) || off == PMEMU_OFFSET_AUTO ||
		 !IS_ALIGNED(off, PMEMU_MIN_ALIGN))
		ret = pmemu_cfs_invalid(d, "offset", page,
					"\"auto\" or bytes, a multiple of 2 MiB");
	else
		d->cfg.offset = off;
	mutex_unlock(&d->lock);
	return ret ?: count;
}

static ssize_t pmemu_cfs_size_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%llu\n", to_cfs_dev_adopted(item)->cfg.size);
}

static ssize_t pmemu_cfs_size_store(struct config_item *item,
				    const char *page, size_t count)
{
	struct pmemu_cfs_dev *d = to_cfs_dev(item);
	u64 size;
	int ret;

	ret = pmemu_cfs_begin_write(d, "size");
	if (ret)
		return ret;
	if (pmemu_parse_bytes(page, &size) || !IS_ALIGNED(size, PMEMU_MIN_ALIGN))
		ret = pmemu_cfs_invalid(d, "size", page,
					"bytes, a multiple of 2 MiB (0: the largest free extent)");
	else
		d->cfg.size = size;
	mutex_unlock(&d->lock);
	return ret ?: count;
}

/* Returns the parsed value with d->lock held, or an errno without it. */
static int pmemu_cfs_begin_choice(struct pmemu_cfs_dev *d, const char *attr,
				  const char *page,
				  int (*parse)(const char *buf),
				  const char *want)
{
	int ret;

	ret = pmemu_cfs_begin_write(d, attr);
	if (ret)
		return ret;
	ret = parse(page);
	if (ret < 0) {
		mutex_unlock(&d->lock);
		return pmemu_cfs_invalid(d, attr, page, want);
	}
	return ret;
}

static ssize_t pmemu_cfs_mode_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%s\n",
			  pmemu_mode_name(to_cfs_dev_adopted(item)->cfg.mode));
}

static ssize_t pmemu_cfs_mode_store(struct config_item *item,
				    const char *page, size_t count)
{
	struct pmemu_cfs_dev *d = to_cfs_dev(item);
	int val = pmemu_cfs_begin_choice(d, "mode", page, pmemu_mode_parse,
					 "\"fsdax\" or \"devdax\"");

	if (val < 0)
		return val;
	d->cfg.mode = val;
	mutex_unlock(&d->lock);
	return count;
}

static ssize_t pmemu_cfs_map_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%s\n",
			  pmemu_map_name(to_cfs_dev_adopted(item)->cfg.map));
}

static ssize_t pmemu_cfs_map_store(struct config_item *item,
				   const char *page, size_t count)
{
	struct pmemu_cfs_dev *d = to_cfs_dev(item);
	int val = pmemu_cfs_begin_choice(d, "map", page, pmemu_map_parse,
					 "\"mem\" or \"dev\"");

	if (val < 0)
		return val;
	d->cfg.map = val;
	mutex_unlock(&d->lock);
	return count;
}

static ssize_t pmemu_cfs_lifetime_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%s\n",
			  pmemu_lifetime_name(to_cfs_dev_adopted(item)->cfg.lifetime));
}

static ssize_t pmemu_cfs_lifetime_store(struct config_item *item,
					const char *page, size_t count)
{
	struct pmemu_cfs_dev *d = to_cfs_dev(item);
	int val = pmemu_cfs_begin_choice(d, "lifetime", page,
					 pmemu_lifetime_parse,
					 "\"sweep\" or \"tracked\"");

	if (val < 0)
		return val;
	d->cfg.lifetime = val;
	mutex_unlock(&d->lock);
	return count;
}

static ssize_t pmemu_cfs_align_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%llu\n", to_cfs_dev_adopted(item)->cfg.align);
}

static ssize_t pmemu_cfs_align_store(struct config_item *item,
				     const char *page, size_t count)
{
	struct pmemu_cfs_dev *d = to_cfs_dev(item);
	u64 align;
	int ret;

	ret = pmemu_cfs_begin_write(d, "align");
	if (ret)
		return ret;
	if (pmemu_parse_bytes(page, &align) ||
	    (align && align != PAGE_SIZE && align != PMD_SIZE &&
	     align != PUD_SIZE))
		ret = pmemu_cfs_invalid(d, "align", page,
					"0 (default), 4K, 2M or 1G");
	else
		d->cfg.align = align;
	mutex_unlock(&d->lock);
	return ret ?: count;
}

static ssize_t pmemu_cfs_enable_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%d\n", pmemu_cfs_enabled(to_cfs_dev_adopted(item)));
}

static int pmemu_cfs_enable(struct pmemu_cfs_dev *d)
{
	struct pmemu_dev *pd;

	if (pmemu_cfs_enabled(d))
		return 0;
	if (d->cfg.region < 0) {
		pr_err("%s: set region before enabling\n", d->cfg.name);
		return -EINVAL;
	}
	pd = pmemu_dev_create(&d->cfg, &d->owner);
	return PTR_ERR_OR_ZERO(pd);
}

static ssize_t pmemu_cfs_enable_store(struct config_item *item,
				      const char *page, size_t count)
{
	struct pmemu_cfs_dev *d = to_cfs_dev(item);
	bool enable;
	int ret;

	if (kstrtobool(page, &enable))
		return pmemu_cfs_invalid(d, "enable", page, "0 or 1");
	mutex_lock(&d->lock);
	pmemu_cfs_adopt(d);
	ret = enable ? pmemu_cfs_enable(d) : pmemu_dev_disable(&d->owner, false);
	mutex_unlock(&d->lock);
	return ret ?: count;
}

static ssize_t pmemu_cfs_dev_show(struct config_item *item, char *page)
{
	struct pmemu_cfs_dev *d = to_cfs_dev_adopted(item);
	ssize_t len;

	mutex_lock(&pmemu_lock);
	len = sysfs_emit(page, "%s\n",
			 d->owner.live ? d->owner.live->devname : "");
	mutex_unlock(&pmemu_lock);
	return len;
}

static ssize_t pmemu_cfs_state_show(struct config_item *item, char *page)
{
	struct pmemu_cfs_dev *d = to_cfs_dev_adopted(item);
	const char *state = "disabled";

	mutex_lock(&pmemu_lock);
	if (d->owner.live)
		state = "live";
	else if (d->owner.gone)
		state = "draining";
	mutex_unlock(&pmemu_lock);
	return sysfs_emit(page, "%s\n", state);
}

CONFIGFS_ATTR(pmemu_cfs_, region);
CONFIGFS_ATTR(pmemu_cfs_, offset);
CONFIGFS_ATTR(pmemu_cfs_, size);
CONFIGFS_ATTR(pmemu_cfs_, mode);
CONFIGFS_ATTR(pmemu_cfs_, map);
CONFIGFS_ATTR(pmemu_cfs_, align);
CONFIGFS_ATTR(pmemu_cfs_, lifetime);
CONFIGFS_ATTR(pmemu_cfs_, enable);
CONFIGFS_ATTR_RO(pmemu_cfs_, dev);
CONFIGFS_ATTR_RO(pmemu_cfs_, state);

static struct configfs_attribute *pmemu_cfs_attrs[] = {
	&pmemu_cfs_attr_region,
	&pmemu_cfs_attr_offset,
	&pmemu_cfs_attr_size,
	&pmemu_cfs_attr_mode,
	&pmemu_cfs_attr_map,
	&pmemu_cfs_attr_align,
	&pmemu_cfs_attr_lifetime,
	&pmemu_cfs_attr_enable,
	&pmemu_cfs_attr_dev,
	&pmemu_cfs_attr_state,
	NULL,
};

static void pmemu_cfs_release(struct config_item *item)
{
	struct pmemu_cfs_dev *d = to_cfs_dev(item);

	pmemu_owner_release(&d->owner);
	kfree(d);
}

static const struct configfs_item_operations pmemu_cfs_item_ops = {
	.release = pmemu_cfs_release,
};

static const struct config_item_type pmemu_cfs_dev_type = {
	.ct_item_ops = &pmemu_cfs_item_ops,
	.ct_attrs = pmemu_cfs_attrs,
	.ct_owner = THIS_MODULE,
};

static struct config_item *pmemu_cfs_make_item(struct config_group *group,
					       const char *name)
{
	struct pmemu_cfs_dev *d;

	if (strlen(name) >= PMEMU_NAME_LEN) {
		pr_err("device name \"%.40s...\" is longer than %d characters\n",
		       name, PMEMU_NAME_LEN - 1);
		return ERR_PTR(-ENAMETOOLONG);
	}
	d = kzalloc_obj(*d);
	if (!d)
		return ERR_PTR(-ENOMEM);
	mutex_init(&d->lock);
	strscpy(d->cfg.name, name);
	d->cfg.region = -1;
	d->cfg.offset = PMEMU_OFFSET_AUTO;
	d->cfg.mode = PMEMU_MODE_FSDAX;
	d->cfg.map = PMEMU_MAP_MEM;
	config_item_init_type_name(&d->item, name, &pmemu_cfs_dev_type);
	return &d->item;
}

/* configfs cannot refuse an rmdir: tear the device down even if open */
static void pmemu_cfs_drop_item(struct config_group *group,
				struct config_item *item)
{
	struct pmemu_cfs_dev *d = to_cfs_dev(item);

	mutex_lock(&d->lock);
	pmemu_dev_disable(&d->owner, true);
	mutex_unlock(&d->lock);
	config_item_put(item);
}

static const struct configfs_group_operations pmemu_cfs_group_ops = {
	.make_item = pmemu_cfs_make_item,
	.drop_item = pmemu_cfs_drop_item,
};

static const struct config_item_type pmemu_cfs_subsys_type = {
	.ct_group_ops = &pmemu_cfs_group_ops,
	.ct_owner = THIS_MODULE,
};

static struct configfs_subsystem pmemu_cfs_subsys = {
	.su_group = {
		.cg_item = {
			.ci_namebuf = PMEMU_NAME,
			.ci_type = &pmemu_cfs_subsys_type,
		},
	},
};

/**
 * pmemu_configfs_init() - register /sys/kernel/config/pmemu
 *
 * Return: 0 or a negative errno from configfs_register_subsystem().
 */
int pmemu_configfs_init(void)
{
	config_group_init(&pmemu_cfs_subsys.su_group);
	mutex_init(&pmemu_cfs_subsys.su_mutex);
	return configfs_register_subsystem(&pmemu_cfs_subsys);
}

/**
 * pmemu_configfs_exit() - unregister /sys/kernel/config/pmemu
 *
 * Items pin the module, so none exists when this runs.
 */
void pmemu_configfs_exit(void)
{
	configfs_unregister_subsystem(&pmemu_cfs_subsys);
}
