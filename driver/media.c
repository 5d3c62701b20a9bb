// SPDX-License-Identifier: GPL-2.0
/*
 * Emulated media errors: each device records its bad 512-byte sectors in a
 * struct badblocks (for fsdax, the gendisk's).  See docs/media-errors.md.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/badblocks.h>
#include <linux/blkdev.h>
#include <linux/dax.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/page-flags.h>
#include <linux/pfn.h>
#include <linux/sched/signal.h>
#include <linux/set_memory.h>

#include "pmemu.h"

/**
 * pmemu_media_init() - give a new device an empty list of media errors
 * @pd: device being reserved
 *
 * Return: 0 or -ENOMEM.
 */
int pmemu_media_init(struct pmemu_dev *pd)
{
	mutex_init(&pd->media_lock);
	return badblocks_init(&pd->bb, 1);
}

/**
 * pmemu_media_exit() - free a device's list of media errors
 * @pd: device being freed
 */
void pmemu_media_exit(struct pmemu_dev *pd)
{
	badblocks_exit(&pd->bb);
	mutex_destroy(&pd->media_lock);
}

/**
 * __pmemu_media_check() - does a range of the data area hold a media error
 * @pd: device whose badblocks table is not empty (pmemu_media_check())
 * @off: byte offset in the data area
 * @len: bytes
 * @first_bad: if not NULL, set to the byte offset of the first bad sector
 *
 * Return: true if any sector of [@off, @off + @len) is bad.
 */
bool __pmemu_media_check(struct pmemu_dev *pd, u64 off, u64 len,
			 u64 *first_bad)
{
	sector_t first, nr;

	if (!badblocks_check(&pd->bb, off >> SECTOR_SHIFT,
			     DIV_ROUND_UP_ULL((off & (SECTOR_SIZE - 1)) + len,
					      SECTOR_SIZE), &first, &nr))
		return false;
	if (first_bad)
		*first_bad = (u64)first << SECTOR_SHIFT;
	return true;
}

/* As pmem: restore the direct map a machine check made uncacheable */
static void pmemu_media_unmark(struct page *page)
{
	if (TestClearPageHWPoison(page))
		clear_mce_nospec(page_to_pfn(page));
}

/* memory_failure() marks a compound folio's head for the whole folio */
static void pmemu_media_unpoison_page(struct pmemu_dev *pd, u64 off)
{
	struct page *page = pfn_to_page(pmemu_data_pfn(pd, off));
	struct folio *folio = page_folio(page);
	u64 head_off;

	if (pmemu_media_check(pd, off, PAGE_SIZE, NULL))
		return;
	if (page != &folio->page)
		pmemu_media_unmark(page);
	head_off = off - ((u64)folio_page_idx(folio, page) << PAGE_SHIFT);
	if (!pmemu_media_check(pd, head_off, folio_size(folio), NULL))
		pmemu_media_unmark(&folio->page);
}

/**
 * pmemu_media_clear() - the media of a range was rewritten: no error left
 * @pd: device; its pages are mapped (I/O path, or a live sysfs attribute)
 * @off: byte offset in the data area, sector-aligned
 * @len: bytes, a multiple of the sector size
 */
void pmemu_media_clear(struct pmemu_dev *pd, u64 off, u64 len)
{
	u64 pos;

	if (!pmemu_media_check(pd, off, len, NULL))
		return;
	badblocks_clear(&pd->bb, off >> SECTOR_SHIFT, len >> SECTOR_SHIFT);
	for (pos = round_down(off, PAGE_SIZE); pos < off + len; pos += PAGE_SIZE) {
		pmemu_media_unpoison_page(pd, pos);
		cond_resched();
	}
}

/* Bytes badblocks_show() prints for the table as it is. */
static size_t pmemu_media_printed(struct badblocks *bb)
{
	unsigned int seq;
	size_t len;
	int i;

	do {
		seq = read_seqbegin(&bb->lock);
		len = 0;
		for (i = 0; i < bb->count; i++)
			len += snprintf(NULL, 0, "%llu %u\n",
					BB_OFFSET(bb->page[i]),
					(unsigned int)BB_LEN(bb->page[i]));
	} while (read_seqretry(&bb->lock, seq));
	return len;
}

/*
 * False if the table is full.  On 7.3 badblocks_show() overruns its page
 * when the table does not fit (sysfs WARNs), so record a range only if the
 * table still fits with it added as new entries.
 */
static bool pmemu_media_set(struct pmemu_dev *pd, u64 off, u64 len)
{
	sector_t sector = off >> SECTOR_SHIFT, nr = len >> SECTOR_SHIFT;
	size_t add = DIV_ROUND_UP_ULL(nr, BB_MAX_LEN) *
		     snprintf(NULL, 0, "%llu %u\n", (u64)(sector + nr),
			      (unsigned int)BB_MAX_LEN);
	bool set = false;

	mutex_lock(&pd->media_lock);
	if (pmemu_media_printed(&pd->bb) + add < PAGE_SIZE)
		set = badblocks_set(&pd->bb, sector, nr, 1);
	mutex_unlock(&pd->media_lock);
	return set;
}

/**
 * pmemu_media_unmap() - make the next access to a range fault
 * @pd: the device
 * @off: byte offset in the data area
 * @len: bytes
 */
void pmemu_media_unmap(struct pmemu_dev *pd, u64 off, u64 len)
{
	u64 align = pd->cfg.align;
	u64 start = round_down(off, align), end = round_up(off + len, align);

	if (pd->cfg.mode != PMEMU_MODE_DEVDAX)
		return;
	unmap_mapping_pages(dax_inode(pd->dax_dev)->i_mapping,
			    start >> PAGE_SHIFT, (end - start) >> PAGE_SHIFT,
			    false);
}

/**
 * pmemu_media_inject() - inject or clear media errors from userspace
 * @pd: device (its sysfs attribute is being written, so it is not freed)
 * @off: byte offset in the data area, sector-aligned
 * @len: bytes, a multiple of the sector size
 * @clear: clear instead of inject
 *
 * Return: 0, -EINVAL for a bad range, -ENOSPC if the error table is full,
 * -ENXIO if the device is being taken away.
 */
int pmemu_media_inject(struct pmemu_dev *pd, u64 off, u64 len, bool clear)
{
	const char *what = clear ? "clear" : "inject";
	u64 cap = pmemu_capacity(pd);

	if (!len || !IS_ALIGNED(off | len, SECTOR_SIZE) || off >= cap ||
	    len > cap - off) {
		pr_err("%s: %s_error: range %#llx+%#llx must be whole 512-byte sectors inside the device's %#llx bytes\n",
		       pd->devname, what, off, len, cap);
		return -EINVAL;
	}
	if (READ_ONCE(pd->state) != PMEMU_LIVE) {
		pr_err("%s: %s_error: device is being taken away\n",
		       pd->devname, what);
		return -ENXIO;
	}
	if (clear) {
		pmemu_media_clear(pd, off, len);
		pr_info("%s: media errors in %#llx+%#llx cleared\n",
			pd->devname, off, len);
		return 0;
	}
	if (!pmemu_media_set(pd, off, len)) {
		/* badblocks_set() may have recorded a part: unmap it too */
		smp_mb();	/* see pmemu_media_recheck() */
		pmemu_media_unmap(pd, off, len);
		pr_err("%s: inject_error: the media error table is full\n",
		       pd->devname);
		return -ENOSPC;
	}
	smp_mb();	/* order the record before the unmap: pmemu_media_recheck() */
	pmemu_media_unmap(pd, off, len);
	pr_info("%s: media error injected at %#llx+%#llx\n", pd->devname, off,
		len);
	return 0;
}

/**
 * pmemu_mf_records() - whether a memory failure enters the error record
 * @pd: device the failed pages belong to
 * @mf_flags: memory_failure()'s MF_* flags
 *
 * Return: true if pmemu_media_failed() should record the pages.
 */
bool pmemu_mf_records(struct pmemu_dev *pd, int mf_flags)
{
	return !(mf_flags & MF_SW_SIMULATED) || READ_ONCE(pd->sw_poison_media);
}

/**
 * pmemu_media_failed() - memory_failure() reported pages of a device
 * @pd: the device
 * @pfn: first failed page
 * @nr_pages: pages
 * @record: record them as media errors: pmemu_mf_records(), read once by
 *	the caller, which must act on the same answer
 *
 * Return: the byte offset of @pfn in the data area, or -ENXIO for pages
 * outside it (the memmap of map=dev).
 */
s64 pmemu_media_failed(struct pmemu_dev *pd, unsigned long pfn,
		       unsigned long nr_pages, bool record)
{
	unsigned long first = pmemu_data_pfn(pd, 0);
	u64 off, len = PFN_PHYS(nr_pages);

	if (pfn < first)
		return -ENXIO;
	off = PFN_PHYS(pfn - first);
	if (off >= pmemu_capacity(pd) ||
	    len > pmemu_capacity(pd) - off)
		return -ENXIO;
	if (!record)
		return off;
	if (!pmemu_media_set(pd, off, len))
		pr_err("%s: memory failure at pfn %#lx (offset %#llx, %lu pages): media error table full, not recorded\n",
		       pd->devname, pfn, off, nr_pages);
	else
		pr_err("%s: memory failure at pfn %#lx (offset %#llx, %lu pages) recorded as a media error\n",
		       pd->devname, pfn, off, nr_pages);
	return off;
}
