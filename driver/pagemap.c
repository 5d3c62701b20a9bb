// SPDX-License-Identifier: GPL-2.0
/*
 * Struct pages of a device, and the drain: memunmap_pages() waits only for
 * dev_pagemap references, not for mappings or GUP pins, so it is called only
 * once the gendisk or chardev is released and every page is idle.  See
 * docs/lifetime.md.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>

#include "pmemu.h"

#define PMEMU_DRAIN_MIN_DELAY	msecs_to_jiffies(10)
#define PMEMU_DRAIN_MAX_DELAY	HZ
#define PMEMU_DRAIN_REPORT	(5 * HZ)

static struct workqueue_struct *pmemu_drain_wq;
/* del_gendisk() may block there: keep it off the drain queue */
static struct workqueue_struct *pmemu_unpublish_wq;
static LIST_HEAD(pmemu_draining);
static DEFINE_MUTEX(pmemu_draining_lock);
static unsigned int pmemu_nr_draining;

/**
 * pmemu_pages_map() - create struct pages for a device's range
 * @pd: device whose [phys, phys + size) is mapped
 * @type: ZONE_DEVICE memory type of the pages
 * @ops: page map operations, or NULL
 * @vmemmap_shift: order of the compound folios the core builds (0: none)
 *
 * Return: the kernel virtual address of the range or an ERR_PTR().
 */
void *pmemu_pages_map(struct pmemu_dev *pd, enum memory_type type,
		      const struct dev_pagemap_ops *ops,
		      unsigned int vmemmap_shift)
{
	struct dev_pagemap *pgmap = &pd->pgmap;

	pgmap->range.start = pd->phys;
	pgmap->range.end = pd->phys + pd->cfg.size - 1;
	pgmap->nr_range = 1;
	if (pd->data_offset) {
		struct vmem_altmap altmap = {
			.base_pfn = PHYS_PFN(pd->phys),
			.end_pfn = PHYS_PFN(pd->phys + pd->cfg.size) - 1,
			.free = PHYS_PFN(pd->data_offset),
		};

		memcpy(&pgmap->altmap, &altmap, sizeof(altmap));
		pgmap->flags |= PGMAP_ALTMAP_VALID;
	}
	pgmap->type = type;
	pgmap->vmemmap_shift = vmemmap_shift;
	pgmap->ops = ops;
	pgmap->owner = pd;
	return memremap_pages(pgmap, pd->region->nid);
}

struct pmemu_busy {
	unsigned long folios;	/* not idle */
	unsigned long mapped;	/* of those, mapped in some page table */
	unsigned long pinned;	/* referenced beyond their mappings */
};

/* "Pinned" as fs/dax's dax_busy_page() tests it, even if also mapped */
static void pmemu_count_busy(struct pmemu_busy *b, struct folio *folio)
{
	int mapcount = folio_mapcount(folio);

	b->folios++;
	if (mapcount)
		b->mapped++;
	if (folio_ref_count(folio) > mapcount)
		b->pinned++;
}

static unsigned long pmemu_units(struct pmemu_dev *pd)
{
	return PHYS_PFN(pmemu_capacity(pd)) >> pd->pgmap.vmemmap_shift;
}

static struct page *pmemu_unit_page(struct pmemu_dev *pd, unsigned long i)
{
	return pfn_to_page(pmemu_data_pfn(pd, 0) +
			   (i << pd->pgmap.vmemmap_shift));
}

static bool pmemu_unit_busy(struct pmemu_dev *pd, unsigned long i,
			    struct pmemu_busy *b)
{
	struct page *page = pmemu_unit_page(pd, i);
	int idle = pd->pgmap.type == MEMORY_DEVICE_GENERIC ? 1 : 0;

	if (page_ref_count(page) == idle)
		return false;
	pmemu_count_busy(b, page_folio(page));
	return true;
}

static void pmemu_busy_tracked(struct pmemu_dev *pd, struct pmemu_busy *b)
{
	unsigned long first = pmemu_data_pfn(pd, 0), i;

	for_each_set_bit(i, pd->dax.live, pd->dax.nr_folios)
		if (folio_mapped(pfn_folio(first + (i << pd->dax.order))))
			b->mapped++;
	b->folios = atomic_long_read(&pd->dax.nr_live);
	/* folios may be freed during the walk */
	b->mapped = min(b->mapped, b->folios);
}

/*
 * Once nothing can map a page (the drain), idle pages stay idle: after a
 * full scan, rescan only the busy ones.
 */
static void pmemu_busy_pages(struct pmemu_dev *pd, struct pmemu_busy *b)
{
	unsigned long n = pmemu_units(pd), i, done = 0;
	bool tried = false;

	memset(b, 0, sizeof(*b));
	if (pd->pgmap.type == MEMORY_DEVICE_COHERENT) {
		pmemu_busy_tracked(pd, b);
		return;
	}
	if (!pd->drain_scanned) {
		unsigned long first = pmemu_data_pfn(pd, 0);
		unsigned int shift = pd->pgmap.vmemmap_shift;
		int idle = pd->pgmap.type == MEMORY_DEVICE_GENERIC ? 1 : 0;

		for (i = 0; i < n; i++) {
			struct page *page = pfn_to_page(first + (i << shift));

			if (!(i & 4095))
				cond_resched();
			/* the common case of an idle device, read inline */
			if (page_ref_count(page) == idle)
				continue;
			pmemu_count_busy(b, page_folio(page));
			if (!tried && !pd->drain_busy)
				pd->drain_busy = kvcalloc(BITS_TO_LONGS(n),
							  sizeof(unsigned long),
							  GFP_KERNEL);
			tried = true;
			if (pd->drain_busy)
				__set_bit(i, pd->drain_busy);
		}
		pd->drain_scanned = !!pd->drain_busy;
		return;
	}
	for_each_set_bit(i, pd->drain_busy, n) {
		if (!pmemu_unit_busy(pd, i, b))
			__clear_bit(i, pd->drain_busy);
		if (!(++done & 4095))
			cond_resched();
	}
}

/* The next scan is a full one again. */
static void pmemu_busy_forget(struct pmemu_dev *pd)
{
	if (pd->drain_busy)
		bitmap_zero(pd->drain_busy, pmemu_units(pd));
	pd->drain_scanned = false;
}

static int pmemu_drain_woken(struct wait_queue_entry *wq_entry,
			     unsigned int mode, int sync, void *arg)
{
	struct wait_bit_queue_entry *wbq =
		container_of(wq_entry, struct wait_bit_queue_entry, wq_entry);
	struct pmemu_dev *pd = container_of(wbq, struct pmemu_dev, drain_wait);
	struct wait_bit_key *key = arg;

	/* the var wait queues are hashed and shared */
	if (wbq->key.flags != key->flags || wbq->key.bit_nr != key->bit_nr)
		return 0;
	list_del_init(&wq_entry->entry);
	mod_delayed_work(pmemu_drain_wq, &pd->drain_work, 0);
	return 1;
}

static void pmemu_drain_disarm(struct pmemu_dev *pd)
{
	struct wait_queue_head *wq_head;
	unsigned long flags;

	if (!pd->drain_wait.key.flags)
		return;
	wq_head = __var_waitqueue(pd->drain_wait.key.flags);
	spin_lock_irqsave(&wq_head->lock, flags);
	list_del_init(&pd->drain_wait.wq_entry.entry);
	spin_unlock_irqrestore(&wq_head->lock, flags);
	pd->drain_wait.key.flags = NULL;
}

/* False if @page went idle already, maybe before the wait was queued */
static bool pmemu_drain_arm(struct pmemu_dev *pd, struct page *page)
{
	init_wait_var_entry(&pd->drain_wait, page, 0);
	pd->drain_wait.wq_entry.func = pmemu_drain_woken;
	add_wait_queue(__var_waitqueue(page), &pd->drain_wait.wq_entry);
	/* pairs with the barrier of the last put, before its wake_up_var() */
	smp_mb();
	if (page_ref_count(page))
		return true;
	pmemu_drain_disarm(pd);
	return false;
}

/* False where no wake will come (sweep, no busy set): the caller polls. */
static bool pmemu_drain_sleep(struct pmemu_dev *pd)
{
	unsigned long i;

	if (pd->pgmap.type == MEMORY_DEVICE_COHERENT)
		return true;
	if (pd->pgmap.type != MEMORY_DEVICE_FS_DAX || !pd->drain_scanned)
		return false;
	i = find_first_bit(pd->drain_busy, pmemu_units(pd));
	return i < pmemu_units(pd) && pmemu_drain_arm(pd, pmemu_unit_page(pd, i));
}

static void pmemu_drain_finish(struct pmemu_dev *pd)
{
	unsigned long took = jiffies - pd->drain_start;
	char name[PMEMU_NAME_LEN];

	bool waited = pd->drain_waited;

	strscpy(name, pd->devname);
	if (pd->ops->idle)
		pd->ops->idle(pd);
	memunmap_pages(&pd->pgmap);
	/* requeued by a wake that raced the last scan: nothing can now */
	cancel_delayed_work(&pd->drain_work);
	kvfree(pd->drain_busy);
	pd->drain_busy = NULL;
	if (pd->ops->drained)
		pd->ops->drained(pd);
	pd->released(pd);
	if (waited)
		pr_info("%s: drained after %u.%03us, extent released\n", name,
			jiffies_to_msecs(took) / 1000,
			jiffies_to_msecs(took) % 1000);
	/* last: pmemu_drain_exit()'s destroy_workqueue() waits for this work */
	module_put(THIS_MODULE);
}

static void pmemu_drain_work(struct work_struct *work)
{
	struct pmemu_dev *pd = container_of(to_delayed_work(work),
					    struct pmemu_dev, drain_work);
	struct pmemu_busy busy;

	pmemu_drain_disarm(pd);
rescan:
	pmemu_busy_pages(pd, &busy);
	if (!busy.folios) {
		mutex_lock(&pmemu_draining_lock);
		list_del(&pd->drain_node);
		pmemu_nr_draining--;
		mutex_unlock(&pmemu_draining_lock);
		wake_up_var(&pmemu_nr_draining);
		pmemu_drain_finish(pd);
		return;
	}
	if (!pd->drain_waited) {
		/* the platform device may be gone: no dev_*() here */
		pr_info("%s: %lu folios still in use (%lu mapped, %lu pinned or otherwise referenced): struct pages and extent are kept, and pmemu stays loaded, until they are released\n",
			pd->devname, busy.folios, busy.mapped,
			busy.folios - busy.mapped);
		pd->drain_waited = true;
	} else if (time_after_eq(jiffies, pd->drain_report)) {
		pr_info("%s: draining: %lu folios still in use (%lu mapped, %lu pinned or otherwise referenced) after %us\n",
			pd->devname, busy.folios, busy.mapped,
			busy.folios - busy.mapped,
			jiffies_to_msecs(jiffies - pd->drain_start) / 1000);
		pd->drain_report = jiffies + PMEMU_DRAIN_REPORT;
	}
	if (pmemu_drain_sleep(pd)) {
		queue_delayed_work(pmemu_drain_wq, &pd->drain_work,
				   PMEMU_DRAIN_REPORT);
		return;
	}
	if (pd->pgmap.type == MEMORY_DEVICE_FS_DAX && pd->drain_scanned)
		goto rescan;	/* the page went idle while being armed */
	queue_delayed_work(pmemu_drain_wq, &pd->drain_work, pd->drain_delay);
	pd->drain_delay = min(pd->drain_delay * 2,
			      (unsigned long)PMEMU_DRAIN_MAX_DELAY);
}

static void pmemu_drain_listed(struct pmemu_dev *pd)
{
	mutex_lock(&pmemu_draining_lock);
	if (!pd->drain_listed) {
		pd->drain_listed = true;
		pd->drain_start = jiffies;
		list_add_tail(&pd->drain_node, &pmemu_draining);
		pmemu_nr_draining++;
	}
	mutex_unlock(&pmemu_draining_lock);
}

/*
 * Inode eviction in del_gendisk() waits without bound for pinned DAX pages,
 * so delete the gendisk only once none is pinned.  A pin taken after the
 * check blocks only this work and this device's pmemu_pages_settle().
 */
static void pmemu_unpublish_work(struct work_struct *work)
{
	struct pmemu_dev *pd = container_of(to_delayed_work(work),
					    struct pmemu_dev, unpublish_work);
	struct pmemu_busy busy;
	unsigned long pinned;

	pmemu_busy_pages(pd, &busy);
	if (!busy.pinned && pd->drain_scanned) {
		/*
		 * A fault that passed dax_direct_access() before kill_dax()
		 * may map a page after the first scan: confirm with a full one.
		 */
		pmemu_busy_forget(pd);
		pmemu_busy_pages(pd, &busy);
	}
	pinned = busy.pinned;
	if (!pinned) {
		if (pd->drain_waited)
			pr_info("%s: no page is pinned any more: removing the disk\n",
				pd->devname);
		pmemu_hold(PMEMU_HOLD_UNPUBLISH_CHECKED);
		pd->ops->unpublish(pd);
		return;
	}
	if (!pd->drain_waited) {
		pr_info("%s: %lu pages pinned (e.g. in a pipe or an O_DIRECT request): the disk stays until they are released, new I/O fails\n",
			pd->devname, pinned);
		pd->drain_waited = true;
	} else if (time_after_eq(jiffies, pd->drain_report)) {
		pr_info("%s: still %lu pages pinned after %us\n",
			pd->devname, pinned,
			jiffies_to_msecs(jiffies - pd->drain_start) / 1000);
		pd->drain_report = jiffies + PMEMU_DRAIN_REPORT;
	}
	queue_delayed_work(pmemu_unpublish_wq, &pd->unpublish_work,
			   pd->drain_delay);
	pd->drain_delay = min(pd->drain_delay * 2,
			      (unsigned long)PMEMU_DRAIN_MAX_DELAY);
}

/**
 * pmemu_pages_unpublish() - remove a fenced device's node when safe
 * @pd: device claimed for teardown, fenced (no new faults, no new I/O)
 *
 * Queues pd->ops->unpublish() for when no page is pinned.  The caller holds
 * the module reference that the drain drops at its end.
 */
void pmemu_pages_unpublish(struct pmemu_dev *pd)
{
	pmemu_drain_listed(pd);
	pd->drain_delay = PMEMU_DRAIN_MIN_DELAY;
	pd->drain_report = jiffies + PMEMU_DRAIN_REPORT;
	pd->drain_waited = false;
	INIT_DELAYED_WORK(&pd->unpublish_work, pmemu_unpublish_work);
	queue_delayed_work(pmemu_unpublish_wq, &pd->unpublish_work, 0);
}

/**
 * pmemu_pages_settle() - wait for a torn-down device's first unpublish try
 * @pd: device just torn down, kept allocated by the caller's node reference
 *
 * So that, if nothing else uses the device, the caller's put of the node
 * releases it and pmemu_pages_drain_flush() then finds it drained.
 */
void pmemu_pages_settle(struct pmemu_dev *pd)
{
	if (pd->ops->unpublish)
		flush_delayed_work(&pd->unpublish_work);
}

/**
 * pmemu_pages_drain() - free a dead device's struct pages once idle
 * @pd: device whose gendisk or chardev has been released
 *
 * pd->released() runs once every page is idle and the page map is gone.
 * The caller holds the module reference that the drain drops at its end.
 */
void pmemu_pages_drain(struct pmemu_dev *pd)
{
	pmemu_drain_listed(pd);
	pd->drain_delay = PMEMU_DRAIN_MIN_DELAY;
	pd->drain_report = jiffies + PMEMU_DRAIN_REPORT;
	pd->drain_waited = false;
	/* nothing maps a page any more: one full scan, then the busy set */
	pmemu_busy_forget(pd);
	INIT_DELAYED_WORK(&pd->drain_work, pmemu_drain_work);
	WRITE_ONCE(pd->state, PMEMU_DRAINING);
	/*
	 * Release: pmemu_tracked_folio_free() sees the work initialised.  The
	 * queueing's full barrier pairs with its decrement of nr_live.
	 */
	smp_store_release(&pd->drain_on_free, true);
	queue_delayed_work(pmemu_drain_wq, &pd->drain_work, 0);
}

/**
 * pmemu_pages_idle() - the last tracked folio of a draining device is free
 * @pd: the device
 *
 * Context: any (folio_free()).  The core drops the page map's references
 * after this returns, so the drain cannot free @pd before.
 */
void pmemu_pages_idle(struct pmemu_dev *pd)
{
	mod_delayed_work(pmemu_drain_wq, &pd->drain_work, 0);
}

/**
 * pmemu_pages_drain_flush() - let queued drains run once
 *
 * An unused device is then gone.  No drain work blocks, so this returns
 * promptly.
 */
void pmemu_pages_drain_flush(void)
{
	flush_workqueue(pmemu_drain_wq);
}

/**
 * pmemu_drain_init() - set up the drain and unpublish workqueues
 *
 * Return: 0 or -ENOMEM.
 */
int pmemu_drain_init(void)
{
	pmemu_drain_wq = alloc_workqueue("pmemu_drain", WQ_UNBOUND, 0);
	if (!pmemu_drain_wq)
		return -ENOMEM;
	pmemu_unpublish_wq = alloc_workqueue("pmemu_unpublish", WQ_UNBOUND, 0);
	if (!pmemu_unpublish_wq) {
		destroy_workqueue(pmemu_drain_wq);
		return -ENOMEM;
	}
	return 0;
}

/**
 * pmemu_drain_exit() - wait for drains at module unload
 *
 * Waits without bound: a page left behind would point into the unloaded
 * module.  Wakes every PMEMU_DRAIN_REPORT to log, and so that the hung-task
 * detector does not take it for a hang.
 */
void pmemu_drain_exit(void)
{
	unsigned long start = jiffies;
	unsigned int n;

	while (!wait_var_event_timeout(&pmemu_nr_draining,
				       READ_ONCE(pmemu_nr_draining) == 0,
				       PMEMU_DRAIN_REPORT)) {
		n = READ_ONCE(pmemu_nr_draining);
		pr_info("unload waits for %u device%s whose pages are still in use (%us so far): release them to let it finish\n",
			n, n == 1 ? "" : "s",
			jiffies_to_msecs(jiffies - start) / 1000);
	}
	destroy_workqueue(pmemu_unpublish_wq);
	destroy_workqueue(pmemu_drain_wq);
}
