// SPDX-License-Identifier: GPL-2.0
/*
 * need: file_operations.mmap_prepare and struct vm_area_desc (after Linux
 * 6.15): the devdax character device sets up a mapping through them
 */
#include <linux/fs.h>
#include <linux/mm_types.h>

static int probe_prepare(struct vm_area_desc *desc)
{
	return 0;
}

const struct file_operations probe_fops = { .mmap_prepare = probe_prepare };
