// SPDX-License-Identifier: GPL-2.0
/*
 * pmemu page lifetime: the struct pages of a device's range and the wait
 * that makes sure none of them is freed while someone still uses it.
 *
 * memunmap_pages() only waits for explicit dev_pagemap references.  For
 * MEMORY_DEVICE_FS_DAX pages it frees the struct pages (the vmemmap) even
 * while userspace still maps a page or the kernel holds a GUP pin on it, so
 * pmemu first waits for every page of the range to become idle.  An FS_DAX
 * page is idle at refcount 0; free_zone_device_folio() wakes
 * wait_var_event() waiters keyed on the folio's head page when it gets there.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/wait_bit.h>

#include "pmemu.h"

/* How long teardown waits for the last users of a device's pages. */
#define PMEMU_DRAIN_TIMEOUT	(30 * HZ)
#define PMEMU_DRAIN_REPORT	(5 * HZ)

/**
 * pmemu_pages_map() - create struct pages for a device's range
 * @pd: device whose [phys, phys + size) is mapped
 * @type: ZONE_DEVICE memory type of the pages
 * @ops: page map operations, or NULL
 *
 * Return: the kernel virtual address of the range or an ERR_PTR().
 */
void *pmemu_pages_map(struct pmemu_dev *pd, enum memory_type type,
		      const struct dev_pagemap_ops *ops)
{
	struct dev_pagemap *pgmap = &pd->pgmap;

	pgmap->range.start = pd->phys;
	pgmap->range.end = pd->phys + pd->size - 1;
	pgmap->nr_range = 1;
	pgmap->type = type;
	pgmap->ops = ops;
	pgmap->owner = pd;
	return memremap_pages(pgmap, dev_to_node(pd->region->parent));
}

static bool pmemu_page_idle(struct page *page)
{
	return page_ref_count(page) == 0;
}

/* Number of pages of @pd still referenced. */
static unsigned long pmemu_busy_pages(struct pmemu_dev *pd)
{
	unsigned long pfn, end = PHYS_PFN(pd->phys + pd->size);
	unsigned long busy = 0;

	for (pfn = PHYS_PFN(pd->phys); pfn < end; pfn++) {
		if (!pmemu_page_idle(pfn_to_page(pfn)))
			busy++;
		if (!(pfn & 4095))
			cond_resched();
	}
	return busy;
}

/*
 * Wait until every page of @pd is idle or @deadline passes, reporting the
 * number of busy pages every PMEMU_DRAIN_REPORT.  Returns the pages still
 * busy at the end.
 */
static unsigned long pmemu_wait_idle(struct pmemu_dev *pd,
				     unsigned long deadline)
{
	unsigned long pfn = PHYS_PFN(pd->phys), end = PHYS_PFN(pd->phys + pd->size);
	unsigned long report = jiffies + PMEMU_DRAIN_REPORT;
	struct device *parent = pd->region->parent;

	for (; pfn < end; pfn++) {
		struct page *page = pfn_to_page(pfn);
		long left;

		while (!pmemu_page_idle(page)) {
			left = (long)(min(deadline, report) - jiffies);
			if (left > 0)
				wait_var_event_timeout(page, pmemu_page_idle(page),
						       left);
			if (pmemu_page_idle(page))
				break;
			if (time_after_eq(jiffies, deadline))
				return pmemu_busy_pages(pd);
			if (time_after_eq(jiffies, report)) {
				dev_info(parent, "pmemu%d: waiting for %lu pages still mapped or pinned\n",
					 pd->id, pmemu_busy_pages(pd));
				report = jiffies + PMEMU_DRAIN_REPORT;
			}
		}
		if (!(pfn & 4095))
			cond_resched();
	}
	return 0;
}

/**
 * pmemu_pages_unmap() - free the struct pages of a device once idle
 * @pd: device whose page map is released
 *
 * Waits (bounded by PMEMU_DRAIN_TIMEOUT) until no page of the range is
 * referenced, then calls memunmap_pages().  If pages are still in use when
 * the wait runs out, the struct pages are kept: freeing them would leave
 * their users with dangling pointers.  The module then takes a reference so
 * it cannot be unloaded from under the page map.
 *
 * Return: 0 if the pages were unmapped, -EBUSY if they were kept.
 */
int pmemu_pages_unmap(struct pmemu_dev *pd)
{
	unsigned long busy;

	busy = pmemu_wait_idle(pd, jiffies + PMEMU_DRAIN_TIMEOUT);
	if (busy) {
		dev_err(pd->region->parent, "pmemu%d: %lu pages still mapped or pinned after %us; keeping the struct pages and the range claimed (module pinned)\n",
			pd->id, busy, PMEMU_DRAIN_TIMEOUT / HZ);
		__module_get(THIS_MODULE);
		return -EBUSY;
	}
	memunmap_pages(&pd->pgmap);
	return 0;
}
