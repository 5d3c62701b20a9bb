// SPDX-License-Identifier: GPL-2.0
/* pmemu devdax counters in debugfs (not ABI) */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "pmemu.h"

#define PMEMU_STAT(_name, _fmt, _expr)					\
static int pmemu_stat_##_name##_show(struct seq_file *m, void *v)	\
{									\
	struct pmemu_dev *pd = m->private;				\
									\
	seq_printf(m, _fmt "\n", _expr);				\
	return 0;							\
}									\
DEFINE_SHOW_ATTRIBUTE(pmemu_stat_##_name)

/* Summed when read: an exact total once the counted events are over */
static unsigned long pmemu_stat_sum(struct pmemu_dev *pd, size_t offset)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += *(unsigned long *)((char *)per_cpu_ptr(pd->dax.stats, cpu) +
					  offset);
	return sum;
}

#define PMEMU_COUNTER(_name, _counter)					\
	PMEMU_STAT(_name, "%lu", pmemu_stat_sum(pd,			\
		   offsetof(struct pmemu_devdax_stats, _counter)))

PMEMU_COUNTER(faults_pte, faults[PMEMU_FAULT_PTE]);
PMEMU_COUNTER(faults_pmd, faults[PMEMU_FAULT_PMD]);
PMEMU_COUNTER(faults_pud, faults[PMEMU_FAULT_PUD]);
PMEMU_COUNTER(fallbacks, fallbacks);
PMEMU_COUNTER(sigbus, sigbus);
PMEMU_COUNTER(folio_inits, folio_inits);
PMEMU_COUNTER(folio_frees, folio_frees);
PMEMU_COUNTER(memory_failures, memory_failures);
PMEMU_STAT(folios, "%lu", pd->dax.nr_folios);
PMEMU_STAT(folios_in_use, "%lu", pmemu_folios_in_use(pd));
/* By the driver's count: 1 << order per live tracked folio, 0 for sweep */
PMEMU_STAT(pgmap_refs_held, "%ld",
	   atomic_long_read(&pd->dax.nr_live) << pd->dax.order);
PMEMU_STAT(vmemmap_shift, "%lu", pd->pgmap.vmemmap_shift);

static const struct {
	const char *name;
	const struct file_operations *fops;
} pmemu_stat_files[] = {
	{ "faults_pte", &pmemu_stat_faults_pte_fops },
	{ "faults_pmd", &pmemu_stat_faults_pmd_fops },
	{ "faults_pud", &pmemu_stat_faults_pud_fops },
	{ "fallbacks", &pmemu_stat_fallbacks_fops },
	{ "sigbus", &pmemu_stat_sigbus_fops },
	{ "folio_inits", &pmemu_stat_folio_inits_fops },
	{ "folio_frees", &pmemu_stat_folio_frees_fops },
	{ "memory_failures", &pmemu_stat_memory_failures_fops },
	{ "folios", &pmemu_stat_folios_fops },
	{ "folios_in_use", &pmemu_stat_folios_in_use_fops },
	{ "pgmap_refs_held", &pmemu_stat_pgmap_refs_held_fops },
	{ "vmemmap_shift", &pmemu_stat_vmemmap_shift_fops },
};

/**
 * pmemu_stats_add() - show a devdax device's counters in debugfs
 * @pd: the device, named and with its folio bookkeeping set up
 */
void pmemu_stats_add(struct pmemu_dev *pd)
{
	struct dentry *dir = debugfs_create_dir(pd->devname,
						pmemu_debugfs_root());
	int i;

	for (i = 0; i < ARRAY_SIZE(pmemu_stat_files); i++)
		debugfs_create_file(pmemu_stat_files[i].name, 0400, dir, pd,
				    pmemu_stat_files[i].fops);
	pd->dax.debugfs = dir;
}

/**
 * pmemu_stats_remove() - remove the counters; no reader is left after it
 * @pd: the device
 */
void pmemu_stats_remove(struct pmemu_dev *pd)
{
	debugfs_remove(pd->dax.debugfs);
	pd->dax.debugfs = NULL;
}
