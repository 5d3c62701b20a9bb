// SPDX-License-Identifier: GPL-2.0
/* pmemu in sysfs: the class /sys/class/pmemu and the device attributes */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/badblocks.h>
#include <linux/blkdev.h>
#include <linux/capability.h>
#include <linux/dax.h>
#include <linux/device.h>
#include <linux/kstrtox.h>
#include <linux/sysfs.h>

#include "pmemu.h"

/* The device a sysfs attribute belongs to: a gendisk or a devdax chardev. */
static struct pmemu_dev *to_pmemu_dev(struct device *dev)
{
	if (dev->class == &pmemu_class)
		return container_of(dev, struct pmemu_dev, dax.dev);
	return dev_to_disk(dev)->private_data;
}

#define PMEMU_DEV_ATTR(_name, _fmt, _expr)				\
static ssize_t _name##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	struct pmemu_dev *pd = to_pmemu_dev(dev);			\
									\
	return sysfs_emit(buf, _fmt "\n", _expr);			\
}									\
static DEVICE_ATTR_RO(_name)

PMEMU_DEV_ATTR(name, "%s", pd->cfg.name);
PMEMU_DEV_ATTR(uuid, "%pUb", &pd->uuid);
PMEMU_DEV_ATTR(region, "%d", pd->cfg.region);
PMEMU_DEV_ATTR(offset, "%llu", pd->cfg.offset);
PMEMU_DEV_ATTR(size, "%llu", pd->cfg.size);
PMEMU_DEV_ATTR(data_offset, "%llu", pd->data_offset);
PMEMU_DEV_ATTR(mode, "%s", pmemu_mode_name(pd->cfg.mode));
PMEMU_DEV_ATTR(map, "%s", pmemu_map_name(pd->cfg.map));
PMEMU_DEV_ATTR(align, "%llu", pd->cfg.align);
PMEMU_DEV_ATTR(lifetime, "%s", pmemu_lifetime_name(pd->cfg.lifetime));

static ssize_t phys_start_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct pmemu_dev *pd = to_pmemu_dev(dev);

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return sysfs_emit(buf, "%#llx\n", (u64)pd->phys);
}
static DEVICE_ATTR_ADMIN_RO(phys_start);

/* devdax only: fsdax has the gendisk's /sys/block/pmemuN/badblocks */
static ssize_t pmemu_badblocks_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	return badblocks_show(&to_pmemu_dev(dev)->bb, buf, 0);
}

static struct device_attribute dev_attr_badblocks =
	__ATTR(badblocks, 0444, pmemu_badblocks_show, NULL);

/* "OFFSET LENGTH": bytes of the data area, decimal or 0x-prefixed hex */
static int pmemu_parse_range(struct pmemu_dev *pd, const char *buf,
			     u64 *off, u64 *len)
{
	char first[24], second[24], extra;

	if (sscanf(buf, "%23s %23s %c", first, second, &extra) != 2 ||
	    kstrtou64(first, 0, off) || kstrtou64(second, 0, len)) {
		pr_err("%s: media error range: expected \"OFFSET LENGTH\" in bytes\n",
		       pd->devname);
		return -EINVAL;
	}
	return 0;
}

static ssize_t pmemu_media_store(struct device *dev, const char *buf,
				 size_t count, bool clear)
{
	struct pmemu_dev *pd = to_pmemu_dev(dev);
	u64 off, len;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = pmemu_parse_range(pd, buf, &off, &len);
	if (!ret)
		ret = pmemu_media_inject(pd, off, len, clear);
	return ret ? ret : count;
}

static ssize_t inject_error_store(struct device *dev,
				  struct device_attribute *attr,
				  const char *buf, size_t count)
{
	return pmemu_media_store(dev, buf, count, false);
}
static DEVICE_ATTR_WO(inject_error);

static ssize_t clear_error_store(struct device *dev,
				 struct device_attribute *attr,
				 const char *buf, size_t count)
{
	return pmemu_media_store(dev, buf, count, true);
}
static DEVICE_ATTR_WO(clear_error);

/* software poison: as on pmem, or recorded as a media error (media.c) */
static const char * const pmemu_sw_poison_names[] = { "transient", "media" };

static ssize_t sw_poison_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	bool media = READ_ONCE(to_pmemu_dev(dev)->sw_poison_media);

	return sysfs_emit(buf, "%s\n", pmemu_sw_poison_names[media]);
}

static ssize_t sw_poison_store(struct device *dev,
			       struct device_attribute *attr,
			       const char *buf, size_t count)
{
	struct pmemu_dev *pd = to_pmemu_dev(dev);
	int i = sysfs_match_string(pmemu_sw_poison_names, buf);

	if (i < 0) {
		pr_err("%s: sw_poison: expected \"transient\" or \"media\"\n",
		       pd->devname);
		return -EINVAL;
	}
	WRITE_ONCE(pd->sw_poison_media, i == 1);
	return count;
}
static DEVICE_ATTR_RW(sw_poison);

static struct attribute *pmemu_dev_attrs[] = {
	&dev_attr_name.attr,
	&dev_attr_uuid.attr,
	&dev_attr_region.attr,
	&dev_attr_offset.attr,
	&dev_attr_size.attr,
	&dev_attr_data_offset.attr,
	&dev_attr_mode.attr,
	&dev_attr_map.attr,
	&dev_attr_phys_start.attr,
	&dev_attr_align.attr,
	&dev_attr_lifetime.attr,
	&dev_attr_badblocks.attr,
	&dev_attr_inject_error.attr,
	&dev_attr_clear_error.attr,
	&dev_attr_sw_poison.attr,
	NULL,
};

static umode_t pmemu_dev_attr_visible(struct kobject *kobj,
				      struct attribute *a, int n)
{
	struct pmemu_dev *pd = to_pmemu_dev(kobj_to_dev(kobj));

	if (pd->cfg.mode != PMEMU_MODE_DEVDAX &&
	    (a == &dev_attr_align.attr || a == &dev_attr_lifetime.attr ||
	     a == &dev_attr_badblocks.attr))
		return 0;
	return a->mode;
}

/* as pmem's; eADR platforms, whose CPU caches persist, may turn it off */
static ssize_t write_cache_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  dax_write_cache_enabled(to_pmemu_dev(dev)->dax_dev));
}

static ssize_t write_cache_store(struct device *dev,
				 struct device_attribute *attr,
				 const char *buf, size_t len)
{
	bool on;
	int ret;

	ret = kstrtobool(buf, &on);
	if (ret)
		return ret;
	dax_write_cache(to_pmemu_dev(dev)->dax_dev, on);
	return len;
}
static DEVICE_ATTR_RW(write_cache);

static struct attribute *pmemu_fsdax_dax_attrs[] = {
	&dev_attr_write_cache.attr,
	NULL,
};

/* /sys/block/pmemuN/dax/ */
const struct attribute_group pmemu_fsdax_dax_group = {
	.name = "dax",
	.attrs = pmemu_fsdax_dax_attrs,
};

/* /sys/block/pmemuN/pmemu/ */
const struct attribute_group pmemu_fsdax_attr_group = {
	.name = PMEMU_NAME,
	.attrs = pmemu_dev_attrs,
	.is_visible = pmemu_dev_attr_visible,
};

/* /sys/class/pmemu/pmemuN.dax/ */
const struct attribute_group pmemu_devdax_attr_group = {
	.attrs = pmemu_dev_attrs,
	.is_visible = pmemu_dev_attr_visible,
};

/* /sys/class/pmemu: regions and devdax character devices */
const struct class pmemu_class = {
	.name = PMEMU_NAME,
};

/**
 * pmemu_class_register() - register /sys/class/pmemu
 *
 * Return: 0 or a negative errno.
 */
int pmemu_class_register(void)
{
	return class_register(&pmemu_class);
}

/**
 * pmemu_class_unregister() - unregister /sys/class/pmemu
 *
 * Called last at unload, after every drain has finished.
 */
void pmemu_class_unregister(void)
{
	class_unregister(&pmemu_class);
}
