// SPDX-License-Identifier: GPL-2.0
/*
 * fsdax_test - what a DAX filesystem on a pmemu device must provide.
 *
 * Usage: fsdax_test            (PMEMU_MNT names a directory on a filesystem
 *                               mounted with -o dax; default /mnt/dax)
 *
 * Checks that files report STATX_ATTR_DAX, that MAP_SYNC mappings are
 * accepted, and that a 2 MiB-aligned mapping of a 2 MiB-aligned extent is
 * faulted in with PMD mappings: one minor fault per 2 MiB touched (counted
 * with getrusage), not one per 4 KiB page.
 *
 * Which 2 MiB of a file the filesystem placed on 2 MiB-aligned blocks is the
 * allocator's choice (ext4 varies from one mkfs to the next even with a
 * stripe of 2 MiB), so the PMD test reads the layout with FIEMAP and expects
 * one fault for each aligned 2 MiB, and prints how many it checked on a line
 * "# pmd-chunks: N" for the trace check in guest/fsdax-fs.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX 0x00200000
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif

#define SZ_2M (2UL << 20)
#define PMD_FILE_SIZE (16 * SZ_2M)

static char path[4096];

static const char *mnt(void)
{
	const char *m = getenv("PMEMU_MNT");

	return m && *m ? m : "/mnt/dax";
}

/*
 * A file of @size bytes filled with a byte pattern and synced.  Its blocks
 * are allocated in one request first: a DAX file has no delayed allocation,
 * so writing it piecemeal would allocate it piecemeal.
 */
static int make_file(const char *name, size_t size)
{
	static char buf[1 << 20];
	size_t done;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", mnt(), name);
	unlink(path);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	if (fallocate(fd, 0, 0, size)) {
		close(fd);
		return -1;
	}
	for (done = 0; done < size; done += sizeof(buf)) {
		memset(buf, (int)(done >> 20) + 1, sizeof(buf));
		if (pwrite(fd, buf, sizeof(buf), done) != sizeof(buf)) {
			close(fd);
			return -1;
		}
	}
	if (fsync(fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* Reserve len + 2 MiB of address space and return a 2 MiB-aligned start. */
static void *aligned_hole(size_t len)
{
	char *p = mmap(NULL, len + SZ_2M, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	return (void *)(((uintptr_t)p + SZ_2M - 1) & ~(SZ_2M - 1));
}

TEST(statx_reports_dax)
{
	struct statx stx;
	int fd = make_file("statx", 4096);

	ASSERT_LE(0, fd) TH_LOG("cannot create a file in %s", mnt());
	ASSERT_EQ(0, statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, &stx));
	ASSERT_TRUE(!!(stx.stx_attributes_mask & STATX_ATTR_DAX));
	EXPECT_TRUE(!!(stx.stx_attributes & STATX_ATTR_DAX))
		TH_LOG("%s is not a DAX file", path);
	close(fd);
	unlink(path);
}

TEST(map_sync_mapping)
{
	int fd = make_file("mapsync", SZ_2M);
	char *p;

	ASSERT_LE(0, fd);
	p = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE,
		 MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("MAP_SYNC refused: %s", strerror(errno));
	memset(p, 0x5a, SZ_2M);
	ASSERT_EQ(0x5a, p[SZ_2M - 1]);
	ASSERT_EQ(0, munmap(p, SZ_2M));
	close(fd);
	unlink(path);
}

#define PMD_CHUNKS (PMD_FILE_SIZE / SZ_2M)
#define MAX_EXTENTS 64

/*
 * Mark in @aligned[] each 2 MiB of the file that lies within one extent
 * whose device offset is 2 MiB-aligned at that point: the chunks a PMD can
 * map.  Returns how many, or -1 if FIEMAP fails.
 */
static int pmd_mappable_chunks(int fd, bool aligned[PMD_CHUNKS])
{
	size_t sz = sizeof(struct fiemap) +
		    MAX_EXTENTS * sizeof(struct fiemap_extent);
	struct fiemap *fm = calloc(1, sz);
	unsigned int i;
	int n = 0;

	if (!fm)
		return -1;
	fm->fm_length = PMD_FILE_SIZE;
	fm->fm_flags = FIEMAP_FLAG_SYNC;
	fm->fm_extent_count = MAX_EXTENTS;
	if (ioctl(fd, FS_IOC_FIEMAP, fm)) {
		free(fm);
		return -1;
	}
	memset(aligned, 0, PMD_CHUNKS * sizeof(aligned[0]));
	for (i = 0; i < fm->fm_mapped_extents; i++) {
		const struct fiemap_extent *e = &fm->fm_extents[i];
		uint64_t lo = (e->fe_logical + SZ_2M - 1) & ~(SZ_2M - 1);

		printf("# extent %u: file %llu+%llu at device %llu%s\n", i,
		       (unsigned long long)e->fe_logical,
		       (unsigned long long)e->fe_length,
		       (unsigned long long)e->fe_physical,
		       e->fe_flags & FIEMAP_EXTENT_UNWRITTEN ? " unwritten" : "");
		if (e->fe_flags & FIEMAP_EXTENT_UNWRITTEN)
			continue;
		for (; lo + SZ_2M <= e->fe_logical + e->fe_length &&
		       lo < PMD_FILE_SIZE; lo += SZ_2M) {
			if ((e->fe_physical + lo - e->fe_logical) % SZ_2M)
				continue;
			aligned[lo / SZ_2M] = true;
			n++;
		}
	}
	free(fm);
	return n;
}

TEST(pmd_faults_on_aligned_mapping)
{
	int fd = make_file("pmd", PMD_FILE_SIZE);
	bool aligned[PMD_CHUNKS];
	long before, faults;
	int chunks, c;
	char *hole, *p;
	size_t off;

	ASSERT_LE(0, fd);
	chunks = pmd_mappable_chunks(fd, aligned);
	ASSERT_LE(0, chunks) TH_LOG("FIEMAP: %s", strerror(errno));
	/*
	 * The mkfs options of guest/lib.sh ask for 2 MiB alignment; a layout
	 * with fewer aligned chunks than that tests too little.
	 */
	ASSERT_GE(chunks, (int)PMD_CHUNKS / 2)
		TH_LOG("only %d of %lu chunks on 2 MiB-aligned blocks", chunks,
		       PMD_CHUNKS);
	hole = aligned_hole(PMD_FILE_SIZE);
	ASSERT_NE(NULL, hole);
	p = mmap(hole, PMD_FILE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, fd, 0);
	ASSERT_EQ(hole, p);

	for (c = 0; c < (int)PMD_CHUNKS; c++) {
		if (!aligned[c])
			continue;
		before = minflt();
		for (off = c * SZ_2M; off < (c + 1) * SZ_2M; off += 4096)
			p[off] = (char)(off >> 12);
		faults = minflt() - before;
		/* one PMD fault; one more for the test's own stack at most */
		EXPECT_GE(faults, 1);
		EXPECT_LE(faults, 2)
			TH_LOG("2 MiB chunk %d: %ld minor faults, not one PMD",
			       c, faults);
	}
	printf("# pmd-chunks: %d\n", chunks);

	for (c = 0; c < (int)PMD_CHUNKS; c++)
		for (off = c * SZ_2M; aligned[c] && off < (c + 1) * SZ_2M;
		     off += 4096)
			ASSERT_EQ((char)(off >> 12), p[off]);
	ASSERT_EQ(0, munmap(p, PMD_FILE_SIZE));
	close(fd);
	unlink(path);
}

TEST_HARNESS_MAIN
