// SPDX-License-Identifier: GPL-2.0
/* pmemu NVDIMM backend: persistent-memory ranges of the ACPI NFIT */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/acpi.h>
#include <linux/ioport.h>
#include <linux/module.h>
#include <linux/uuid.h>

#include "pmemu.h"

#ifdef CONFIG_ACPI
/* ACPI 6: the SPA range type GUID of persistent memory */
static const guid_t pmemu_spa_pm_guid =
	GUID_INIT(0x66f0d379, 0xb4f3, 0x4074,
		  0xac, 0x43, 0x0d, 0x33, 0x18, 0xb7, 0x8c, 0xdb);

static void pmemu_nfit_spa(const struct acpi_nfit_system_address *spa)
{
	u64 start = spa->address, size = spa->length;
	int ret;

	if (!guid_equal((const guid_t *)spa->range_guid, &pmemu_spa_pm_guid))
		return;
	if (pmemu_source_of(start, size) == PMEMU_SRC_NDCTL) {
		pr_info("NVDIMM range [%#llx-%#llx] (NFIT SPA %u) belongs to the nfit driver; 'pmemuctl claim-region --ndctl-region regionN' (see 'ndctl list -R') hands it to pmemu\n",
			start, start + size - 1, spa->range_index);
		return;
	}
	ret = pmemu_range_add(start, size, PMEMU_SRC_NFIT);
	if (ret)
		pr_warn("NVDIMM range [%#llx-%#llx] (NFIT SPA %u) not used: %d\n",
			start, start + size - 1, spa->range_index, ret);
}

/**
 * pmemu_nfit_scan() - make regions of the NFIT's persistent-memory ranges
 *
 * Context: module load.  Ranges that cannot be used are logged and
 * skipped; the NFIT is optional, so this never fails the load.
 */
void pmemu_nfit_scan(void)
{
	struct acpi_table_header *tbl;
	struct acpi_nfit_header *hdr;
	void *p, *end;

	if (ACPI_FAILURE(acpi_get_table(ACPI_SIG_NFIT, 0, &tbl)))
		return;
	p = (void *)tbl + sizeof(struct acpi_table_nfit);
	end = (void *)tbl + tbl->length;
	while (p + sizeof(*hdr) <= end) {
		hdr = p;
		if (hdr->length < sizeof(*hdr) || p + hdr->length > end) {
			pr_warn("NFIT: malformed subtable at offset %#lx; NVDIMM ranges after it ignored\n",
				(unsigned long)(p - (void *)tbl));
			break;
		}
		if (hdr->type == ACPI_NFIT_TYPE_SYSTEM_ADDRESS &&
		    hdr->length >= offsetofend(struct acpi_nfit_system_address,
					       memory_mapping))
			pmemu_nfit_spa(p);
		p += hdr->length;
	}
	acpi_put_table(tbl);
}
#else
void pmemu_nfit_scan(void)
{
}
#endif
