// SPDX-License-Identifier: GPL-2.0
/*
 * need: zone_device_folio_init(folio, pgmap, order) (Linux 7.0): the
 * tracked lifetime initialises a folio on its first touch with it
 */
#include <linux/memremap.h>
#include <linux/mm.h>

void probe(struct folio *folio, struct dev_pagemap *pgmap);
void probe(struct folio *folio, struct dev_pagemap *pgmap)
{
	zone_device_folio_init(folio, pgmap, 9);
}
