// SPDX-License-Identifier: GPL-2.0
/*
 * need: vmf_insert_page_mkwrite(), vmf_insert_folio_pmd() and
 * vmf_insert_folio_pud() (Linux 6.15): the refcounted insert paths every
 * devdax fault maps a folio with
 */
#include <linux/mm.h>
#include <linux/huge_mm.h>

vm_fault_t probe(struct vm_fault *vmf, struct folio *folio);
vm_fault_t probe(struct vm_fault *vmf, struct folio *folio)
{
	return vmf_insert_page_mkwrite(vmf, &folio->page, true) |
	       vmf_insert_folio_pmd(vmf, folio, true) |
	       vmf_insert_folio_pud(vmf, folio, true);
}
