// SPDX-License-Identifier: GPL-2.0
/*
 * pmemu devdax personality: /dev/pmemuN.dax, modelled on
 * drivers/dax/device.c.  A fault maps exactly the device's align, so no
 * subpage of a compound folio is ever mapped by a PTE.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cdev.h>
#include <linux/dax.h>
#include <linux/fs.h>
#include <linux/huge_mm.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/pfn.h>
#include <linux/sched/signal.h>

#include "pmemu.h"

static struct pmemu_dev *devdax_to_pmemu_dev(struct device *dev)
{
	return container_of(dev, struct pmemu_dev, dax.dev);
}

static int pmemu_check_vma(struct pmemu_dev *pd, vma_flags_t flags,
			   unsigned long start, unsigned long end,
			   pgoff_t pgoff, struct file *file)
{
	u64 mask = pd->cfg.align - 1;

	if (!dax_alive(pd->dax_dev))
		return -ENXIO;
	if (!vma_flags_test_any(&flags, VMA_MAYSHARE_BIT)) {
		dev_info_ratelimited(&pd->dax.dev,
				     "%s: private mapping refused: devdax is MAP_SHARED only\n",
				     current->comm);
		return -EINVAL;
	}
	if ((start & mask) || (end & mask) || (((u64)pgoff << PAGE_SHIFT) & mask)) {
		dev_info_ratelimited(&pd->dax.dev,
				     "%s: mapping [%#lx-%#lx) at offset %#llx is not aligned to align %#llx\n",
				     current->comm, start, end,
				     (u64)pgoff << PAGE_SHIFT, pd->cfg.align);
		return -EINVAL;
	}
	if (!file_is_dax(file)) {
		dev_info_ratelimited(&pd->dax.dev,
				     "%s: file is not DAX capable\n",
				     current->comm);
		return -EINVAL;
	}
	return 0;
}

static vm_fault_t pmemu_insert(struct vm_fault *vmf, struct folio *folio,
			       unsigned int order, bool write)
{
	if (order == PUD_ORDER)
		return vmf_insert_folio_pud(vmf, folio, write);
	if (order == PMD_ORDER)
		return vmf_insert_folio_pmd(vmf, folio, write);
	return vmf_insert_page_mkwrite(vmf, &folio->page, write);
}

/*
 * For a page the arch handler's SIGBUS says it all.  A larger folio's size
 * is signalled here: VM_FAULT_HWPOISON_LARGE names a hugetlb hstate, which
 * a devdax folio has none of (the arch handler's own SIGBUS is dropped
 * while ours is pending).
 */
static vm_fault_t pmemu_devdax_poisoned(struct vm_fault *vmf,
					unsigned long addr, unsigned int order)
{
	if (order && (vmf->flags & FAULT_FLAG_USER))
		send_sig_mceerr(BUS_MCEERR_AR, (void __user *)addr,
				PAGE_SHIFT + order, current);
	return VM_FAULT_HWPOISON;
}

/* A fault of 1 << order pages; the caller holds dax_read_lock(). */
static vm_fault_t pmemu_devdax_fault_locked(struct pmemu_dev *pd,
					    struct vm_fault *vmf,
					    unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long size = PAGE_SIZE << order;
	unsigned long addr = vmf->address & ~(size - 1);
	struct folio *folio;
	vm_fault_t ret;
	pgoff_t pgoff;

	if (pmemu_check_vma(pd, vma->flags, vma->vm_start, vma->vm_end,
			    vma->vm_pgoff, vma->vm_file))
		return VM_FAULT_SIGBUS;
	if (size < pd->cfg.align)
		return VM_FAULT_SIGBUS;
	if (size > pd->cfg.align)
		return VM_FAULT_FALLBACK;
	if (order != 0 && order != PMD_ORDER && order != PUD_ORDER)
		return VM_FAULT_SIGBUS;
	if (addr < vma->vm_start || addr + size > vma->vm_end)
		return VM_FAULT_SIGBUS;
	pgoff = linear_page_index(vma, addr);
	if ((u64)pgoff << PAGE_SHIFT >= pmemu_capacity(pd))
		return VM_FAULT_SIGBUS;

	if (pmemu_media_check(pd, (u64)pgoff << PAGE_SHIFT, size, NULL))
		return pmemu_devdax_poisoned(vmf, addr, order);

	pmemu_hold(PMEMU_HOLD_FAULT_INSERT);
	folio = pfn_folio(pmemu_data_pfn(pd, 0) + pgoff);
	if (pmemu_folio_prepare_insert(pd, folio, vma->vm_file->f_mapping,
				       pgoff))
		return VM_FAULT_SIGBUS;
	ret = pmemu_insert(vmf, folio, order, vmf->flags & FAULT_FLAG_WRITE);
	pmemu_folio_finish_insert(pd, folio);
	/* an error injected since the check found nothing to unmap yet */
	if (ret == VM_FAULT_NOPAGE)
		pmemu_media_recheck(pd, (u64)pgoff << PAGE_SHIFT, size);
	return ret;
}

static vm_fault_t pmemu_devdax_huge_fault(struct vm_fault *vmf,
					  unsigned int order)
{
	struct pmemu_dev *pd = vmf->vma->vm_file->private_data;
	struct pmemu_devdax_stats __percpu *st = pd->dax.stats;
	vm_fault_t ret;
	int id;

	id = dax_read_lock();
	ret = pmemu_devdax_fault_locked(pd, vmf, order);
	dax_read_unlock(id);

	if (ret & VM_FAULT_FALLBACK)
		this_cpu_inc(st->fallbacks);
	else if (ret & (VM_FAULT_SIGBUS | VM_FAULT_HWPOISON))
		this_cpu_inc(st->sigbus);
	else if (ret == VM_FAULT_NOPAGE)
		this_cpu_inc(st->faults[order == PUD_ORDER ? PMEMU_FAULT_PUD :
					order ? PMEMU_FAULT_PMD :
						PMEMU_FAULT_PTE]);
	return ret;
}

static vm_fault_t pmemu_devdax_fault(struct vm_fault *vmf)
{
	return pmemu_devdax_huge_fault(vmf, 0);
}

/* Splitting a VMA inside a folio would need PTEs on its subpages. */
static int pmemu_devdax_may_split(struct vm_area_struct *vma,
				  unsigned long addr)
{
	struct pmemu_dev *pd = vma->vm_file->private_data;

	return IS_ALIGNED(addr, pd->cfg.align) ? 0 : -EINVAL;
}

static unsigned long pmemu_devdax_pagesize(struct vm_area_struct *vma)
{
	struct pmemu_dev *pd = vma->vm_file->private_data;

	return pd->cfg.align;
}

static const struct vm_operations_struct pmemu_devdax_vm_ops = {
	.fault = pmemu_devdax_fault,
	.huge_fault = pmemu_devdax_huge_fault,
	.may_split = pmemu_devdax_may_split,
	.pagesize = pmemu_devdax_pagesize,
};

static int pmemu_devdax_mmap_prepare(struct vm_area_desc *desc)
{
	struct pmemu_dev *pd = desc->file->private_data;
	int ret, id;

	/* checked again at every fault: the device may die meanwhile */
	id = dax_read_lock();
	ret = pmemu_check_vma(pd, desc->vma_flags, desc->start, desc->end,
			      desc->pgoff, desc->file);
	dax_read_unlock(id);
	if (ret)
		return ret;
	desc->vm_ops = &pmemu_devdax_vm_ops;
	vma_desc_set_flags(desc, VMA_HUGEPAGE_BIT);
	return 0;
}

/* Aligned like the file offset to align, 1 GiB too (unlike THP's helper). */
static unsigned long pmemu_devdax_get_unmapped_area(struct file *filp,
						    unsigned long addr,
						    unsigned long len,
						    unsigned long pgoff,
						    unsigned long flags)
{
	struct pmemu_dev *pd = filp ? filp->private_data : NULL;
	unsigned long off, off_end, off_align, len_align, addr_align, align;

	if (!pd || addr)
		goto out;
	align = pd->cfg.align;
	off = pgoff << PAGE_SHIFT;
	off_end = off + len;
	off_align = round_up(off, align);
	if (off_end <= off_align || off_end - off_align < align)
		goto out;
	len_align = len + align;
	if (off + len_align < off)
		goto out;
	addr_align = mm_get_unmapped_area(filp, addr, len_align, pgoff, flags);
	if (!IS_ERR_VALUE(addr_align))
		return addr_align + ((off - addr_align) & (align - 1));
out:
	return mm_get_unmapped_area(filp, addr, len, pgoff, flags);
}

static const struct address_space_operations pmemu_devdax_aops = {
	/* shared write faults mark the folio dirty: nothing to write back */
	.dirty_folio = noop_dirty_folio,
};

static int pmemu_devdax_open(struct inode *inode, struct file *filp)
{
	struct dax_device *dax_dev = inode_dax(inode);
	struct inode *host = dax_inode(dax_dev);
	struct pmemu_dev *pd = dax_get_private(dax_dev);

	/* chrdev_open holds the cdev, which holds the device and so @pd */
	if (!pd)
		return -ENXIO;
	mutex_lock(&pd->dax.open_lock);
	if (READ_ONCE(pd->state) != PMEMU_LIVE) {
		mutex_unlock(&pd->dax.open_lock);
		return -ENXIO;
	}
	pd->dax.openers++;
	mutex_unlock(&pd->dax.open_lock);

	/* one address_space, hosted by the S_DAX dax inode, for all openers */
	inode->i_mapping = host->i_mapping;
	inode->i_mapping->host = host;
	inode->i_mapping->a_ops = &pmemu_devdax_aops;
	filp->f_mapping = inode->i_mapping;
	filp->f_wb_err = filemap_sample_wb_err(filp->f_mapping);
	filp->f_sb_err = file_sample_sb_err(filp);
	filp->private_data = pd;
	inode->i_flags = S_DAX;
	return 0;
}

static int pmemu_devdax_release(struct inode *inode, struct file *filp)
{
	struct pmemu_dev *pd = filp->private_data;

	mutex_lock(&pd->dax.open_lock);
	pd->dax.openers--;
	mutex_unlock(&pd->dax.open_lock);
	return 0;
}

static const struct file_operations pmemu_devdax_fops = {
	.owner = THIS_MODULE,
	.llseek = noop_llseek,
	.open = pmemu_devdax_open,
	.release = pmemu_devdax_release,
	.get_unmapped_area = pmemu_devdax_get_unmapped_area,
	.mmap_prepare = pmemu_devdax_mmap_prepare,
	.fop_flags = FOP_MMAP_SYNC,
};

static const struct attribute_group *pmemu_devdax_groups[] = {
	&pmemu_devdax_attr_group,
	NULL,
};

/* Last chardev reference: no mapping or fault is left, only pins. */
static void pmemu_devdax_dev_release(struct device *dev)
{
	struct pmemu_dev *pd = devdax_to_pmemu_dev(dev);

	/* a device that never went live is unwound by pmemu_devdax_init() */
	if (pd->state == PMEMU_NEW)
		complete(&pd->dax.unwound);
	else
		pmemu_pages_drain(pd);
}

static const struct device_type pmemu_devdax_type = {
	.name = "pmemu_devdax",
	.groups = pmemu_devdax_groups,
	.release = pmemu_devdax_dev_release,
};

/* The generic handler deals with the mappers of GENERIC pages. */
static int pmemu_sweep_memory_failure(struct dev_pagemap *pgmap,
				      unsigned long pfn, unsigned long nr_pages,
				      int mf_flags)
{
	struct pmemu_dev *pd = pmemu_pgmap_dev(pgmap);
	s64 off = pmemu_media_failed(pd, pfn, nr_pages,
				     pmemu_mf_records(pd, mf_flags));

	if (off < 0)
		return off;
	this_cpu_add(pd->dax.stats->memory_failures, nr_pages);
	return -EOPNOTSUPP;
}

static const struct dev_pagemap_ops pmemu_sweep_pgmap_ops = {
	.memory_failure = pmemu_sweep_memory_failure,
};

/* Address of @off in the current task's first mapping of @pd, or 0. */
static unsigned long pmemu_current_addr(struct pmemu_dev *pd, u64 off)
{
	struct address_space *mapping = dax_inode(pd->dax_dev)->i_mapping;
	struct mm_struct *mm = current->mm;
	pgoff_t pgoff = off >> PAGE_SHIFT;
	struct vm_area_struct *vma;
	struct vma_iterator vmi;
	unsigned long addr = 0;

	if (!mm)
		return 0;
	mmap_read_lock(mm);
	vma_iter_init(&vmi, mm, 0);
	for_each_vma(vmi, vma) {
		if (!vma->vm_file || vma->vm_file->f_mapping != mapping ||
		    pgoff < vma->vm_pgoff || pgoff - vma->vm_pgoff >= vma_pages(vma))
			continue;
		addr = vma->vm_start + ((pgoff - vma->vm_pgoff) << PAGE_SHIFT);
		break;
	}
	mmap_read_unlock(mm);
	return addr;
}

/*
 * The generic handler refuses device-coherent pages, so unmap here.  A
 * module cannot walk the rmap: a recorded error signals each mapper at its
 * next fault; unrecorded software poison signals only the current task.
 * force_sig_mceerr() is not exported: a task blocking SIGBUS gets it when
 * it unblocks.
 */
static int pmemu_tracked_memory_failure(struct dev_pagemap *pgmap,
					unsigned long pfn, unsigned long nr_pages,
					int mf_flags)
{
	struct pmemu_dev *pd = pmemu_pgmap_dev(pgmap);
	bool record = pmemu_mf_records(pd, mf_flags);
	s64 off = pmemu_media_failed(pd, pfn, nr_pages, record);
	unsigned long addr = 0;

	if (off < 0)
		return off;
	this_cpu_add(pd->dax.stats->memory_failures, nr_pages);
	if (!record)
		addr = pmemu_current_addr(pd, off);
	smp_mb();	/* see pmemu_media_recheck() */
	pmemu_media_unmap(pd, off, PFN_PHYS(nr_pages));
	if (addr)
		send_sig_mceerr(BUS_MCEERR_AR, (void __user *)addr,
				ilog2(pd->cfg.align), current);
	return 0;
}

static const struct dev_pagemap_ops pmemu_tracked_pgmap_ops = {
	.folio_free = pmemu_tracked_folio_free,
	.memory_failure = pmemu_tracked_memory_failure,
};

/* Both lifetimes build the folios once; tracked ones start free (refcount 0). */
static void *pmemu_devdax_map_pages(struct pmemu_dev *pd)
{
	bool tracked = pd->cfg.lifetime == PMEMU_LIFETIME_TRACKED;

	return pmemu_pages_map(pd, tracked ? MEMORY_DEVICE_COHERENT :
					     MEMORY_DEVICE_GENERIC,
			       tracked ? &pmemu_tracked_pgmap_ops :
					 &pmemu_sweep_pgmap_ops,
			       pd->dax.order);
}

/* The chardev is added last; on error nothing is left allocated. */
static int pmemu_devdax_init(struct pmemu_dev *pd)
{
	struct device *dev = &pd->dax.dev;
	struct dax_device *dax_dev;
	struct inode *inode;
	void *addr;
	int ret;

	ret = pmemu_folios_init(pd);
	if (ret)
		return ret;
	mutex_init(&pd->dax.open_lock);
	addr = pmemu_devdax_map_pages(pd);
	if (IS_ERR(addr)) {
		ret = PTR_ERR(addr);
		goto err_folios;
	}
	pd->virt = addr + pd->data_offset;

	/* no dax_operations: nothing calls direct_access on a devdax device */
	dax_dev = alloc_dax(pd, NULL);
	if (IS_ERR(dax_dev)) {
		ret = PTR_ERR(dax_dev);
		goto err_pages;
	}
	pd->dax_dev = dax_dev;
	inode = dax_inode(dax_dev);
	pd->dax.cdev = inode->i_cdev;
	cdev_init(pd->dax.cdev, &pmemu_devdax_fops);
	pd->dax.cdev->owner = THIS_MODULE;

	snprintf(pd->devname, sizeof(pd->devname), PMEMU_NAME "%d.dax", pd->id);
	init_completion(&pd->dax.unwound);
	device_initialize(dev);
	dev->class = &pmemu_class;
	dev->type = &pmemu_devdax_type;
	dev->parent = &pd->region->dev;
	dev->devt = inode->i_rdev;
	ret = dev_set_name(dev, "%s", pd->devname);
	if (ret)
		goto err_dev;
	ret = cdev_device_add(pd->dax.cdev, dev);
	if (ret)
		goto err_dev;
	pmemu_stats_add(pd);
	return 0;

err_dev:
	/*
	 * Still PMEMU_NEW: the release only completes @unwound.  It may run
	 * after this put, and @dev lives in @pd, which our caller frees.
	 */
	put_device(dev);
	wait_for_completion(&pd->dax.unwound);
	kill_dax(dax_dev);
	put_dax(dax_dev);
	pd->dax_dev = NULL;
err_pages:
	/* nothing could map a page yet */
	memunmap_pages(&pd->pgmap);
err_folios:
	pmemu_folios_exit(pd);
	return ret;
}

/* If unused, returns holding open_lock: no open starts until unlocked. */
static int pmemu_devdax_lock_unused(struct pmemu_dev *pd)
{
	unsigned int openers;

	mutex_lock(&pd->dax.open_lock);
	openers = pd->dax.openers;
	if (!openers)
		return 0;
	mutex_unlock(&pd->dax.open_lock);
	pr_err("%s: in use (%u open files); close or unmap it first\n",
	       pd->devname, openers);
	return -EBUSY;
}

static void pmemu_devdax_unlock_opens(struct pmemu_dev *pd)
{
	mutex_unlock(&pd->dax.open_lock);
}

/*
 * Open files survive the node; kill_dax() waits for faults inside
 * dax_read_lock() and fails later ones.  The pages drain once the last
 * file is closed (pmemu_devdax_dev_release()).
 */
static void pmemu_devdax_teardown(struct pmemu_dev *pd)
{
	cdev_device_del(pd->dax.cdev, &pd->dax.dev);
	kill_dax(pd->dax_dev);
	unmap_mapping_range(dax_inode(pd->dax_dev)->i_mapping, 0, 0, 1);
	__module_get(THIS_MODULE);
	/* may call pmemu_devdax_dev_release() right here */
	put_device(&pd->dax.dev);
}

static struct device *pmemu_devdax_device(struct pmemu_dev *pd)
{
	return &pd->dax.dev;
}

/* Counter readers walk the struct pages: gone before the page map. */
static void pmemu_devdax_idle(struct pmemu_dev *pd)
{
	pmemu_stats_remove(pd);
}

/* The dax inode was kept: idle sweep folios point at its address_space. */
static void pmemu_devdax_drained(struct pmemu_dev *pd)
{
	put_dax(pd->dax_dev);
	pd->dax_dev = NULL;
	pmemu_folios_exit(pd);
}

const struct pmemu_personality pmemu_devdax_ops = {
	.init = pmemu_devdax_init,
	.lock_unused = pmemu_devdax_lock_unused,
	.unlock_opens = pmemu_devdax_unlock_opens,
	.teardown = pmemu_devdax_teardown,
	.device = pmemu_devdax_device,
	.idle = pmemu_devdax_idle,
	.drained = pmemu_devdax_drained,
};
