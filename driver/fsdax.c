// SPDX-License-Identifier: GPL-2.0
/*
 * pmemu fsdax personality: a bio-based block device with a dax_device,
 * modelled on drivers/nvdimm/pmem.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/dax.h>
#include <linux/highmem.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/pfn.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uio.h>
#include <asm/barrier.h>

#include "pmemu.h"

/* bounds the time one WRITE_ZEROES bio holds its submitter's CPU */
#define PMEMU_WRITE_ZEROES_MAX	SZ_64M

static void pmemu_zero(struct pmemu_dev *pd, u64 off, u64 len)
{
	void *zero = page_address(ZERO_PAGE(0));

	pmemu_media_clear(pd, off, len);
	while (len) {
		unsigned int chunk = min_t(u64, len, PAGE_SIZE);

		memcpy_flushcache(pd->virt + off, zero, chunk);
		off += chunk;
		len -= chunk;
		if (IS_ALIGNED(off, SZ_2M))
			cond_resched();
	}
}

static blk_status_t pmemu_rw_bvec(struct pmemu_dev *pd, struct bio_vec *bv,
				  sector_t sector, bool write)
{
	u64 off = (u64)sector << SECTOR_SHIFT;
	void *addr = pd->virt + off;
	blk_status_t status = BLK_STS_OK;
	void *mem;

	/* as on pmem: reading bad media fails, writing it clears the error */
	if (!write && pmemu_media_check(pd, off, bv->bv_len, NULL))
		return BLK_STS_IOERR;
	mem = bvec_kmap_local(bv);
	if (write) {
		pmemu_media_clear(pd, off, bv->bv_len);
		flush_dcache_page(bv->bv_page);
		memcpy_flushcache(addr, mem, bv->bv_len);
	} else {
		if (copy_mc_to_kernel(mem, addr, bv->bv_len))
			status = BLK_STS_IOERR;
		flush_dcache_page(bv->bv_page);
	}
	kunmap_local(mem);
	return status;
}

static void pmemu_submit_bio(struct bio *bio)
{
	struct pmemu_dev *pd = bio->bi_bdev->bd_disk->private_data;
	bool write = op_is_write(bio_op(bio));
	blk_status_t status = BLK_STS_OK;
	unsigned long start = 0;
	struct bvec_iter iter;
	struct bio_vec bv;
	bool acct;

	if (unlikely(READ_ONCE(pd->io_fenced))) {
		bio_io_error(bio);
		return;
	}
	acct = blk_queue_io_stat(bio->bi_bdev->bd_disk->queue);
	if (acct)
		start = bio_start_io_acct(bio);
	/*
	 * Data is written with non-temporal stores: draining the write
	 * buffers makes it durable, as nvdimm_flush() without flush hints.
	 */
	if (bio->bi_opf & REQ_PREFLUSH)
		pmem_wmb();

	switch (bio_op(bio)) {
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		bio_for_each_segment(bv, bio, iter) {
			status = pmemu_rw_bvec(pd, &bv, iter.bi_sector, write);
			if (status)
				break;
		}
		break;
	case REQ_OP_WRITE_ZEROES:
		pmemu_zero(pd, (u64)bio->bi_iter.bi_sector << SECTOR_SHIFT,
			   bio->bi_iter.bi_size);
		break;
	default:
		status = BLK_STS_NOTSUPP;
		break;
	}

	if (bio->bi_opf & REQ_FUA)
		pmem_wmb();
	if (acct)
		bio_end_io_acct(bio, start);
	bio->bi_status = status;
	bio_endio(bio);
}

/* Last gendisk reference: only page references can reach the memory now. */
static void pmemu_free_disk(struct gendisk *disk)
{
	struct pmemu_dev *pd = disk->private_data;

	pmemu_pages_drain(pd);
}

/*
 * Called under disk->open_mutex.  A PMEMU_NEW device is opened too:
 * device_add_disk() reads the partition table, and udev probes the disk,
 * before pmemu_dev_create() makes the device live.
 */
static int pmemu_bdev_open(struct gendisk *disk, blk_mode_t mode)
{
	struct pmemu_dev *pd = disk->private_data;

	switch (READ_ONCE(pd->state)) {
	case PMEMU_NEW:
	case PMEMU_LIVE:
		return 0;
	default:
		return -ENXIO;
	}
}

static const struct block_device_operations pmemu_bdev_ops = {
	.owner = THIS_MODULE,
	.open = pmemu_bdev_open,
	.submit_bio = pmemu_submit_bio,
	.free_disk = pmemu_free_disk,
};

/*
 * As pmem: bad pages are -EHWPOISON, except that DAX_RECOVERY_WRITE gets
 * the range up to the first bad page.  With errors anywhere on the device,
 * only the requested range is known good.
 */
static long pmemu_dax_direct_access(struct dax_device *dax_dev, pgoff_t pgoff,
				    long nr_pages, enum dax_access_mode mode,
				    void **kaddr, unsigned long *pfn)
{
	struct pmemu_dev *pd = dax_get_private(dax_dev);
	u64 off = PFN_PHYS(pgoff), first_bad;

	if (off >= pmemu_capacity(pd))
		return -ERANGE;
	if (kaddr)
		*kaddr = pd->virt + off;
	if (pfn)
		*pfn = pmemu_data_pfn(pd, off);
	if (pmemu_media_check(pd, off, PFN_PHYS(nr_pages), &first_bad)) {
		if (mode != DAX_RECOVERY_WRITE)
			return -EHWPOISON;
		/* a bad range may begin before @off: then this page is bad */
		return first_bad > off ? max_t(long, 1, PHYS_PFN(first_bad - off)) : 1;
	}
	if (READ_ONCE(pd->bb.count))
		return min_t(long, nr_pages,
			     PHYS_PFN(pmemu_capacity(pd) - off));
	return PHYS_PFN(pmemu_capacity(pd) - off);
}

static int pmemu_dax_zero_page_range(struct dax_device *dax_dev, pgoff_t pgoff,
				     size_t nr_pages)
{
	struct pmemu_dev *pd = dax_get_private(dax_dev);

	pmemu_zero(pd, PFN_PHYS(pgoff), PFN_PHYS(nr_pages));
	return 0;
}

/* As pmem: only whole pages can be recovered. */
static size_t pmemu_dax_recovery_write(struct dax_device *dax_dev,
				       pgoff_t pgoff, void *addr, size_t bytes,
				       struct iov_iter *iter)
{
	struct pmemu_dev *pd = dax_get_private(dax_dev);
	u64 off = PFN_PHYS(pgoff) + offset_in_page(addr);

	if (!pmemu_media_check(pd, off, bytes, NULL))
		return _copy_from_iter_flushcache(addr, bytes, iter);
	if (offset_in_page(addr) || !PAGE_ALIGNED(bytes)) {
		dev_dbg(disk_to_dev(pd->disk),
			"recovery write of %zu bytes at %p is not whole pages\n",
			bytes, addr);
		return 0;
	}
	bytes = _copy_from_iter_flushcache(addr, bytes, iter);
	pmemu_media_clear(pd, off, round_down(bytes, PAGE_SIZE));
	return bytes;
}

static const struct dax_operations pmemu_dax_ops = {
	.direct_access = pmemu_dax_direct_access,
	.zero_page_range = pmemu_dax_zero_page_range,
	.recovery_write = pmemu_dax_recovery_write,
};

static const struct attribute_group *pmemu_fsdax_groups[] = {
	&pmemu_fsdax_attr_group,
	&pmemu_fsdax_dax_group,
	NULL,
};

/*
 * Tell the holder (xfs with rmapbt); without one (ext4), or once the device
 * is dead, -EOPNOTSUPP sends memory_failure() to the generic handler.
 */
static int pmemu_fsdax_memory_failure(struct dev_pagemap *pgmap,
				      unsigned long pfn, unsigned long nr_pages,
				      int mf_flags)
{
	struct pmemu_dev *pd = pmemu_pgmap_dev(pgmap);
	s64 off = pmemu_media_failed(pd, pfn, nr_pages,
				     pmemu_mf_records(pd, mf_flags));
	int ret;

	if (off < 0)
		return off;
	ret = dax_holder_notify_failure(pd->dax_dev, off, PFN_PHYS(nr_pages),
					mf_flags);
	return ret == -ENXIO ? -EOPNOTSUPP : ret;
}

static const struct dev_pagemap_ops pmemu_fsdax_pgmap_ops = {
	.memory_failure = pmemu_fsdax_memory_failure,
};

/*
 * Built in pmem's order, the disk added last so that the device is complete
 * when userspace first sees it.  On error nothing is left allocated.
 */
static int pmemu_fsdax_init(struct pmemu_dev *pd)
{
	struct queue_limits lim = {
		.logical_block_size = SECTOR_SIZE,
		.physical_block_size = PAGE_SIZE,
		.max_hw_sectors = UINT_MAX,
		.max_write_zeroes_sectors = PMEMU_WRITE_ZEROES_MAX >> SECTOR_SHIFT,
		.features = BLK_FEAT_DAX | BLK_FEAT_SYNCHRONOUS |
			    BLK_FEAT_NOWAIT,
	};
	struct dax_device *dax_dev;
	struct gendisk *disk;
	void *addr;
	int ret;

	/* NVDIMM as pmem on ADR: CPU caches are volatile, so flushes matter */
	if (pd->region->persistent)
		lim.features |= BLK_FEAT_WRITE_CACHE | BLK_FEAT_FUA;
	if (pd->cfg.align && pd->cfg.align != PAGE_SIZE) {
		pr_err("%s: align applies to devdax; fsdax pages are 4 KiB (filesystems map 2 MiB themselves)\n",
		       pd->cfg.name);
		return -EINVAL;
	}
	if (pd->cfg.lifetime != PMEMU_LIFETIME_SWEEP) {
		pr_err("%s: lifetime applies to devdax; fsdax page lifetime is the filesystem's\n",
		       pd->cfg.name);
		return -EINVAL;
	}
	disk = blk_alloc_disk(&lim, pd->region->nid);
	if (IS_ERR(disk))
		return PTR_ERR(disk);
	pd->disk = disk;

	addr = pmemu_pages_map(pd, MEMORY_DEVICE_FS_DAX, &pmemu_fsdax_pgmap_ops,
			       0);
	if (IS_ERR(addr)) {
		ret = PTR_ERR(addr);
		goto err_disk;
	}
	pd->virt = addr + pd->data_offset;

	disk->fops = &pmemu_bdev_ops;
	disk->private_data = pd;
	disk->bb = &pd->bb;
	snprintf(disk->disk_name, DISK_NAME_LEN, PMEMU_NAME "%d", pd->id);
	strscpy(pd->devname, disk->disk_name);
	set_capacity(disk, pmemu_capacity(pd) >> SECTOR_SHIFT);

	dax_dev = alloc_dax(pd, &pmemu_dax_ops);
	if (IS_ERR(dax_dev)) {
		ret = PTR_ERR(dax_dev);
		goto err_pages;
	}
	set_dax_nocache(dax_dev);
	set_dax_nomc(dax_dev);
	set_dax_synchronous(dax_dev);
	pd->dax_dev = dax_dev;
	ret = dax_add_host(dax_dev, disk);
	if (ret)
		goto err_dax;
	dax_write_cache(dax_dev, pd->region->persistent);

	/* No parent: the drain may delete the disk after a platform unbind. */
	ret = device_add_disk(NULL, disk, pmemu_fsdax_groups);
	if (ret)
		goto err_host;
	return 0;

err_host:
	dax_remove_host(disk);
err_dax:
	kill_dax(dax_dev);
	put_dax(dax_dev);
	pd->dax_dev = NULL;
err_pages:
	/* the disk was never added: no page can have been used */
	memunmap_pages(&pd->pgmap);
err_disk:
	put_disk(disk);
	pd->disk = NULL;
	return ret;
}

/* If unused, returns holding open_mutex: no open starts until unlocked. */
static int pmemu_fsdax_lock_unused(struct pmemu_dev *pd)
{
	struct gendisk *disk = pd->disk;

	mutex_lock(&disk->open_mutex);
	if (!disk_openers(disk))
		return 0;
	mutex_unlock(&disk->open_mutex);
	pr_err("%s: in use (mounted or open); unmount or close it first\n",
	       disk->disk_name);
	return -EBUSY;
}

static void pmemu_fsdax_unlock_opens(struct pmemu_dev *pd)
{
	mutex_unlock(&pd->disk->open_mutex);
}

/*
 * Bios are fenced only after kill_dax(): xfs with rmapbt handles its
 * MF_MEM_PRE_REMOVE by freezing, which writes the log, and would retry
 * failing log writes forever.  The drain deletes the gendisk later.
 */
static void pmemu_fsdax_teardown(struct pmemu_dev *pd)
{
	dax_remove_host(pd->disk);
	kill_dax(pd->dax_dev);
	WRITE_ONCE(pd->io_fenced, true);
	__module_get(THIS_MODULE);
	pmemu_pages_unpublish(pd);
}

/* From the unpublish work: no page is pinned, deleting should not block. */
static void pmemu_fsdax_unpublish(struct pmemu_dev *pd)
{
	struct gendisk *disk = pd->disk;

	del_gendisk(disk);
	/* may call pmemu_free_disk() right here if nobody else holds it */
	put_disk(disk);
}

/*
 * The dead dax_device was kept because memory_failure() on a page still
 * mapped asks it for its holder.
 */
static void pmemu_fsdax_drained(struct pmemu_dev *pd)
{
	put_dax(pd->dax_dev);
	pd->dax_dev = NULL;
}

static struct device *pmemu_fsdax_device(struct pmemu_dev *pd)
{
	return disk_to_dev(pd->disk);
}

const struct pmemu_personality pmemu_fsdax_ops = {
	.init = pmemu_fsdax_init,
	.lock_unused = pmemu_fsdax_lock_unused,
	.unlock_opens = pmemu_fsdax_unlock_opens,
	.teardown = pmemu_fsdax_teardown,
	.device = pmemu_fsdax_device,
	.unpublish = pmemu_fsdax_unpublish,
	.drained = pmemu_fsdax_drained,
};
