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
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* A file of @size bytes filled with a byte pattern and synced. */
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

TEST(pmd_faults_on_aligned_mapping)
{
	int fd = make_file("pmd", PMD_FILE_SIZE);
	long before, faults;
	char *hole, *p;
	size_t off;

	ASSERT_LE(0, fd);
	hole = aligned_hole(PMD_FILE_SIZE);
	ASSERT_NE(NULL, hole);
	p = mmap(hole, PMD_FILE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, fd, 0);
	ASSERT_EQ(hole, p);

	before = minflt();
	for (off = 0; off < PMD_FILE_SIZE; off += 4096)
		p[off] = (char)(off >> 12);
	faults = minflt() - before;
	TH_LOG("%ld minor faults for %lu MiB (%lu PMDs, %lu PTEs)", faults,
	       PMD_FILE_SIZE >> 20, PMD_FILE_SIZE / SZ_2M,
	       PMD_FILE_SIZE / 4096);
	/* one fault per PMD; allow a couple for the test's own stack/libc */
	EXPECT_LE(faults, (long)(PMD_FILE_SIZE / SZ_2M) + 2);
	EXPECT_GE(faults, (long)(PMD_FILE_SIZE / SZ_2M));

	for (off = 0; off < PMD_FILE_SIZE; off += 4096)
		ASSERT_EQ((char)(off >> 12), p[off]);
	ASSERT_EQ(0, munmap(p, PMD_FILE_SIZE));
	close(fd);
	unlink(path);
}

TEST_HARNESS_MAIN
