// SPDX-License-Identifier: GPL-2.0
/* pmemu /sys/class/pmemu/add_region and remove_region */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/device.h>
#include <linux/kstrtox.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/string.h>

#include "pmemu.h"

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

/**
 * pmemu_ctl_init() - add the control files to /sys/class/pmemu
 *
 * Return: 0 or a negative errno.
 */
int pmemu_ctl_init(void)
{
	int ret = class_create_file(&pmemu_class, &class_attr_add_region);

	if (ret)
		return ret;
	ret = class_create_file(&pmemu_class, &class_attr_remove_region);
	if (ret)
		class_remove_file(&pmemu_class, &class_attr_add_region);
	return ret;
}

/**
 * pmemu_ctl_exit() - remove the control files
 */
void pmemu_ctl_exit(void)
{
	class_remove_file(&pmemu_class, &class_attr_remove_region);
	class_remove_file(&pmemu_class, &class_attr_add_region);
}
