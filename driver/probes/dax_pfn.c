// SPDX-License-Identifier: GPL-2.0
/*
 * need: dax_operations.direct_access returning an unsigned long pfn
 * (Linux 6.17, when pfn_t went away): the fsdax device's direct_access
 */
#include <linux/dax.h>

static long probe_da(struct dax_device *dax_dev, pgoff_t pgoff, long nr_pages,
		     enum dax_access_mode mode, void **kaddr, unsigned long *pfn)
{
	return 0;
}

const struct dax_operations probe_ops = { .direct_access = probe_da };
