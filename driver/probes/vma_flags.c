// SPDX-License-Identifier: GPL-2.0
/*
 * need: vma_flags_t with vma_flags_test_any() and vma_desc_set_flags()
 * (after Linux 6.15): the devdax mmap checks and sets a mapping's flags
 * with them
 */
#include <linux/mm.h>

bool probe(struct vm_area_desc *desc);
bool probe(struct vm_area_desc *desc)
{
	vma_desc_set_flags(desc, VMA_HUGEPAGE_BIT);
	return vma_flags_test_any(&desc->vma_flags, VMA_MAYSHARE_BIT);
}
