/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pmemu - persistent memory emulation on reserved RAM.
 *
 * Object model:
 *   platform device (one per ranges= entry, or the legacy e820_pmem device)
 *     -> struct pmemu_region   (one physical range, requested from iomem)
 *          -> struct pmemu_dev (a personality carved from the region: the
 *                               fsdax block device in this version)
 */
#ifndef _PMEMU_H
#define _PMEMU_H

#include <linux/device.h>
#include <linux/list.h>
#include <linux/memremap.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#define PMEMU_NAME		"pmemu"
/* memremap_pages() works in subsections; everything is aligned to them. */
#define PMEMU_MIN_ALIGN		SZ_2M
#define PMEMU_MAX_RANGES	16

struct gendisk;
struct dax_device;
struct pmemu_dev;

/**
 * struct pmemu_region - a physical range owned by pmemu
 * @node: entry in the global region list (under pmemu_regions_lock)
 * @parent: platform device the region was probed from
 * @start: physical start address
 * @size: length in bytes
 * @id: region number (regionN in names and sysfs)
 * @source: where the range came from ("ranges", "e820_pmem")
 * @res: the iomem claim on the range
 * @name: iomem resource name, "pmemu.regionN"
 * @dev: the device carved from the region, or NULL
 */
struct pmemu_region {
	struct list_head node;
	struct device *parent;
	phys_addr_t start;
	u64 size;
	int id;
	const char *source;
	struct resource *res;
	char name[32];
	struct pmemu_dev *dev;
};

/**
 * enum pmemu_dev_state - where a device is in its life
 * @PMEMU_LIVE: serving I/O and faults
 * @PMEMU_DEAD: torn down (no dax host, gendisk deleted); the gendisk is
 *	still referenced, e.g. by a filesystem that is not unmounted yet
 * @PMEMU_DRAINING: the gendisk is gone; waiting for the last page
 *	reference (mapping or pin) before the struct pages are freed
 */
enum pmemu_dev_state {
	PMEMU_LIVE,
	PMEMU_DEAD,
	PMEMU_DRAINING,
};

/**
 * struct pmemu_dev - an fsdax block device on (part of) a region
 * @region: region the device is carved from
 * @id: device number (pmemuN)
 * @phys: physical start of the device
 * @size: length in bytes
 * @virt: kernel virtual address of @phys (direct map of the pages)
 * @pgmap: ZONE_DEVICE page map of the range (MEMORY_DEVICE_FS_DAX)
 * @disk: the block device
 * @dax_dev: the DAX device filesystems map through
 * @state: see enum pmemu_dev_state
 * @drain_node: entry in the list of draining devices (pagemap.c)
 * @drain_work: polls the pages until all are idle, then frees them
 * @drain_start: jiffies when draining began
 * @drain_delay: current poll interval of @drain_work
 * @drain_report: jiffies of the next progress message
 * @drain_abandoned: module unload took the device over (pagemap.c)
 */
struct pmemu_dev {
	struct pmemu_region *region;
	int id;
	phys_addr_t phys;
	u64 size;
	void *virt;
	struct dev_pagemap pgmap;
	struct gendisk *disk;
	struct dax_device *dax_dev;
	enum pmemu_dev_state state;
	struct list_head drain_node;
	struct delayed_work drain_work;
	unsigned long drain_start;
	unsigned long drain_delay;
	unsigned long drain_report;
	bool drain_abandoned;
};

/* region.c: platform driver, range validation, region list */
int pmemu_check_range(const char *who, u64 start, u64 size);
int pmemu_region_driver_register(void);
void pmemu_region_driver_unregister(void);
void pmemu_region_dev_released(struct pmemu_region *region);

/* fsdax.c: block device + dax_device personality */
struct pmemu_dev *pmemu_fsdax_create(struct pmemu_region *region,
				     u64 offset, u64 size);
void pmemu_fsdax_destroy(struct pmemu_dev *pd);
void pmemu_fsdax_free(struct pmemu_dev *pd);

/* pagemap.c: struct pages of a device and their lifetime */
int pmemu_lifetime_init(void);
void pmemu_lifetime_exit(void);
void *pmemu_pages_map(struct pmemu_dev *pd, enum memory_type type,
		      const struct dev_pagemap_ops *ops);
void pmemu_pages_drain(struct pmemu_dev *pd);

#endif /* _PMEMU_H */
