/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pmemu - persistent memory emulation on reserved RAM.
 *
 * Object model:
 *   platform device (one per ranges= entry, or the legacy e820_pmem device)
 *     -> struct pmemu_region   (one physical range, requested from iomem,
 *                               /sys/class/pmemu/regionN)
 *          -> struct pmemu_dev (an extent carved from the region: the
 *                               fsdax block device /dev/pmemuN or the devdax
 *                               character device /dev/pmemuN.dax), created
 *                               by the module at load (autocreate) or
 *                               through configfs (/sys/kernel/config/pmemu)
 */
#ifndef _PMEMU_H
#define _PMEMU_H

#include <linux/badblocks.h>
#include <linux/cdev.h>
#include <linux/completion.h>
#include <linux/device.h>
#include <linux/list.h>
#include <linux/memremap.h>
#include <linux/mutex.h>
#include <linux/pfn.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>

#define PMEMU_NAME		"pmemu"
/* memremap_pages() works in subsections; everything is aligned to them. */
#define PMEMU_MIN_ALIGN		SZ_2M
#define PMEMU_MAX_RANGES	16
/* configfs item names are at most this long (including the NUL) */
#define PMEMU_NAME_LEN		32
/* pmemu_dev_config.offset: let the region pick the first extent that fits */
#define PMEMU_OFFSET_AUTO	U64_MAX
/* devdax: first touches of tracked folios are serialised by hashed mutexes */
#define PMEMU_TOUCH_LOCKS	64

struct dentry;
struct gendisk;
struct dax_device;
struct pmemu_dev;

/**
 * enum pmemu_source - where a region's physical range comes from
 * @PMEMU_SRC_RANGES: reserved RAM named by ranges= or add_region
 *	(memmap=SIZE$START: iomem says "Reserved")
 * @PMEMU_SRC_E820: a legacy memmap=SIZE!START range (the e820_pmem device)
 * @PMEMU_SRC_NFIT: an NVDIMM the ACPI NFIT describes and no nfit driver
 *	has registered (nothing in iomem)
 * @PMEMU_SRC_NDCTL: an NVDIMM range libnvdimm handed over (its region
 *	disabled by "pmemuctl claim-region": iomem says "Persistent Memory")
 * @PMEMU_SRC_NR: number of sources
 */
enum pmemu_source {
	PMEMU_SRC_RANGES,
	PMEMU_SRC_E820,
	PMEMU_SRC_NFIT,
	PMEMU_SRC_NDCTL,
	PMEMU_SRC_NR,
};

/**
 * struct pmemu_pdata - platform data of a "pmemu" platform device
 * @source: where its MEM resources come from
 * @probed: the probe ran (pmemu_range_add() reads its verdict)
 * @probe_err: what the last probe returned
 */
struct pmemu_pdata {
	enum pmemu_source source;
	bool probed;
	int probe_err;
};

/**
 * struct pmemu_region - a physical range owned by pmemu
 * @dev: the region's device, /sys/class/pmemu/regionN; its last reference
 *	releases the iomem claim and frees the region
 * @node: entry in the global region list
 * @devs: devices carved from the region, ordered by offset
 * @parent: platform device the region was probed from (referenced)
 * @start: physical start address
 * @size: length in bytes
 * @id: region number (regionN)
 * @source: where the range came from
 * @persistent: backed by an NVDIMM (NFIT), whose contents outlive power
 *	cycles: fsdax devices advertise a write cache and flush it on
 *	REQ_PREFLUSH/FUA and dax_flush(), as pmem does
 * @res: the iomem claim on the range
 * @name: iomem resource name, "pmemu.regionN"
 * @dying: being torn down; no new device may be carved from it
 * @closed: remove_region is taking it away; no new device may be carved
 *	from it unless that fails
 * @nid: NUMA node of the range, where its struct pages and queue go
 *
 * @node, @devs, @dying and @closed are protected by pmemu_lock.
 */
struct pmemu_region {
	struct device dev;
	struct list_head node;
	struct list_head devs;
	struct device *parent;
	phys_addr_t start;
	u64 size;
	int id;
	enum pmemu_source source;
	bool persistent;
	struct resource *res;
	char name[32];
	bool dying;
	bool closed;
	int nid;
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
 * @PMEMU_MODE_DEVDAX: character device mapped with huge pages
 *	(/dev/pmemuN.dax), as drivers/dax/device.c
 */
enum pmemu_mode {
	PMEMU_MODE_FSDAX,
	PMEMU_MODE_DEVDAX,
};

/**
 * enum pmemu_lifetime - how a devdax device's folios live and die
 * @PMEMU_LIFETIME_SWEEP: MEMORY_DEVICE_GENERIC compound folios, idle at
 *	refcount 1 (device-dax semantics); teardown sweeps them
 * @PMEMU_LIFETIME_TRACKED: MEMORY_DEVICE_COHERENT folios, initialised on
 *	first touch and freed through folio_free(); the driver counts them
 */
enum pmemu_lifetime {
	PMEMU_LIFETIME_SWEEP,
	PMEMU_LIFETIME_TRACKED,
};

/**
 * enum pmemu_fault_size - page table level a devdax fault mapped
 * @PMEMU_FAULT_PTE: a 4 KiB page
 * @PMEMU_FAULT_PMD: a 2 MiB folio
 * @PMEMU_FAULT_PUD: a 1 GiB folio
 * @PMEMU_FAULT_NR: number of sizes
 */
enum pmemu_fault_size {
	PMEMU_FAULT_PTE,
	PMEMU_FAULT_PMD,
	PMEMU_FAULT_PUD,
	PMEMU_FAULT_NR,
};

/**
 * struct pmemu_dev_config - what a device is asked to be
 * @name: configfs name, "" for devices the module creates itself
 * @region: region id
 * @offset: byte offset in the region, or PMEMU_OFFSET_AUTO
 * @size: bytes; 0 means the largest free extent (at @offset if given)
 * @mode: personality
 * @map: where the struct pages live
 * @align: devdax page size and extent alignment (4K, 2M or 1G); 0 picks
 *	the default, 2M; fsdax takes only 0 or 4K
 * @lifetime: devdax folio lifetime strategy
 */
struct pmemu_dev_config {
	char name[PMEMU_NAME_LEN];
	int region;
	u64 offset;
	u64 size;
	enum pmemu_mode mode;
	enum pmemu_map map;
	u64 align;
	enum pmemu_lifetime lifetime;
};

/**
 * enum pmemu_dev_state - where a device is in its life
 * @PMEMU_NEW: extent reserved, being created
 * @PMEMU_LIVE: serving I/O and faults
 * @PMEMU_DEAD: claimed for teardown: no new opens; fenced (no new faults
 *	or I/O) by its teardown; its node is being removed, or is gone but
 *	still referenced (a filesystem not unmounted yet, an open file)
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
 * struct pmemu_devdax_stats - what a devdax device's faults and folios did
 * @faults: faults that mapped a page/folio, by page table level
 * @fallbacks: huge faults sent back to a smaller size (VM_FAULT_FALLBACK)
 * @sigbus: faults answered with SIGBUS (wrong size, outside the device,
 *	device dead, poisoned)
 * @folio_inits: tracked: folios initialised on first touch (the pgmap
 *	references taken)
 * @folio_frees: tracked: folios the core freed (the references dropped)
 * @memory_failures: pages memory_failure() reported to the device
 */
struct pmemu_devdax_stats {
	atomic_long_t faults[PMEMU_FAULT_NR];
	atomic_long_t fallbacks;
	atomic_long_t sigbus;
	atomic_long_t folio_inits;
	atomic_long_t folio_frees;
	atomic_long_t memory_failures;
};

/**
 * struct pmemu_devdax - state of the devdax personality
 * @dev: the character device's device, /sys/class/pmemu/pmemuN.dax; its
 *	last reference (the last opener gone) starts the drain
 * @cdev: the character device (embedded in the dax_device's inode)
 * @open_lock: orders opens against the "is it open" check of a disable
 * @openers: open files
 * @unwound: completed by the release of a @dev that never went live, which
 *	pmemu_devdax_init()'s error path waits for before @dev's memory goes
 * @order: folio order, log2(align / PAGE_SIZE)
 * @nr_folios: folios of the data area
 * @live: tracked: bitmap of initialised folios (under @live_lock)
 * @live_lock: IRQ-safe: folio_free() may run in any context
 * @nr_live: tracked: folios initialised and not yet freed (exact)
 * @touch_lock: tracked: serialise first touch of a folio (hashed)
 * @stats: counters shown in debugfs (stats.c)
 * @debugfs: the device's debugfs directory
 */
struct pmemu_devdax {
	struct device dev;
	struct cdev *cdev;
	struct mutex open_lock;	/* see above */
	unsigned int openers;
	struct completion unwound;
	unsigned int order;
	unsigned long nr_folios;
	unsigned long *live;
	spinlock_t live_lock;	/* see above */
	atomic_long_t nr_live;
	struct mutex touch_lock[PMEMU_TOUCH_LOCKS];	/* see above */
	struct pmemu_devdax_stats stats;
	struct dentry *debugfs;
};

struct pmemu_personality;

/**
 * struct pmemu_owner - a creator's (configfs item's) links to its device
 * @live: the device while it is PMEMU_LIVE; cleared by whoever claims its
 *	teardown
 * @gone: the device from its teardown until it has drained (its extent is
 *	still reserved); cleared when it is released or the owner goes away
 *
 * Both are protected by pmemu_lock.
 */
struct pmemu_owner {
	struct pmemu_dev *live;
	struct pmemu_dev *gone;
};

/**
 * struct pmemu_dev - a device on an extent of a region
 * @cfg: configuration it was created with (offset, size, align resolved)
 * @ops: the personality (fsdax or devdax)
 * @region: region the device is carved from (holds a reference)
 * @region_node: entry in @region->devs (under pmemu_lock)
 * @owner: the configfs item's links to this device (under pmemu_lock), or
 *	NULL (made by the module, or the item is gone)
 * @id: device number (pmemuN)
 * @devname: name of the node in /dev ("pmemu3", "pmemu4.dax")
 * @phys: physical start of the extent
 * @data_offset: bytes at the start holding the memmap (map=dev), else 0
 * @virt: kernel virtual address of the data area (direct map of the pages)
 * @bb: media errors of the data area, in 512-byte sectors (media.c); the
 *	gendisk's badblocks for fsdax
 * @media_lock: orders media errors being recorded (the table's size check)
 * @sw_poison_media: software poison (MADV_HWPOISON, hwpoison-inject) is
 *	recorded as a media error too; off by default, as on pmem (media.c)
 * @pgmap: ZONE_DEVICE page map of the extent (FS_DAX, GENERIC or COHERENT)
 * @disk: fsdax: the block device
 * @dax_dev: fsdax: the DAX device filesystems map through; devdax: the
 *	dax_device whose SRCU fences faults and whose S_DAX inode hosts the
 *	address_space every opener shares
 * @io_fenced: fsdax: new bios fail (set by teardown after kill_dax())
 * @dax: devdax state
 * @state: see enum pmemu_dev_state
 * @drain_node: entry in the list of draining devices (pagemap.c)
 * @drain_work: frees the pages once all are idle; woken by their last
 *	put where the core tells (FS_DAX, tracked), polls otherwise
 * @drain_start: jiffies when draining began
 * @drain_delay: current poll interval of @drain_work
 * @drain_report: jiffies of the next progress message
 * @drain_waited: the drain found pages in use and said so
 * @drain_listed: on the draining list (module unload waits for it)
 * @drain_busy: units (pages, or folios with compound page maps) found in
 *	use by the first scan and since, the only ones later scans look at;
 *	NULL before it, or if it could not be allocated (every scan is full)
 * @drain_scanned: @drain_busy holds the result of a full scan
 * @drain_wait: FS_DAX: waits on the first busy page for the core's
 *	wake_up_var() at its last put
 * @drain_on_free: tracked: the drain waits for the last folio_free()
 * @unpublish_work: fsdax: removes the fenced gendisk once safe (pagemap.c)
 * @released: the device core's end of the device, called by the drain
 *	once every page is idle and the page map is gone (or by the core
 *	itself if the device never got that far)
 */
struct pmemu_dev {
	struct pmemu_dev_config cfg;
	const struct pmemu_personality *ops;
	struct pmemu_region *region;
	struct list_head region_node;
	struct pmemu_owner *owner;
	int id;
	char devname[PMEMU_NAME_LEN];
	phys_addr_t phys;
	u64 data_offset;
	void *virt;
	struct badblocks bb;
	struct mutex media_lock;	/* see above */
	bool sw_poison_media;
	struct dev_pagemap pgmap;
	struct gendisk *disk;
	struct dax_device *dax_dev;
	bool io_fenced;
	struct pmemu_devdax dax;
	enum pmemu_dev_state state;
	struct list_head drain_node;
	struct delayed_work drain_work;
	unsigned long drain_start;
	unsigned long drain_delay;
	unsigned long drain_report;
	bool drain_waited;
	bool drain_listed;
	unsigned long *drain_busy;
	bool drain_scanned;
	struct wait_bit_queue_entry drain_wait;
	bool drain_on_free;
	struct delayed_work unpublish_work;
	void (*released)(struct pmemu_dev *pd);
};

/**
 * struct pmemu_personality - what a device mode implements
 * @init: build the device on its reserved extent (pages mapped, node
 *	visible last); on error nothing is left allocated
 * @lock_unused: block new opens unless something has the device open: 0
 *	with opens blocked, or -EBUSY (one message) with nothing held
 * @unlock_opens: undo a successful @lock_unused
 * @teardown: fence, tell users, drop the driver's reference; the pages are
 *	drained once the last reference to @device is gone
 * @device: the object whose references keep the device's files alive
 * @unpublish: remove the fenced device's node (fsdax: del_gendisk), called
 *	by the drain once that cannot block on pinned pages; NULL if
 *	@teardown did it
 * @drained: free personality state once every page is idle and the page
 *	map is gone
 */
struct pmemu_personality {
	int (*init)(struct pmemu_dev *pd);
	int (*lock_unused)(struct pmemu_dev *pd);
	void (*unlock_opens)(struct pmemu_dev *pd);
	void (*teardown)(struct pmemu_dev *pd);
	struct device *(*device)(struct pmemu_dev *pd);
	void (*unpublish)(struct pmemu_dev *pd);
	void (*drained)(struct pmemu_dev *pd);
};

/* Usable bytes: the extent minus the memmap kept at its start (map=dev). */
static inline u64 pmemu_capacity(const struct pmemu_dev *pd)
{
	return pd->cfg.size - pd->data_offset;
}

/* pfn of byte @off of the data area (after the map=dev memmap). */
static inline unsigned long pmemu_data_pfn(const struct pmemu_dev *pd, u64 off)
{
	return PHYS_PFN(pd->phys + pd->data_offset + off);
}

/* The device a page map (and so a ZONE_DEVICE page) belongs to. */
static inline struct pmemu_dev *pmemu_pgmap_dev(struct dev_pagemap *pgmap)
{
	return container_of(pgmap, struct pmemu_dev, pgmap);
}

/* Protects the region list, each region's device list and owner slots. */
extern struct mutex pmemu_lock;
extern const struct class pmemu_class;

/*
 * Exported by drivers/dax/super.c (GPL) but declared only in its private
 * drivers/dax/dax-private.h, which kernel headers packages do not ship.
 */
struct inode *dax_inode(struct dax_device *dax_dev);
struct dax_device *inode_dax(struct inode *inode);

/* fsdax.c: block device + dax_device personality */
extern const struct pmemu_personality pmemu_fsdax_ops;

/* devdax.c: character device personality (open, mmap, faults, sysfs) */
extern const struct pmemu_personality pmemu_devdax_ops;

/* stats.c: devdax counters in debugfs */
void pmemu_stats_add(struct pmemu_dev *pd);
void pmemu_stats_remove(struct pmemu_dev *pd);

/* sysfs.c: the class and device attributes */
int pmemu_class_register(void);
void pmemu_class_unregister(void);
extern const struct attribute_group pmemu_fsdax_attr_group;
extern const struct attribute_group pmemu_fsdax_dax_group;
extern const struct attribute_group pmemu_devdax_attr_group;

/* folio.c: devdax folio lifetimes (sweep and tracked) */
int pmemu_folios_init(struct pmemu_dev *pd);
void pmemu_folios_exit(struct pmemu_dev *pd);
void pmemu_folio_get(struct pmemu_dev *pd, struct folio *folio,
		     struct address_space *mapping, pgoff_t pgoff);
void pmemu_folio_put(struct pmemu_dev *pd, struct folio *folio);
unsigned long pmemu_folios_in_use(struct pmemu_dev *pd);
void pmemu_tracked_folio_free(struct folio *folio);

/* media.c: media errors (badblocks, injection, memory_failure routing) */
int pmemu_media_init(struct pmemu_dev *pd);
void pmemu_media_exit(struct pmemu_dev *pd);
bool pmemu_media_check(struct pmemu_dev *pd, u64 off, u64 len, u64 *first_bad);
void pmemu_media_recheck(struct pmemu_dev *pd, u64 off, u64 len);
void pmemu_media_clear(struct pmemu_dev *pd, u64 off, u64 len);
int pmemu_media_inject(struct pmemu_dev *pd, u64 off, u64 len, bool clear);
void pmemu_media_unmap(struct pmemu_dev *pd, u64 off, u64 len);
bool pmemu_mf_records(struct pmemu_dev *pd, int mf_flags);
s64 pmemu_media_failed(struct pmemu_dev *pd, unsigned long pfn,
		       unsigned long nr_pages, bool record);

/* pagemap.c: struct pages of a device and their lifetime */
int pmemu_drain_init(void);
void pmemu_drain_exit(void);

/**
 * enum pmemu_hold_id - hold points a test can arm (hold.c)
 * @PMEMU_HOLD_FAULT_INSERT: a devdax fault between its media check and
 *	the insert
 * @PMEMU_HOLD_DESTROY_CLAIMED: a region destroy between claiming a device
 *	and tearing it down
 * @PMEMU_HOLD_UNPUBLISH_CHECKED: the unpublish work between finding no
 *	page pinned and deleting the gendisk
 * @PMEMU_HOLD_NR: number of points
 */
enum pmemu_hold_id {
	PMEMU_HOLD_FAULT_INSERT,
	PMEMU_HOLD_DESTROY_CLAIMED,
	PMEMU_HOLD_UNPUBLISH_CHECKED,
	PMEMU_HOLD_NR,
};

void pmemu_hold(enum pmemu_hold_id point);
void pmemu_debugfs_init(void);
struct dentry *pmemu_debugfs_root(void);
void pmemu_debugfs_exit(void);
void *pmemu_pages_map(struct pmemu_dev *pd, enum memory_type type,
		      const struct dev_pagemap_ops *ops,
		      unsigned int vmemmap_shift);
void pmemu_pages_unpublish(struct pmemu_dev *pd);
void pmemu_pages_drain(struct pmemu_dev *pd);
void pmemu_pages_settle(struct pmemu_dev *pd);
void pmemu_pages_drain_flush(void);
void pmemu_pages_idle(struct pmemu_dev *pd);

/* names.c: text forms of sources and settings */
const char *pmemu_source_name(enum pmemu_source source);
const char *pmemu_mode_name(enum pmemu_mode mode);
const char *pmemu_map_name(enum pmemu_map map);
const char *pmemu_lifetime_name(enum pmemu_lifetime lifetime);
int pmemu_mode_parse(const char *buf);
int pmemu_map_parse(const char *buf);
int pmemu_lifetime_parse(const char *buf);

/* region.c: ranges validated and claimed, regions and their extents */
int pmemu_check_range(const char *who, u64 start, u64 size,
		      enum pmemu_source source);
int pmemu_source_of(u64 start, u64 size);
struct pmemu_region *pmemu_region_add(struct device *parent, u64 start,
				      u64 size, enum pmemu_source source);
struct pmemu_region *pmemu_region_find(int id);
struct pmemu_region *pmemu_region_last_of(struct device *parent);
struct pmemu_dev *pmemu_region_place(struct pmemu_region *region,
				     struct pmemu_dev_config *cfg, u64 align);

/* dev.c: devices carved from regions, and their teardown */
struct pmemu_dev *pmemu_dev_create(const struct pmemu_dev_config *cfg,
				   struct pmemu_owner *owner);
int pmemu_dev_disable(struct pmemu_owner *owner, bool force);
void pmemu_owner_release(struct pmemu_owner *owner);
void pmemu_regions_destroy(struct device *parent);

/* platform.c: the platform devices regions come from */
int pmemu_platform_register(bool autocreate);
void pmemu_platform_unregister(void);
int pmemu_range_add(u64 start, u64 size, enum pmemu_source source);
int pmemu_range_remove(struct device *parent);

/* nfit.c: NVDIMM ranges from the ACPI NFIT */
void pmemu_nfit_scan(void);

/* ctl.c: /sys/class/pmemu/add_region and remove_region */
int pmemu_ctl_init(void);
void pmemu_ctl_exit(void);

/* configfs.c: runtime device creation */
int pmemu_configfs_init(void);
void pmemu_configfs_exit(void);

#endif /* _PMEMU_H */
