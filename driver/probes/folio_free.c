// SPDX-License-Identifier: GPL-2.0
/*
 * need: dev_pagemap_ops.folio_free (Linux 6.19; page_free before): the
 * tracked lifetime drops its page-map reference there
 */
#include <linux/memremap.h>

static void probe_free(struct folio *folio)
{
}

const struct dev_pagemap_ops probe_ops = { .folio_free = probe_free };
