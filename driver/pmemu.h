/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pmemu - persistent memory emulation on reserved RAM.
 *
 * Object model:
 *   platform device (one per ranges= entry, or the legacy e820_pmem device)
 *     -> struct pmemu_region   (one physical range, requested from iomem,
 *                               /sys/class/pmemu/regionN)
 *          -> struct pmemu_dev (an extent carved from the region: the
 *                               fsdax block device /dev/pmemuN), created by
 *                               the module at load (autocreate) or through
 *                               configfs (/sys/kernel/config/pmemu/NAME)
 */
#ifndef _PMEMU_H
#define _PMEMU_H

#include <linux/device.h>
#include <linux/list.h>
#include <linux/memremap.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#define PMEMU_NAME		"pmemu"
/* memremap_pages() works in subsections; everything is aligned to them. */
#define PMEMU_MIN_ALIGN		SZ_2M
#define PMEMU_MAX_RANGES	16
/* configfs item names are at most this long (including the NUL) */
#define PMEMU_NAME_LEN		32
/* pmemu_dev_config.offset: let the region pick the first extent that fits */
#define PMEMU_OFFSET_AUTO	U64_MAX

struct gendisk;
struct dax_device;
struct pmemu_dev;

/**
 * struct pmemu_region - a physical range owned by pmemu
 * @dev: the region's device, /sys/class/pmemu/regionN; its last reference
 *	releases the iomem claim and frees the region
 * @node: entry in the global region list
 * @devs: devices carved from the region, ordered by offset
 * @parent: platform device the region was probed from
 * @start: physical start address
 * @size: length in bytes
 * @id: region number (regionN)
 * @source: where the range came from ("ranges", "e820_pmem")
 * @res: the iomem claim on the range
 * @name: iomem resource name, "pmemu.regionN"
 * @dying: being torn down; no new device may be carved from it
 *
 * @node, @devs and @dying are protected by pmemu_lock.
 */
struct pmemu_region {
	struct device dev;
	struct list_head node;
	struct list_head devs;
	struct device *parent;
	phys_addr_t start;
	u64 size;
	int id;
	const char *source;
	struct resource *res;
	char name[32];
	bool dying;
};

/**
 * enum pmemu_map - where a device's struct pages live
 * @PMEMU_MAP_MEM: in RAM (vmemmap allocated from System RAM)
 * @PMEMU_MAP_DEV: at the start of the device's own extent (vmem_altmap)
 */
enum pmemu_map {
	PMEMU_MAP_MEM,
	PMEMU_MAP_DEV,
};

/**
 * enum pmemu_mode - personality of a device
 * @PMEMU_MODE_FSDAX: block device with a dax_device (/dev/pmemuN)
 */
enum pmemu_mode {
	PMEMU_MODE_FSDAX,
};

/**
 * struct pmemu_dev_config - what a device is asked to be
 * @name: configfs name, "" for devices the module creates itself
 * @region: region id
 * @offset: byte offset in the region, or PMEMU_OFFSET_AUTO
 * @size: bytes; 0 means the largest free extent (at @offset if given)
 * @mode: personality
 * @map: where the struct pages live
 */
struct pmemu_dev_config {
	char name[PMEMU_NAME_LEN];
	int region;
	u64 offset;
	u64 size;
	enum pmemu_mode mode;
	enum pmemu_map map;
};

/**
 * enum pmemu_dev_state - where a device is in its life
 * @PMEMU_NEW: extent reserved, being created
 * @PMEMU_LIVE: serving I/O and faults
 * @PMEMU_DEAD: torn down (no dax host, gendisk deleted); the gendisk is
 *	still referenced, e.g. by a filesystem that is not unmounted yet
 * @PMEMU_DRAINING: the gendisk is gone; waiting for the last page
 *	reference (mapping or pin) before the struct pages are freed
 */
enum pmemu_dev_state {
	PMEMU_NEW,
	PMEMU_LIVE,
	PMEMU_DEAD,
	PMEMU_DRAINING,
};

/**
 * struct pmemu_dev - an fsdax block device on an extent of a region
 * @cfg: configuration it was created with (offset and size resolved)
 * @region: region the device is carved from (holds a reference)
 * @region_node: entry in @region->devs (under pmemu_lock)
 * @owner_slot: the configfs item's pointer to this device, cleared under
 *	pmemu_lock when the device is torn down from elsewhere; or NULL
 * @id: device number (pmemuN)
 * @phys: physical start of the extent
 * @data_offset: bytes at the start holding the memmap (map=dev), else 0
 * @virt: kernel virtual address of @phys (direct map of the pages)
 * @pgmap: ZONE_DEVICE page map of the extent (MEMORY_DEVICE_FS_DAX)
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
	struct pmemu_dev_config cfg;
	struct pmemu_region *region;
	struct list_head region_node;
	struct pmemu_dev **owner_slot;
	int id;
	phys_addr_t phys;
	u64 data_offset;
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

/* Protects the region list, each region's device list and owner slots. */
extern struct mutex pmemu_lock;

/* region.c: platform driver, range validation, regions and their extents */
int pmemu_check_range(const char *who, u64 start, u64 size);
int pmemu_region_class_register(void);
void pmemu_region_class_unregister(void);
int pmemu_region_driver_register(void);
void pmemu_region_driver_unregister(void);
struct pmemu_dev *pmemu_dev_create(const struct pmemu_dev_config *cfg,
				   struct pmemu_dev **owner_slot);
int pmemu_dev_disable(struct pmemu_dev **owner_slot, bool force);
void pmemu_dev_released(struct pmemu_dev *pd);
bool pmemu_dev_claim_teardown(struct pmemu_dev *pd);
const char *pmemu_mode_name(enum pmemu_mode mode);
const char *pmemu_map_name(enum pmemu_map map);
int pmemu_mode_parse(const char *buf);
int pmemu_map_parse(const char *buf);

/* fsdax.c: block device + dax_device personality */
int pmemu_fsdax_init(struct pmemu_dev *pd);
int pmemu_fsdax_kill_unused(struct pmemu_dev *pd);
void pmemu_fsdax_teardown(struct pmemu_dev *pd);

/* pagemap.c: struct pages of a device and their lifetime */
int pmemu_lifetime_init(void);
void pmemu_lifetime_exit(void);
void *pmemu_pages_map(struct pmemu_dev *pd, enum memory_type type,
		      const struct dev_pagemap_ops *ops);
void pmemu_pages_drain(struct pmemu_dev *pd);
void pmemu_pages_drain_flush(void);

/* configfs.c: runtime device creation */
int pmemu_configfs_init(void);
void pmemu_configfs_exit(void);

#endif /* _PMEMU_H */
