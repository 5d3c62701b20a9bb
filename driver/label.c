// SPDX-License-Identifier: GPL-2.0
/*
 * pmemu labels: a region's named devices, recorded in the last 128 KiB of
 * its range so that the next probe brings them back (docs/design.md,
 * "Labels").  The area holds two copies, each with a sequence number and
 * a checksum; a write goes to the copy that is not active, so an update
 * cut short by a power failure leaves the old layout or the new one.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/crc32.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/barrier.h>

#include "pmemu.h"

#define PMEMU_LABEL_MAGIC	"PMEMULBL"
#define PMEMU_LABEL_VERSION	1
#define PMEMU_LABEL_COPY	(PMEMU_LABEL_AREA / 2)

/* Little-endian on the media; a copy is a header and @nr records. */
struct pmemu_label_hdr {
	u8 magic[8];
	__le32 version;
	__le32 hdr_size;
	__le32 rec_size;
	__le32 nr;
	__le64 seq;
	__le32 checksum;	/* crc32c of the copy, this field taken as 0 */
	u8 reserved[28];
};

struct pmemu_label_rec {
	u8 uuid[16];
	char name[PMEMU_NAME_LEN];	/* NUL-terminated, not empty */
	__le64 offset;
	__le64 size;
	__le64 align;
	__le32 mode;		/* enum pmemu_mode */
	__le32 map;		/* enum pmemu_map */
	__le32 lifetime;	/* enum pmemu_lifetime */
	__le32 flags;		/* 0 */
	u8 reserved[40];
};

static_assert(sizeof(struct pmemu_label_hdr) == 64);
static_assert(sizeof(struct pmemu_label_rec) == 128);

#define PMEMU_LABEL_MAX	((PMEMU_LABEL_COPY - sizeof(struct pmemu_label_hdr)) / \
			 sizeof(struct pmemu_label_rec))

/**
 * pmemu_labels_max() - how many devices a label area records
 *
 * Return: the number of records a copy has room for.
 */
unsigned int pmemu_labels_max(void)
{
	return PMEMU_LABEL_MAX;
}

static size_t pmemu_label_bytes(unsigned int nr)
{
	return sizeof(struct pmemu_label_hdr) +
	       nr * sizeof(struct pmemu_label_rec);
}

static u32 pmemu_label_csum(const void *copy, size_t len)
{
	const size_t at = offsetof(struct pmemu_label_hdr, checksum);
	const size_t after = offsetofend(struct pmemu_label_hdr, checksum);
	const __le32 zero = 0;
	u32 crc;

	crc = crc32c(0, copy, at);
	crc = crc32c(crc, &zero, sizeof(zero));
	return crc32c(crc, copy + after, len - after);
}

/* Why record @i of @all cannot be a device of @region, or NULL. */
static const char *pmemu_label_rec_problem(const struct pmemu_region *region,
					   const struct pmemu_label *all,
					   unsigned int i)
{
	const struct pmemu_dev_config *c = &all[i].cfg, *prev;
	unsigned int j;

	/* a name mkdir can make, so that a configfs item can manage it */
	if (!c->name[0] || strchr(c->name, '/') || !strcmp(c->name, ".") ||
	    !strcmp(c->name, ".."))
		return "a record has no valid name";
	if (c->align && c->align != PAGE_SIZE && c->align != PMD_SIZE &&
	    c->align != PUD_SIZE)
		return "a record has an unknown setting";
	if (!c->size || !IS_ALIGNED(c->offset | c->size, PMEMU_MIN_ALIGN) ||
	    c->offset >= region->capacity ||
	    c->size > region->capacity - c->offset)
		return "a record's extent is not in the region";
	if (!i)
		return NULL;
	prev = &all[i - 1].cfg;
	if (c->offset < prev->offset + prev->size)
		return "records overlap or are out of order";
	for (j = 0; j < i; j++)
		if (!strcmp(all[j].cfg.name, c->name))
			return "two records have the same name";
	return NULL;
}

/*
 * Decode the copy at @copy (@len bytes, read from the media) into @out.
 * Return: NULL if it is a valid copy, else why not.
 */
static const char *pmemu_label_decode(const struct pmemu_region *region,
				      const void *copy, struct pmemu_label *out,
				      unsigned int *nr, u64 *seq)
{
	const struct pmemu_label_hdr *h = copy;
	const struct pmemu_label_rec *r = copy + sizeof(*h);
	const char *why;
	unsigned int i, n;

	/* never written: a valid copy of no device, older than any other */
	if (!memchr_inv(copy, 0, PMEMU_LABEL_COPY)) {
		*nr = 0;
		*seq = 0;
		return NULL;
	}
	if (memcmp(h->magic, PMEMU_LABEL_MAGIC, sizeof(h->magic)))
		return "no label header";
	if (le32_to_cpu(h->version) != PMEMU_LABEL_VERSION ||
	    le32_to_cpu(h->hdr_size) != sizeof(*h) ||
	    le32_to_cpu(h->rec_size) != sizeof(*r))
		return "an unknown label version";
	n = le32_to_cpu(h->nr);
	if (n > PMEMU_LABEL_MAX)
		return "more records than fit";
	if (le32_to_cpu(h->checksum) != pmemu_label_csum(copy, pmemu_label_bytes(n)))
		return "a bad checksum";
	for (i = 0; i < n; i++, r++) {
		struct pmemu_label *l = &out[i];

		if (le32_to_cpu(r->mode) > PMEMU_MODE_DEVDAX ||
		    le32_to_cpu(r->map) > PMEMU_MAP_DEV ||
		    le32_to_cpu(r->lifetime) > PMEMU_LIFETIME_TRACKED)
			return "a record has an unknown setting";
		memset(l, 0, sizeof(*l));
		import_uuid(&l->uuid, r->uuid);
		memcpy(l->cfg.name, r->name, sizeof(r->name));
		if (l->cfg.name[PMEMU_NAME_LEN - 1])
			return "a record has no valid name";
		l->cfg.region = region->id;
		l->cfg.offset = le64_to_cpu(r->offset);
		l->cfg.size = le64_to_cpu(r->size);
		l->cfg.align = le64_to_cpu(r->align);
		l->cfg.mode = le32_to_cpu(r->mode);
		l->cfg.map = le32_to_cpu(r->map);
		l->cfg.lifetime = le32_to_cpu(r->lifetime);
		if (r->flags)
			return "a record has unknown flags";
		why = pmemu_label_rec_problem(region, out, i);
		if (why)
			return why;
	}
	*nr = n;
	*seq = le64_to_cpu(h->seq);
	return NULL;
}

/* Build a copy of @nr labels with sequence number @seq in @buf. */
static size_t pmemu_label_encode(void *buf, const struct pmemu_label *labels,
				 unsigned int nr, u64 seq)
{
	struct pmemu_label_hdr *h = buf;
	struct pmemu_label_rec *r = buf + sizeof(*h);
	size_t len = pmemu_label_bytes(nr);
	unsigned int i;

	memset(buf, 0, len);
	memcpy(h->magic, PMEMU_LABEL_MAGIC, sizeof(h->magic));
	h->version = cpu_to_le32(PMEMU_LABEL_VERSION);
	h->hdr_size = cpu_to_le32(sizeof(*h));
	h->rec_size = cpu_to_le32(sizeof(*r));
	h->nr = cpu_to_le32(nr);
	h->seq = cpu_to_le64(seq);
	for (i = 0; i < nr; i++, r++) {
		const struct pmemu_dev_config *c = &labels[i].cfg;

		export_uuid(r->uuid, &labels[i].uuid);
		strscpy(r->name, c->name);
		r->offset = cpu_to_le64(c->offset);
		r->size = cpu_to_le64(c->size);
		r->align = cpu_to_le64(c->align);
		r->mode = cpu_to_le32(c->mode);
		r->map = cpu_to_le32(c->map);
		r->lifetime = cpu_to_le32(c->lifetime);
	}
	h->checksum = cpu_to_le32(pmemu_label_csum(buf, len));
	return len;
}

static void *pmemu_label_slot(const struct pmemu_labels *ls, unsigned int slot)
{
	return ls->area + slot * PMEMU_LABEL_COPY;
}

/*
 * Write @len bytes of @buf to @slot as the NVDIMM write path does
 * (non-temporal stores, then the write-buffer drain).  @held: the holds
 * a test uses to cut the power in the middle of the write and after it.
 */
static void pmemu_label_write(struct pmemu_labels *ls, unsigned int slot,
			      const void *buf, size_t len, bool held)
{
	void *dst = pmemu_label_slot(ls, slot);
	size_t half = len / 2;

	memcpy_flushcache(dst, buf, half);
	pmem_wmb();
	if (held)
		pmemu_hold(PMEMU_HOLD_LABEL_HALF);
	memcpy_flushcache(dst + half, buf + half, len - half);
	pmem_wmb();
	if (held)
		pmemu_hold(PMEMU_HOLD_LABEL_WRITTEN);
}

/**
 * pmemu_labels_commit() - record a region's devices
 * @region: a region with a label area
 * @labels: the devices, ordered by offset
 * @nr: their number, at most pmemu_labels_max()
 *
 * Writes both copies with the next sequence number, the one that is not
 * active first: until it is complete the other holds the old layout,
 * after that it holds the new one.
 *
 * Context: the caller holds the labels' lock.
 *
 * Return: 0, or -ENOSPC if @nr is more than a copy holds.
 */
int pmemu_labels_commit(struct pmemu_region *region,
			const struct pmemu_label *labels, unsigned int nr)
{
	struct pmemu_labels *ls = &region->labels;
	unsigned int first = ls->active ^ 1;
	size_t len;

	lockdep_assert_held(&ls->lock);
	if (nr > PMEMU_LABEL_MAX)
		return -ENOSPC;
	len = pmemu_label_encode(ls->buf, labels, nr, ls->seq + 1);
	pmemu_label_write(ls, first, ls->buf, len, true);
	ls->active = first;
	ls->seq++;
	pmemu_label_write(ls, first ^ 1, ls->buf, len, false);
	return 0;
}

/* Read and decode copy @slot; NULL if valid, else why not. */
static const char *pmemu_label_read(struct pmemu_region *region,
				    unsigned int slot, void *copy,
				    struct pmemu_label *out, unsigned int *nr,
				    u64 *seq)
{
	/* a poisoned line fails the copy, not the kernel */
	if (copy_mc_to_kernel(copy, pmemu_label_slot(&region->labels, slot),
			      PMEMU_LABEL_COPY))
		return "unreadable (media error)";
	return pmemu_label_decode(region, copy, out, nr, seq);
}

/* Write the active copy over the other, as it is. */
static void pmemu_label_repair(struct pmemu_region *region, const void *copy,
			       unsigned int nr, const char *why)
{
	struct pmemu_labels *ls = &region->labels;
	unsigned int good = ls->active;

	pmemu_label_write(ls, good ^ 1, copy, pmemu_label_bytes(nr), false);
	pr_info("region%d: label copy %u: %s; rewritten from copy %u\n",
		region->id, good ^ 1, why, good);
}

/*
 * Pick the active copy of what the two slots hold (a blank one is valid,
 * sequence 0); bring the other up to date, or give up on both.
 */
static void pmemu_labels_choose(struct pmemu_region *region, void *copy[2],
				struct pmemu_label *found[2],
				unsigned int nr[2], u64 seq[2],
				const char *why[2])
{
	struct pmemu_labels *ls = &region->labels;
	unsigned int a;

	if (why[0] && why[1]) {
		ls->state = PMEMU_LABELS_DAMAGED;
		pr_err("region%d: label area damaged (copy 0: %s, copy 1: %s): no device restored, nothing written; 'pmemuctl init-labels --region %d' starts it afresh\n",
		       region->id, why[0], why[1], region->id);
		return;
	}
	/* the newer copy; on a tie (the two are the same) copy 0 */
	a = why[0] || (!why[1] && seq[1] > seq[0]);
	ls->active = a;
	ls->seq = seq[a];
	ls->state = PMEMU_LABELS_OK;
	swap(ls->found, found[a]);
	ls->nr_found = nr[a];
	if (!seq[a]) {
		/* nothing recorded yet: the first write goes over the other */
		if (why[a ^ 1])
			pr_info("region%d: label copy %u: %s; no layout recorded yet\n",
				region->id, a ^ 1, why[a ^ 1]);
	} else if (why[a ^ 1]) {
		pmemu_label_repair(region, copy[a], nr[a], why[a ^ 1]);
	} else if (seq[a ^ 1] != seq[a]) {
		pmemu_label_repair(region, copy[a], nr[a], seq[a ^ 1] ?
				   "older (an update was cut short)" : "blank");
	}
}

/**
 * pmemu_labels_open() - map a region's label area and read it
 * @region: a region whose range ends with a label area
 *
 * Sets the labels' state; a valid copy's devices are left in @found for
 * the restore, a damaged area is reported once.
 *
 * Context: region probe, before anyone can create devices on @region.
 *
 * Return: 0 (also for a damaged area), or -ENOMEM.
 */
int pmemu_labels_open(struct pmemu_region *region)
{
	struct pmemu_labels *ls = &region->labels;
	phys_addr_t at = region->start + region->size - PMEMU_LABEL_AREA;
	struct pmemu_label *found[2] = { };
	void *copy[2] = { };
	unsigned int nr[2] = { }, i;
	const char *why[2];
	u64 seq[2] = { };
	int ret = -ENOMEM;

	ls->area = memremap(at, PMEMU_LABEL_AREA, MEMREMAP_WB);
	ls->buf = kvzalloc(PMEMU_LABEL_COPY, GFP_KERNEL);
	ls->snap = kvcalloc(PMEMU_LABEL_MAX, sizeof(*ls->snap), GFP_KERNEL);
	if (!ls->area || !ls->buf || !ls->snap)
		goto out;
	for (i = 0; i < 2; i++) {
		copy[i] = kvzalloc(PMEMU_LABEL_COPY, GFP_KERNEL);
		found[i] = kvcalloc(PMEMU_LABEL_MAX, sizeof(*found[i]),
				    GFP_KERNEL);
		if (!copy[i] || !found[i])
			goto out;
	}
	for (i = 0; i < 2; i++)
		why[i] = pmemu_label_read(region, i, copy[i], found[i], &nr[i],
					  &seq[i]);
	pmemu_labels_choose(region, copy, found, nr, seq, why);
	ret = 0;
out:
	for (i = 0; i < 2; i++) {
		kvfree(copy[i]);
		kvfree(found[i]);
	}
	if (ret)
		pr_err("region%d: cannot map or read its label area [%#llx-%#llx]\n",
		       region->id, (u64)at, (u64)at + PMEMU_LABEL_AREA - 1);
	return ret;
}

/**
 * pmemu_labels_forget_found() - drop what the probe read, once restored
 * @region: the region
 */
void pmemu_labels_forget_found(struct pmemu_region *region)
{
	kvfree(region->labels.found);
	region->labels.found = NULL;
	region->labels.nr_found = 0;
}

/**
 * pmemu_labels_close() - unmap a region's label area
 * @region: the region, at its release
 */
void pmemu_labels_close(struct pmemu_region *region)
{
	struct pmemu_labels *ls = &region->labels;

	pmemu_labels_forget_found(region);
	kvfree(ls->snap);
	ls->snap = NULL;
	kvfree(ls->buf);
	ls->buf = NULL;
	if (ls->area)
		memunmap(ls->area);
	ls->area = NULL;
}
