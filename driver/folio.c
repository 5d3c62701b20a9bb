// SPDX-License-Identifier: GPL-2.0
/*
 * devdax folio lifetimes (docs/lifetime.md).  sweep: idle folios sit at
 * refcount 1 and nobody is told when one goes idle.  tracked: a folio is
 * initialised on first touch and the core calls folio_free() at its last
 * put; a folio set in dax.live at refcount 0 is dying, not yet freed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/dax.h>
#include <linux/hash.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/slab.h>

#include "pmemu.h"

static unsigned long pmemu_folio_index(struct pmemu_dev *pd,
				       struct folio *folio)
{
	return (folio_pfn(folio) - pmemu_data_pfn(pd, 0)) >>
	       pd->dax.order;
}

/**
 * pmemu_tracked_folio_free() - the core's last put of a tracked folio
 * @folio: the folio, free again (called in any context)
 */
void pmemu_tracked_folio_free(struct folio *folio)
{
	struct pmemu_dev *pd = pmemu_pgmap_dev(folio->pgmap);
	unsigned long idx = pmemu_folio_index(pd, folio);
	unsigned long flags;

	spin_lock_irqsave(&pd->dax.live_lock, flags);
	__clear_bit(idx, pd->dax.live);
	spin_unlock_irqrestore(&pd->dax.live_lock, flags);
	atomic_long_inc(&pd->dax.stats.folio_frees);
	if (atomic_long_dec_and_test(&pd->dax.nr_live)) {
		/* the barrier of the decrement pairs with pmemu_pages_drain() */
		if (smp_load_acquire(&pd->drain_on_free))
			pmemu_pages_idle(pd);
		/*
		 * Exit, which this reference kept from starting, waits in
		 * memunmap_pages() for the references the core drops next.
		 */
		module_put(THIS_MODULE);
	}
}

/* live_lock orders the bit test and folio_try_get() against folio_free() */
static void pmemu_tracked_get(struct pmemu_dev *pd, struct folio *folio,
			      struct address_space *mapping, pgoff_t pgoff)
{
	unsigned long idx = pmemu_folio_index(pd, folio);
	struct mutex *touch;	/* serialises first touches of this folio */
	unsigned long flags;
	bool live, got;

	touch = &pd->dax.touch_lock[hash_long(idx, ilog2(PMEMU_TOUCH_LOCKS))];
	mutex_lock(touch);
	for (;;) {
		spin_lock_irqsave(&pd->dax.live_lock, flags);
		live = test_bit(idx, pd->dax.live);
		got = live && folio_try_get(folio);
		spin_unlock_irqrestore(&pd->dax.live_lock, flags);
		if (!live || got)
			break;
		/* dying: the last put happened, folio_free() is running */
		cond_resched();
	}
	if (!live) {
		/* takes 1 << order pgmap references; returns it locked */
		zone_device_folio_init(folio, &pd->pgmap, pd->dax.order);
		folio_unlock(folio);
		folio->mapping = mapping;
		folio->index = pgoff;
		spin_lock_irqsave(&pd->dax.live_lock, flags);
		__set_bit(idx, pd->dax.live);
		spin_unlock_irqrestore(&pd->dax.live_lock, flags);
		atomic_long_inc(&pd->dax.stats.folio_inits);
		/* the fault holds the file, so the module is pinned already */
		if (atomic_long_inc_return(&pd->dax.nr_live) == 1)
			__module_get(THIS_MODULE);
	}
	mutex_unlock(touch);
}

/**
 * pmemu_folio_prepare_insert() - ready a devdax folio for a fault to insert
 * @pd: live device (the caller is inside dax_read_lock() and dax_alive())
 * @folio: folio of the device's align at the faulting offset
 * @mapping: the address_space every opener shares
 * @pgoff: file offset, in pages, of the folio's first page
 *
 * Sets folio->mapping and ->index, which memory-failure rmap needs.  The
 * caller drops what this took with pmemu_folio_finish_insert() after the
 * insert.
 */
void pmemu_folio_prepare_insert(struct pmemu_dev *pd, struct folio *folio,
				struct address_space *mapping, pgoff_t pgoff)
{
	if (pd->cfg.lifetime == PMEMU_LIFETIME_TRACKED) {
		pmemu_tracked_get(pd, folio, mapping, pgoff);
		return;
	}
	/* sweep: idle GENERIC folios sit at refcount 1 already */
	if (!folio->mapping) {
		folio->mapping = mapping;
		folio->index = pgoff;
	}
}

/**
 * pmemu_folio_finish_insert() - drop what pmemu_folio_prepare_insert() took
 * @pd: the device
 * @folio: the folio passed to pmemu_folio_prepare_insert()
 */
void pmemu_folio_finish_insert(struct pmemu_dev *pd, struct folio *folio)
{
	if (pd->cfg.lifetime == PMEMU_LIFETIME_TRACKED)
		folio_put(folio);
}

/**
 * pmemu_folios_in_use() - folios of a devdax device that are mapped or pinned
 * @pd: the device
 *
 * Return: the number of folios; for sweep a snapshot that races with faults.
 */
unsigned long pmemu_folios_in_use(struct pmemu_dev *pd)
{
	unsigned long i, busy = 0;
	struct page *first;

	if (pd->cfg.lifetime == PMEMU_LIFETIME_TRACKED)
		return atomic_long_read(&pd->dax.nr_live);
	first = pfn_to_page(pmemu_data_pfn(pd, 0));
	for (i = 0; i < pd->dax.nr_folios; i++) {
		if (page_ref_count(first + (i << pd->dax.order)) > 1)
			busy++;
		if (!(i & 4095))
			cond_resched();
	}
	return busy;
}

/**
 * pmemu_folios_init() - set up a devdax device's folio bookkeeping
 * @pd: device with cfg, data_offset resolved
 *
 * Return: 0 or -ENOMEM.
 */
int pmemu_folios_init(struct pmemu_dev *pd)
{
	int i;

	pd->dax.order = ilog2(pd->cfg.align >> PAGE_SHIFT);
	pd->dax.nr_folios = (pd->cfg.size - pd->data_offset) >>
			    (PAGE_SHIFT + pd->dax.order);
	spin_lock_init(&pd->dax.live_lock);
	atomic_long_set(&pd->dax.nr_live, 0);
	for (i = 0; i < PMEMU_TOUCH_LOCKS; i++)
		mutex_init(&pd->dax.touch_lock[i]);
	if (pd->cfg.lifetime != PMEMU_LIFETIME_TRACKED)
		return 0;
	/* over 4 MiB for a 4K device beyond 128 GiB: not a kmalloc */
	pd->dax.live = kvcalloc(BITS_TO_LONGS(pd->dax.nr_folios),
				sizeof(unsigned long), GFP_KERNEL);
	if (!pd->dax.live) {
		pmemu_folios_exit(pd);
		return -ENOMEM;
	}
	return 0;
}

/**
 * pmemu_folios_exit() - free the folio bookkeeping
 * @pd: device whose pages are unmapped (or were never mapped)
 */
void pmemu_folios_exit(struct pmemu_dev *pd)
{
	int i;

	kvfree(pd->dax.live);
	pd->dax.live = NULL;
	for (i = 0; i < PMEMU_TOUCH_LOCKS; i++)
		mutex_destroy(&pd->dax.touch_lock[i]);
}
