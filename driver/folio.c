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
 *
 * The core has cleared folio->mapping and drops the folio's page map
 * references after this returns.
 */
void pmemu_tracked_folio_free(struct folio *folio)
{
	struct pmemu_dev *pd = pmemu_pgmap_dev(folio->pgmap);

	this_cpu_inc(pd->dax.stats->folio_frees);
	/* release: a fault that claims the folio next sees it free */
	clear_bit_unlock(pmemu_folio_index(pd, folio), pd->dax.live);
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

/*
 * Make a free tracked folio live, with the fault's reference.  The page
 * map built the compound folio (vmemmap_shift) and free_zone_device_folio()
 * leaves it built, so only what a free undoes is set again here: what
 * zone_device_folio_init() would do, without rewriting 1 << order struct
 * pages on every first touch.
 */
static int pmemu_tracked_init(struct pmemu_dev *pd, struct folio *folio,
			      struct address_space *mapping, pgoff_t pgoff)
{
	VM_WARN_ON_ONCE_FOLIO(folio_ref_count(folio), folio);
	VM_WARN_ON_ONCE_FOLIO(folio_order(folio) != pd->dax.order, folio);
	/* fails only once memunmap_pages() killed it: no fault gets here then */
	if (WARN_ON_ONCE(!percpu_ref_tryget_many(&pd->pgmap.ref,
						 1 << pd->dax.order)))
		return -ENXIO;
	if (pd->dax.order && !folio_test_large_rmappable(folio))
		folio_set_large_rmappable(folio);
	folio->mapping = mapping;
	folio->index = pgoff;
	this_cpu_inc(pd->dax.stats->folio_inits);
	/* the fault holds the file, so the module is pinned already */
	if (atomic_long_inc_return(&pd->dax.nr_live) == 1)
		__module_get(THIS_MODULE);
	/* a folio_try_get() that sees the count sees the folio set up */
	smp_wmb();
	folio_set_count(folio, 1);
	return 0;
}

/*
 * A bit set in dax.live claims a folio from its first touch until
 * folio_free(): the claimer initialises it, everyone else takes a reference
 * once it is published (refcount 1) or waits while it is being set up or is
 * dying (refcount 0, folio_free() not yet run).
 */
static int pmemu_tracked_get(struct pmemu_dev *pd, struct folio *folio,
			     struct address_space *mapping, pgoff_t pgoff)
{
	unsigned long idx = pmemu_folio_index(pd, folio);
	int ret;

	for (;;) {
		if (folio_try_get(folio))
			return 0;
		if (!test_and_set_bit_lock(idx, pd->dax.live))
			break;
		cond_resched();
	}
	ret = pmemu_tracked_init(pd, folio, mapping, pgoff);
	if (ret)
		clear_bit_unlock(idx, pd->dax.live);
	return ret;
}

/**
 * pmemu_folio_prepare_insert() - ready a devdax folio for a fault to insert
 * @pd: live device (the caller is inside dax_read_lock() and dax_alive())
 * @folio: folio of the device's align at the faulting offset
 * @mapping: the address_space every opener shares
 * @pgoff: file offset, in pages, of the folio's first page
 *
 * Sets folio->mapping and ->index, which memory-failure rmap needs.  On
 * success the caller drops what this took with pmemu_folio_finish_insert()
 * after the insert.
 *
 * Return: 0, or -ENXIO if the device's page map is already dead.
 */
int pmemu_folio_prepare_insert(struct pmemu_dev *pd, struct folio *folio,
			       struct address_space *mapping, pgoff_t pgoff)
{
	if (pd->cfg.lifetime == PMEMU_LIFETIME_TRACKED)
		return pmemu_tracked_get(pd, folio, mapping, pgoff);
	/* sweep: idle GENERIC folios sit at refcount 1 already */
	if (!folio->mapping) {
		folio->mapping = mapping;
		folio->index = pgoff;
	}
	return 0;
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
	pd->dax.order = ilog2(pd->cfg.align >> PAGE_SHIFT);
	pd->dax.nr_folios = (pd->cfg.size - pd->data_offset) >>
			    (PAGE_SHIFT + pd->dax.order);
	atomic_long_set(&pd->dax.nr_live, 0);
	pd->dax.stats = alloc_percpu(struct pmemu_devdax_stats);
	if (!pd->dax.stats)
		return -ENOMEM;
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
	kvfree(pd->dax.live);
	pd->dax.live = NULL;
	free_percpu(pd->dax.stats);
	pd->dax.stats = NULL;
}
