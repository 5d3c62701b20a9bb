/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PMEMU_H
#define _PMEMU_H

#include <linux/badblocks.h>
#include <linux/bitops.h>
#include <linux/cdev.h>
#include <linux/completion.h>
#include <linux/device.h>
#include <linux/list.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pfn.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uuid.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>

/* PMEMU_HAVE_*: what the target kernel offers (Kbuild, probes/run) */
#include "probes.h"

#define PMEMU_NAME		"pmemu"
/* memremap_pages() works in subsections; everything is aligned to them. */
#define PMEMU_MIN_ALIGN		SZ_2M
#define PMEMU_MAX_RANGES	16
#define PMEMU_NAME_LEN		32
#define PMEMU_OFFSET_AUTO	U64_MAX
/* Labels: the last 128 KiB of a range, as ramdax; 2 MiB kept from carving */
#define PMEMU_LABEL_AREA	SZ_128K
#define PMEMU_LABEL_RESERVED	PMEMU_MIN_ALIGN

struct dentry;
struct gendisk;
struct dax_device;
struct pmemu_dev;

/**
 * enum pmemu_source - where a region's physical range comes from
 * @PMEMU_SRC_RANGES: reserved RAM from ranges= or add_region
 * @PMEMU_SRC_E820: a legacy memmap=SIZE!START range (e820_pmem)
 * @PMEMU_SRC_NFIT: an NVDIMM in the ACPI NFIT that no nfit driver has
 * @PMEMU_SRC_NDCTL: an NVDIMM range handed over by libnvdimm
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
 * @probed: the probe ran (pmemu_range_add() reads @probe_err)
 * @probe_err: what the last probe returned
 */
struct pmemu_pdata {
	enum pmemu_source source;
	bool probed;
	int probe_err;
};

/**
 * enum pmemu_map - where a device's struct pages live
 * @PMEMU_MAP_MEM: in System RAM
 * @PMEMU_MAP_DEV: at the start of the device's extent (vmem_altmap)
 */
enum pmemu_map {
	PMEMU_MAP_MEM,
	PMEMU_MAP_DEV,
};

/**
 * enum pmemu_mode - personality of a device
 * @PMEMU_MODE_FSDAX: block device with a dax_device (/dev/pmemuN)
 * @PMEMU_MODE_DEVDAX: character device (/dev/pmemuN.dax)
 */
enum pmemu_mode {
	PMEMU_MODE_FSDAX,
	PMEMU_MODE_DEVDAX,
};

/**
 * enum pmemu_lifetime - how a devdax device's folios live and die
 * @PMEMU_LIFETIME_SWEEP: MEMORY_DEVICE_GENERIC folios, swept at teardown
 * @PMEMU_LIFETIME_TRACKED: MEMORY_DEVICE_COHERENT folios, counted by the driver
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
 * @offset: byte offset in the region, or PMEMU_OFFSET_AUTO (first fit)
 * @size: bytes; 0 means the largest free extent (at @offset if given)
 * @mode: personality
 * @map: where the struct pages live
 * @align: devdax page size: 4K, 2M or 1G, 0 for 2M; fsdax: 0 or 4K
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
 * enum pmemu_labels_state - what a region's label area holds
 * @PMEMU_LABELS_NONE: the region has no label area
 * @PMEMU_LABELS_OK: the label area records the region's named devices
 * @PMEMU_LABELS_DAMAGED: neither copy is valid; nothing is created or
 *	written until the labels are initialised again
 * @PMEMU_LABELS_INCOMPLETE: a recorded device could not be restored; the
 *	labels are left as they are (no device is created) until initialised
 */
enum pmemu_labels_state {
	PMEMU_LABELS_NONE,
	PMEMU_LABELS_OK,
	PMEMU_LABELS_DAMAGED,
	PMEMU_LABELS_INCOMPLETE,
};

/**
 * struct pmemu_label - one recorded device, as the label area keeps it
 * @uuid: the device's uuid
 * @cfg: name, offset, size, mode, map, align and lifetime (region unset)
 */
struct pmemu_label {
	uuid_t uuid;
	struct pmemu_dev_config cfg;
};

/**
 * struct pmemu_labels - a region's label area (label.c, docs/design.md)
 * @lock: serialises label writes and their snapshot of the devices
 * @state: see enum pmemu_labels_state; changed under @lock and pmemu_lock,
 *	read under either
 * @area: the label area's mapping, or NULL
 * @buf: one copy's worth, where the next copy is built (under @lock)
 * @seq: sequence number of the active copy (0: none yet)
 * @active: the slot of the active copy
 * @found: the devices the active copy recorded at probe, until restored
 * @nr_found: entries of @found
 * @snap: room for the devices a write records (under @lock)
 */
struct pmemu_labels {
	struct mutex lock;	/* see above */
	enum pmemu_labels_state state;
	void *area;
	void *buf;
	u64 seq;
	unsigned int active;
	struct pmemu_label *found;
	unsigned int nr_found;
	struct pmemu_label *snap;
};

/**
 * struct pmemu_region - a physical range owned by pmemu
 * @dev: class device regionN; its release drops the iomem claim
 * @node: entry in the region list
 * @devs: devices carved from the region, ordered by offset
 * @parent: platform device the region was probed from (referenced)
 * @start: physical start address
 * @size: length in bytes
 * @capacity: bytes devices can be carved from: @size less the label area
 * @id: region number (regionN)
 * @source: where the range came from
 * @persistent: NVDIMM-backed: fsdax devices advertise a write cache
 * @res: the iomem claim on the range
 * @name: iomem resource name, "pmemu.regionN"
 * @dying: being torn down; no new devices
 * @closed: remove_region is taking it away; no new devices unless that fails
 * @populated: its recorded devices (or autocreated one) are up; creators
 *	may use it
 * @nid: NUMA node of the range
 * @labels: the label area
 *
 * @node, @devs, @dying, @closed and @populated are protected by pmemu_lock.
 */
struct pmemu_region {
	struct device dev;
	struct list_head node;
	struct list_head devs;
	struct device *parent;
	phys_addr_t start;
	u64 size;
	u64 capacity;
	int id;
	enum pmemu_source source;
	bool persistent;
	struct resource *res;
	char name[32];
	bool dying;
	bool closed;
	bool populated;
	int nid;
	struct pmemu_labels labels;
};

/**
 * enum pmemu_dev_state - where a device is in its life
 * @PMEMU_NEW: extent reserved, being created
 * @PMEMU_LIVE: serving I/O and faults
 * @PMEMU_DEAD: claimed for teardown: no new opens, I/O or faults
 * @PMEMU_DRAINING: last device reference gone; waiting for page references
 */
enum pmemu_dev_state {
	PMEMU_NEW,
	PMEMU_LIVE,
	PMEMU_DEAD,
	PMEMU_DRAINING,
};

/**
 * struct pmemu_devdax_stats - what a devdax device's faults and folios did
 * @faults: faults that mapped a page or folio, by page table level
 * @fallbacks: huge faults answered with VM_FAULT_FALLBACK
 * @sigbus: faults answered with SIGBUS
 * @folio_inits: tracked: folios initialised on first touch
 * @folio_frees: tracked: folios the core freed
 * @memory_failures: pages memory_failure() reported to the device
 */
struct pmemu_devdax_stats {
	unsigned long faults[PMEMU_FAULT_NR];
	unsigned long fallbacks;
	unsigned long sigbus;
	unsigned long folio_inits;
	unsigned long folio_frees;
	unsigned long memory_failures;
};

/**
 * struct pmemu_devdax - state of the devdax personality
 * @dev: class device pmemuN.dax; its last reference starts the drain
 * @cdev: the cdev embedded in the dax_device's inode
 * @open_lock: orders opens against the "is it open" check of a disable
 * @openers: open files
 * @unwound: completed by the release of a @dev that never went live
 * @order: folio order, log2(align / PAGE_SIZE)
 * @nr_folios: folios of the data area
 * @live: tracked: a bit per folio, set from its first touch to folio_free()
 * @nr_live: tracked: folios initialised and not yet freed (exact)
 * @stats: per-CPU counters shown in debugfs
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
	atomic_long_t nr_live;
	struct pmemu_devdax_stats __percpu *stats;
	struct dentry *debugfs;
};

struct pmemu_personality;

/**
 * struct pmemu_owner - a creator's (configfs item's) links to its device
 * @live: the device while it is PMEMU_LIVE
 * @gone: the device from its teardown until it has drained
 *
 * Both are protected by pmemu_lock.
 */
struct pmemu_owner {
	struct pmemu_dev *live;
	struct pmemu_dev *gone;
};

/**
 * struct pmemu_dev - a device on an extent of a region
 * @cfg: configuration, with offset, size and align resolved
 * @ops: the personality
 * @region: region the device is carved from (holds a reference)
 * @region_node: entry in @region->devs (under pmemu_lock)
 * @owner: the configfs item's links (under pmemu_lock), or NULL
 * @uuid: identity the labels record it by
 * @id: device number (pmemuN)
 * @devname: name of the node in /dev ("pmemu3", "pmemu4.dax")
 * @phys: physical start of the extent
 * @data_offset: bytes at the start holding the memmap (map=dev), else 0
 * @virt: kernel virtual address of the data area
 * @bb: media errors of the data area, in 512-byte sectors
 * @media_lock: serialises recording media errors (the table's size check)
 * @sw_poison_media: record software poison as a media error too
 * @pgmap: ZONE_DEVICE page map of the extent
 * @disk: fsdax: the block device
 * @dax_dev: the dax_device (devdax: fault fence and shared inode)
 * @io_fenced: fsdax: new bios fail (set by teardown after kill_dax())
 * @dax: devdax state
 * @state: see enum pmemu_dev_state
 * @drain_node: entry in the list of draining devices
 * @drain_work: frees the pages once all are idle
 * @drain_start: jiffies when draining began
 * @drain_delay: current poll interval of @drain_work
 * @drain_report: jiffies of the next progress message
 * @drain_waited: the drain found pages in use and said so
 * @drain_listed: on the draining list (module unload waits for it)
 * @drain_busy: units still busy since the first full scan, or NULL
 * @drain_scanned: @drain_busy holds the result of a full scan
 * @drain_wait: FS_DAX: waits for the last put of the first busy page
 * @drain_on_free: tracked: the drain waits for the last folio_free()
 * @unpublish_work: fsdax: removes the fenced gendisk once safe
 * @released: the device core's release, called once the device is drained
 */
struct pmemu_dev {
	struct pmemu_dev_config cfg;
	const struct pmemu_personality *ops;
	struct pmemu_region *region;
	struct list_head region_node;
	struct pmemu_owner *owner;
	uuid_t uuid;
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
 * @init: build the device, node visible last; on error leave nothing
 * @lock_unused: block new opens unless the device is open (then -EBUSY)
 * @unlock_opens: undo a successful @lock_unused
 * @teardown: fence, tell users, drop the driver's reference
 * @device: the object whose last reference starts the drain
 * @unpublish: remove the fenced node once that cannot block on pins, or NULL
 * @idle: every page is idle, the page map still exists: drop what reads
 *	the struct pages (devdax: the debugfs counters); may be NULL
 * @drained: free personality state once the page map is gone
 */
struct pmemu_personality {
	int (*init)(struct pmemu_dev *pd);
	int (*lock_unused)(struct pmemu_dev *pd);
	void (*unlock_opens)(struct pmemu_dev *pd);
	void (*teardown)(struct pmemu_dev *pd);
	struct device *(*device)(struct pmemu_dev *pd);
	void (*unpublish)(struct pmemu_dev *pd);
	void (*idle)(struct pmemu_dev *pd);
	void (*drained)(struct pmemu_dev *pd);
};

static inline u64 pmemu_capacity(const struct pmemu_dev *pd)
{
	return pd->cfg.size - pd->data_offset;
}

static inline unsigned long pmemu_data_pfn(const struct pmemu_dev *pd, u64 off)
{
	return PHYS_PFN(pd->phys + pd->data_offset + off);
}

static inline struct pmemu_dev *pmemu_pgmap_dev(struct dev_pagemap *pgmap)
{
	return container_of(pgmap, struct pmemu_dev, pgmap);
}

/* Protects the region list, each region's device list and owner slots. */
extern struct mutex pmemu_lock;
extern const struct class pmemu_class;

/* Exported by drivers/dax/super.c but declared only in dax-private.h */
struct inode *dax_inode(struct dax_device *dax_dev);
struct dax_device *inode_dax(struct inode *inode);

/* Declarations by file, bottom layer first (docs/design.md) */

/**
 * enum pmemu_hold_id - hold points a test can arm (hold.c)
 * @PMEMU_HOLD_FAULT_INSERT: devdax fault, after the media check
 * @PMEMU_HOLD_DESTROY_CLAIMED: region destroy, after claiming a device
 * @PMEMU_HOLD_UNPUBLISH_CHECKED: unpublish work, before del_gendisk()
 * @PMEMU_HOLD_LABEL_HALF: label write, half of the new copy on the media
 * @PMEMU_HOLD_LABEL_WRITTEN: label write, the new copy flushed, not yet
 *	reported
 * @PMEMU_HOLD_NR: number of points
 */
enum pmemu_hold_id {
	PMEMU_HOLD_FAULT_INSERT,
	PMEMU_HOLD_DESTROY_CLAIMED,
	PMEMU_HOLD_UNPUBLISH_CHECKED,
	PMEMU_HOLD_LABEL_HALF,
	PMEMU_HOLD_LABEL_WRITTEN,
	PMEMU_HOLD_NR,
};

/* hold.c */
extern unsigned long pmemu_holds_armed;
void __pmemu_hold(enum pmemu_hold_id point);

/* A disarmed point, the rule, costs a bit test and no call (faults). */
static inline void pmemu_hold(enum pmemu_hold_id point)
{
	if (unlikely(test_bit(point, &pmemu_holds_armed)))
		__pmemu_hold(point);
}

void pmemu_debugfs_init(void);
struct dentry *pmemu_debugfs_root(void);
void pmemu_holds_exit(void);
void pmemu_debugfs_exit(void);

/* names.c */
const char *pmemu_source_name(enum pmemu_source source);
const char *pmemu_mode_name(enum pmemu_mode mode);
const char *pmemu_map_name(enum pmemu_map map);
const char *pmemu_lifetime_name(enum pmemu_lifetime lifetime);
int pmemu_mode_parse(const char *buf);
int pmemu_map_parse(const char *buf);
int pmemu_lifetime_parse(const char *buf);
const char *pmemu_labels_state_name(enum pmemu_labels_state state);

/* label.c */
int pmemu_labels_open(struct pmemu_region *region);
void pmemu_labels_forget_found(struct pmemu_region *region);
void pmemu_labels_close(struct pmemu_region *region);
unsigned int pmemu_labels_max(void);
int pmemu_labels_commit(struct pmemu_region *region,
			const struct pmemu_label *labels, unsigned int nr);

/* media.c */
int pmemu_media_init(struct pmemu_dev *pd);
void pmemu_media_exit(struct pmemu_dev *pd);
bool __pmemu_media_check(struct pmemu_dev *pd, u64 off, u64 len,
			 u64 *first_bad);
void pmemu_media_clear(struct pmemu_dev *pd, u64 off, u64 len);
int pmemu_media_inject(struct pmemu_dev *pd, u64 off, u64 len, bool clear);
void pmemu_media_unmap(struct pmemu_dev *pd, u64 off, u64 len);

/* Every fault asks: a device with no error answers without a call. */
static inline bool pmemu_media_check(struct pmemu_dev *pd, u64 off, u64 len,
				     u64 *first_bad)
{
	if (!READ_ONCE(pd->bb.count))
		return false;
	return __pmemu_media_check(pd, off, len, first_bad);
}

/*
 * After a fault's insert: an injection between its check and its insert
 * unmapped too early, so look again and take the new mapping away.
 */
static inline void pmemu_media_recheck(struct pmemu_dev *pd, u64 off, u64 len)
{
	smp_mb();	/* pairs with pmemu_media_inject() */
	if (pmemu_media_check(pd, off, len, NULL))
		pmemu_media_unmap(pd, off, len);
}

bool pmemu_mf_records(struct pmemu_dev *pd, int mf_flags);
s64 pmemu_media_failed(struct pmemu_dev *pd, unsigned long pfn,
		       unsigned long nr_pages, bool record);

/* pagemap.c */
int pmemu_drain_init(void);
void pmemu_drain_exit(void);
void *pmemu_pages_map(struct pmemu_dev *pd, enum memory_type type,
		      const struct dev_pagemap_ops *ops,
		      unsigned int vmemmap_shift);
void pmemu_pages_unpublish(struct pmemu_dev *pd);
void pmemu_pages_drain(struct pmemu_dev *pd);
void pmemu_pages_settle(struct pmemu_dev *pd);
void pmemu_pages_drain_flush(void);
void pmemu_pages_idle(struct pmemu_dev *pd);

/* folio.c */
int pmemu_folios_init(struct pmemu_dev *pd);
void pmemu_folios_exit(struct pmemu_dev *pd);
int pmemu_folio_prepare_insert(struct pmemu_dev *pd, struct folio *folio,
			       struct address_space *mapping, pgoff_t pgoff);

/* Drop what pmemu_folio_prepare_insert() took: nothing for sweep. */
static inline void pmemu_folio_finish_insert(struct pmemu_dev *pd,
					     struct folio *folio)
{
	if (pd->cfg.lifetime == PMEMU_LIFETIME_TRACKED)
		folio_put(folio);
}

unsigned long pmemu_folios_in_use(struct pmemu_dev *pd);
void pmemu_tracked_folio_free(struct folio *folio);

/* stats.c */
void pmemu_stats_add(struct pmemu_dev *pd);
void pmemu_stats_remove(struct pmemu_dev *pd);

/* sysfs.c */
int pmemu_class_register(void);
void pmemu_class_unregister(void);
extern const struct attribute_group pmemu_fsdax_attr_group;
extern const struct attribute_group pmemu_fsdax_dax_group;
extern const struct attribute_group pmemu_devdax_attr_group;

/* fsdax.c */
extern const struct pmemu_personality pmemu_fsdax_ops;

/* devdax.c */
extern const struct pmemu_personality pmemu_devdax_ops;

/* region.c */
int pmemu_check_range(const char *who, u64 start, u64 size,
		      enum pmemu_source source);
int pmemu_source_of(u64 start, u64 size);
struct pmemu_region *pmemu_region_add(struct device *parent, u64 start,
				      u64 size, enum pmemu_source source,
				      bool labels);
void pmemu_region_open(struct pmemu_region *region);
struct pmemu_dev *pmemu_region_dev_named(const char *name);
void pmemu_region_set_labels(struct pmemu_region *region,
			     enum pmemu_labels_state state);
struct pmemu_region *pmemu_region_find(int id);
struct pmemu_region *pmemu_region_last_of(struct device *parent);
struct pmemu_dev *pmemu_region_place(struct pmemu_region *region,
				     struct pmemu_dev_config *cfg, u64 align);

/* dev.c */
struct pmemu_dev *pmemu_dev_create(const struct pmemu_dev_config *cfg,
				   struct pmemu_owner *owner);
bool pmemu_dev_adopt(const char *name, struct pmemu_owner *owner,
		     struct pmemu_dev_config *cfg);
int pmemu_region_populate(struct pmemu_region *region, bool autocreate);
int pmemu_dev_disable(struct pmemu_owner *owner, bool force);
void pmemu_owner_release(struct pmemu_owner *owner);
void pmemu_regions_destroy(struct device *parent);

/* platform.c */
int pmemu_platform_register(bool autocreate, bool labels);
void pmemu_platform_unregister(void);
int pmemu_range_add(u64 start, u64 size, enum pmemu_source source);
int pmemu_range_remove(struct device *parent);

/* nfit.c */
void pmemu_nfit_scan(void);

/* ctl.c */
int pmemu_ctl_init(void);
void pmemu_ctl_exit(void);

/* configfs.c */
int pmemu_configfs_init(void);
void pmemu_configfs_exit(void);

#endif /* _PMEMU_H */
