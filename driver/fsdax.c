// SPDX-License-Identifier: GPL-2.0
/*
 * pmemu fsdax personality: a bio-based block device whose memory is also
 * reachable through a dax_device, so ext4 and xfs mount it with -o dax.
 *
 * Modelled on drivers/nvdimm/pmem.c.  On reserved RAM nothing survives a
 * power cycle, so there is no cache worth flushing: the queue advertises
 * neither a write cache nor FUA.  On an NVDIMM region (nfit.c) the CPU
 * caches are the volatile part, as for pmem: write cache, FUA and
 * dax_write_cache() are on.  MAP_SYNC is allowed on both
 * (set_dax_synchronous).  Writes use non-temporal stores and reads the
 * machine-check safe copy, as on real pmem.
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

/*
 * Work one WRITE_ZEROES bio may ask of its submitter (some 10 ms of
 * non-temporal stores); the block layer splits larger requests.
 */
#define PMEMU_WRITE_ZEROES_MAX	SZ_64M

/*
 * Write zeroes to [off, off + len) of the device, non-temporally; like any
 * write of whole sectors, this clears their media errors.  Yields every
 * 2 MiB where the kernel is not preemptible.
 */
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

	/* fenced: the device is being taken away */
	if (unlikely(READ_ONCE(pd->io_fenced))) {
		bio_io_error(bio);
		return;
	}
	acct = blk_queue_io_stat(bio->bi_bdev->bd_disk->queue);
	if (acct)
		start = bio_start_io_acct(bio);
	/*
	 * Only persistent regions advertise a write cache (see init): the
	 * data is written with non-temporal stores, so draining the write
	 * buffers makes it durable, as nvdimm_flush() does for pmem without
	 * flush hints.
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

/*
 * The last reference to the gendisk is gone: no filesystem is mounted on it
 * and nobody has it open, so only page references can still reach the
 * device's memory.  Drain them (pagemap.c).
 */
static void pmemu_free_disk(struct gendisk *disk)
{
	struct pmemu_dev *pd = disk->private_data;

	pmemu_pages_drain(pd);
}

/*
 * Called under disk->open_mutex: a device being taken away takes no opener.
 * A new one does: device_add_disk() reads the partition table, and udev
 * probes the disk, before pmemu_dev_create() makes the device live.
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
 * As pmem: a range holding a media error is -EHWPOISON for DAX_ACCESS; for
 * DAX_RECOVERY_WRITE it is handed out up to the first bad page (at least
 * one page), which ->recovery_write then clears and writes.  With errors
 * on the device, only the requested range is known good.
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

/*
 * fs/dax writes here when direct_access() reported -EHWPOISON: as on pmem,
 * only whole pages can be recovered; their errors are cleared and the data
 * written.  A range without errors is an ordinary write.
 */
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
 * fsdax: tell the filesystem holding the dax_device (xfs with rmapbt kills
 * the processes mapping the file range); without a holder (ext4) or once
 * the device is dead, -EOPNOTSUPP sends memory_failure() to the generic
 * handler, which kills through folio->mapping, as for pmem.
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
	/* the dax_device is put only once every page is idle (drained) */
	ret = dax_holder_notify_failure(pd->dax_dev, off, PFN_PHYS(nr_pages),
					mf_flags);
	return ret == -ENXIO ? -EOPNOTSUPP : ret;
}

/* page map callbacks of an fsdax device */
static const struct dev_pagemap_ops pmemu_fsdax_pgmap_ops = {
	.memory_failure = pmemu_fsdax_memory_failure,
};

/*
 * pmemu_fsdax_init() - make an extent into /dev/pmemuN
 * @pd: device with its extent reserved (cfg, region, phys, id set)
 *
 * Maps struct pages for the extent (MEMORY_DEVICE_FS_DAX; with map=dev the
 * memmap takes the first data_offset bytes), then builds the gendisk and its
 * dax_device in pmem's order and adds the disk last, so the device is
 * complete the moment userspace can see it.
 *
 * Return: 0 or a negative errno; on error nothing is left allocated.
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

	/*
	 * Reserved RAM loses everything at power-off anyway: no cache to
	 * flush.  An NVDIMM region behaves like pmem on a platform whose
	 * persistence domain is the memory controller (ADR): CPU caches are
	 * volatile, so filesystems must flush (REQ_PREFLUSH/FUA, and
	 * dax_flush() writing back cache lines for fsync/msync of DAX files).
	 */
	if (pd->region->persistent)
		lim.features |= BLK_FEAT_WRITE_CACHE | BLK_FEAT_FUA;
	/* bad input allocates nothing */
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

	/*
	 * No parent: the gendisk may outlive the platform device (it is
	 * deleted by the drain, after a platform unbind returned), and a
	 * device must not outlive its parent's registration.
	 */
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

/*
 * Under the gendisk's open_mutex, which every open takes: a device with no
 * opener (no mounted filesystem, no process) gets none until unlocked.
 */
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
 * pmemu_fsdax_teardown() - take /dev/pmemuN away
 * @pd: device claimed for teardown (state PMEMU_DEAD)
 *
 * The one teardown path.  Fence, in the caller: the dax host goes,
 * kill_dax() makes DAX faults and direct_access fail and waits for those in
 * flight, then new bios fail.  Block I/O stays up until kill_dax() has
 * returned because xfs with rmapbt handles its MF_MEM_PRE_REMOVE by
 * freezing the filesystem (log writes), unmapping its users with SIGBUS and
 * shutting down; with I/O failing the freeze would retry its log writes
 * forever.  A module reference is held, and the dead dax_device kept, from
 * here until the pages are freed.  Then the drain deletes the gendisk
 * (a mounted filesystem is told the disk is dead and shuts down) once that
 * cannot block on pinned pages (pmemu_fsdax_unpublish()), and frees the
 * struct pages when the gendisk has been released and no page is mapped or
 * pinned (pagemap.c).
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
 * Every page is idle and the page map gone.  The dead dax_device was kept
 * until now because memory_failure() on a page still mapped may ask it for
 * its holder (pmemu_fsdax_memory_failure()).
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
