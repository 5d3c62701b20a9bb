// SPDX-License-Identifier: GPL-2.0
/*
 * mm_sweep - the mm paths that look up or walk the pages of a DAX mapping
 * (the vm_normal_page()/vm_normal_folio() callers userspace reaches),
 * each run over a live shared mapping of a devdax device or a file on a
 * DAX filesystem, which must come out of it whole.
 *
 * Usage: MM_SWEEP_PATH=FILE MM_SWEEP_LEN=BYTES MM_SWEEP_STEP=BYTES \
 *        mm_sweep [harness options]
 *
 * FILE (a devdax device, or a file of at least LEN bytes on a filesystem
 * mounted -o dax) is mapped shared, LEN bytes at an address aligned to
 * STEP (4K, 2M or 1G: the size one fault is expected to map; for 4K, an
 * address that is not 2 MiB-aligned, so no PMD can map it), and the
 * first 8 bytes of every page are written with a pattern.  Each test then
 * runs one operation over the mapping and checks that
 *   - the operation returned (its result, or errno, is printed);
 *   - every page still holds its pattern (the test fails otherwise);
 *   - the mapping is still there: reading one byte per STEP takes no new
 *     fault (dropped: at least half of them fault).  A walker that only looks (pagemap, smaps, mlock ...) should
 *     leave it; MADV_DONTNEED and MADV_PAGEOUT may drop it.
 * Each test prints one line for tests/upstream/mm-sweep.sh:
 *   # sweep: op=NAME result=RESULT mapping=kept|dropped refaults=N
 * A mapping the operation dropped is reported, not failed: whether that is
 * a bug depends on the operation (docs/upstream/mm-sweep.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/mempolicy.h>
#include <linux/userfaultfd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define PG 4096UL
#define MAGIC 0x5eed0000d0d0cafeULL
/* pages move_pages() is asked about */
#define QUERY_PAGES 64

static size_t env_size(const char *name)
{
	const char *v = getenv(name);
	char *end;
	size_t n;

	if (!v || !*v)
		return 0;
	n = strtoull(v, &end, 0);
	switch (*end) {
	case 'K': return n << 10;
	case 'M': return n << 20;
	case 'G': return n << 30;
	default: return *end ? 0 : n;
	}
}

static uint64_t pattern(size_t page)
{
	return MAGIC ^ page;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

#define SZ_2M (2UL << 20)

/*
 * Map FD (LEN bytes, SHARED or PRIVATE) at an address aligned to ALIGN;
 * below 2 MiB, at one that is not 2 MiB-aligned, so that a filesystem's
 * DAX faults map pages of ALIGN and not PMDs.
 */
static char *map_aligned(int fd, size_t len, size_t align, int flags)
{
	size_t slack = align < SZ_2M ? SZ_2M + align : align, head;
	char *r, *p;

	r = mmap(NULL, len + slack, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED)
		return MAP_FAILED;
	if (align < SZ_2M)
		p = (char *)(((uintptr_t)r + SZ_2M - 1) & ~(uintptr_t)(SZ_2M - 1)) + align;
	else
		p = (char *)(((uintptr_t)r + align - 1) & ~(uintptr_t)(align - 1));
	head = p - r;
	if (head)
		munmap(r, head);
	if (slack - head)
		munmap(p + len, slack - head);
	return mmap(p, len, PROT_READ | PROT_WRITE, flags | MAP_FIXED, fd, 0);
}

FIXTURE(sweep) {
	int fd;
	char *p;
	size_t len, step, pages;
};

static long refaults(FIXTURE_DATA(sweep) *self);

FIXTURE_SETUP(sweep)
{
	const char *path = getenv("MM_SWEEP_PATH");
	size_t i;

	self->len = env_size("MM_SWEEP_LEN");
	self->step = env_size("MM_SWEEP_STEP");
	ASSERT_NE(NULL, path) TH_LOG("MM_SWEEP_PATH is not set");
	ASSERT_NE(0UL, self->len) TH_LOG("MM_SWEEP_LEN is not set or not a size");
	ASSERT_NE(0UL, self->step) TH_LOG("MM_SWEEP_STEP is not set or not a size");
	ASSERT_EQ(0UL, self->len % self->step);
	self->pages = self->len / PG;
	self->fd = open(path, O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", path, strerror(errno));
	self->p = map_aligned(self->fd, self->len, self->step, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, self->p) TH_LOG("mmap %s: %s", path, strerror(errno));
	for (i = 0; i < self->pages; i++)
		*(volatile uint64_t *)(self->p + i * PG) = pattern(i);
	/* the first pass takes the faults of its own code, not the mapping's */
	refaults(self);
}

FIXTURE_TEARDOWN(sweep)
{
	if (self->p && self->p != MAP_FAILED)
		munmap(self->p, self->len);
	if (self->fd >= 0)
		close(self->fd);
}

/* pages of the mapping whose pattern is wrong */
static size_t corrupt(FIXTURE_DATA(sweep) *self)
{
	size_t i, bad = 0;

	for (i = 0; i < self->pages; i++)
		bad += *(volatile uint64_t *)(self->p + i * PG) != pattern(i);
	return bad;
}

/* faults taken reading one byte per step (0: the mapping is all there) */
static long refaults(FIXTURE_DATA(sweep) *self)
{
	long before = minflt();
	size_t off;

	for (off = 0; off < self->len; off += self->step)
		(void)*(volatile char *)(self->p + off);
	return minflt() - before;
}

/*
 * Whether REFAULTS faults, reading one byte per step, mean the mapping was
 * dropped: at least half of the steps faulted (what drops a mapping drops
 * all of the range; the odd fault of the test process's own is not it).
 * The count itself is printed, so a partial drop still shows.
 */
static bool dropped(FIXTURE_DATA(sweep) *self, long refaults)
{
	size_t steps = self->len / self->step;

	return refaults > 0 && (size_t)refaults * 2 >= steps;
}

/* the result of a call: "0", a count, or the errno's name */
static const char *result(long rc, char *buf, size_t len)
{
	if (rc < 0)
		snprintf(buf, len, "%s", strerrorname_np(errno) ?: "errno?");
	else
		snprintf(buf, len, "%ld", rc);
	return buf;
}

/*
 * after() - the common checks of every operation: print the sweep line,
 * fail on any page whose data changed.
 */
#define after(op, rc) do {						\
	long _rc = (rc);	/* the operation, when it is the argument */ \
	int _errno = errno;						\
	char _r[32];							\
	long _f = refaults(self);					\
	const char *_res;						\
									\
	errno = _errno;							\
	_res = result(_rc, _r, sizeof(_r));				\
	printf("# sweep: op=%s result=%s mapping=%s refaults=%ld\n",	\
	       op, _res, dropped(self, _f) ? "dropped" : "kept", _f);	\
	fflush(stdout);							\
	ASSERT_EQ(0UL, corrupt(self)) TH_LOG("%s changed the data", op);	\
} while (0)

/* read_all PATH: read a whole file (a /proc file); bytes read or -1 */
static long read_all(const char *path)
{
	char buf[65536];
	long total = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	close(fd);
	return n < 0 ? -1 : total;
}

/* /proc/self/pagemap over the mapping: the number of pages it shows present */
TEST_F(sweep, pagemap)
{
	uint64_t *e = calloc(self->pages, sizeof(*e));
	long rc, present = 0;
	size_t i;
	int fd;

	ASSERT_NE(NULL, e);
	fd = open("/proc/self/pagemap", O_RDONLY);
	ASSERT_LE(0, fd);
	rc = pread(fd, e, self->pages * sizeof(*e),
		   (uintptr_t)self->p / PG * sizeof(*e));
	close(fd);
	if (rc >= 0) {
		for (i = 0; i < self->pages; i++)
			present += !!(e[i] >> 63);
		rc = present;
	}
	free(e);
	after("pagemap", rc);
}

/* PAGEMAP_SCAN for present pages: the pages it reports */
TEST_F(sweep, pagemap_scan)
{
	struct page_region *r = calloc(self->pages, sizeof(*r));
	struct pm_scan_arg arg = {
		.size = sizeof(arg),
		.start = (uintptr_t)self->p,
		.end = (uintptr_t)self->p + self->len,
		.vec = (uintptr_t)r,
		.vec_len = self->pages,
		.category_mask = PAGE_IS_PRESENT,
		.return_mask = PAGE_IS_PRESENT | PAGE_IS_FILE | PAGE_IS_PFNZERO,
	};
	long rc, i, pages = 0;
	int fd;

	ASSERT_NE(NULL, r);
	fd = open("/proc/self/pagemap", O_RDONLY);
	ASSERT_LE(0, fd);
	rc = ioctl(fd, PAGEMAP_SCAN, &arg);
	close(fd);
	for (i = 0; i < rc; i++)
		pages += (r[i].end - r[i].start) / PG;
	free(r);
	after("pagemap_scan", rc < 0 ? rc : pages);
}

TEST_F(sweep, smaps)
{
	after("smaps", read_all("/proc/self/smaps"));
}

TEST_F(sweep, smaps_rollup)
{
	after("smaps_rollup", read_all("/proc/self/smaps_rollup"));
}

TEST_F(sweep, numa_maps)
{
	after("numa_maps", read_all("/proc/self/numa_maps"));
}

/* mincore: the pages it shows resident */
TEST_F(sweep, mincore)
{
	unsigned char *v = calloc(self->pages, 1);
	long rc, n = 0;
	size_t i;

	ASSERT_NE(NULL, v);
	rc = mincore(self->p, self->len, v);
	for (i = 0; rc == 0 && i < self->pages; i++)
		n += v[i] & 1;
	free(v);
	after("mincore", rc ? rc : n);
}

TEST_F(sweep, mlock)
{
	long rc = mlock(self->p, self->len);

	if (!rc)
		rc = munlock(self->p, self->len);
	after("mlock", rc);
}

#define MADVISE_TEST(name, advice)					\
TEST_F(sweep, name)							\
{									\
	after(#name, madvise(self->p, self->len, advice));		\
}

MADVISE_TEST(madv_cold, MADV_COLD)
MADVISE_TEST(madv_pageout, MADV_PAGEOUT)
MADVISE_TEST(madv_dontneed, MADV_DONTNEED)
MADVISE_TEST(madv_free, MADV_FREE)
MADVISE_TEST(madv_populate_read, MADV_POPULATE_READ)
MADVISE_TEST(madv_populate_write, MADV_POPULATE_WRITE)
MADVISE_TEST(madv_willneed, MADV_WILLNEED)

/* KSM: mark the range mergeable, let ksmd run a pass, unmark it */
TEST_F(sweep, ksm_mergeable)
{
	long rc = madvise(self->p, self->len, MADV_MERGEABLE);

	if (!rc) {
		usleep(200000);
		rc = madvise(self->p, self->len, MADV_UNMERGEABLE);
	}
	after("ksm_mergeable", rc);
}

/* move_pages() asked where pages are (no move): pages it placed on a node */
TEST_F(sweep, move_pages_query)
{
	void *pages[QUERY_PAGES];
	int status[QUERY_PAGES];
	long rc, i, placed = 0, n = 0;
	size_t off, stride = self->len / QUERY_PAGES;

	for (off = 0; off < self->len && n < QUERY_PAGES; off += stride ?: PG)
		pages[n++] = self->p + off;
	rc = syscall(SYS_move_pages, 0, n, pages, NULL, status, 0);
	for (i = 0; rc == 0 && i < n; i++)
		placed += status[i] >= 0;
	after("move_pages_query", rc ? rc : placed);
}

/* move_pages() asked to move pages to node 0 */
TEST_F(sweep, move_pages_move)
{
	void *pages[QUERY_PAGES];
	int status[QUERY_PAGES], nodes[QUERY_PAGES];
	long rc, n = 0;
	size_t off, stride = self->len / QUERY_PAGES;

	for (off = 0; off < self->len && n < QUERY_PAGES; off += stride ?: PG) {
		nodes[n] = 0;
		pages[n++] = self->p + off;
	}
	rc = syscall(SYS_move_pages, 0, n, pages, nodes, status, MPOL_MF_MOVE);
	after("move_pages_move", rc);
}

/* mbind to node 0 with MPOL_MF_MOVE, then back to the default policy */
TEST_F(sweep, mbind_move)
{
	unsigned long mask = 1;
	long rc;

	rc = syscall(SYS_mbind, self->p, self->len, MPOL_BIND, &mask,
		     sizeof(mask) * 8, MPOL_MF_MOVE);
	syscall(SYS_mbind, self->p, self->len, MPOL_DEFAULT, NULL, 0, 0);
	after("mbind_move", rc);
}

/* process_vm_readv of the whole mapping from this process: bytes right */
TEST_F(sweep, process_vm_readv)
{
	char *buf = malloc(self->len);
	struct iovec local = { buf, self->len }, remote = { self->p, self->len };
	long rc;

	ASSERT_NE(NULL, buf);
	rc = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	if (rc == (long)self->len)
		EXPECT_EQ(0, memcmp(buf, self->p, self->len));
	free(buf);
	after("process_vm_readv", rc);
}

/* /proc/self/mem read of the whole mapping, then one page written back */
TEST_F(sweep, proc_mem)
{
	char *buf = malloc(self->len);
	long rc;
	int fd;

	ASSERT_NE(NULL, buf);
	fd = open("/proc/self/mem", O_RDWR);
	ASSERT_LE(0, fd);
	rc = pread(fd, buf, self->len, (uintptr_t)self->p);
	if (rc == (long)self->len) {
		EXPECT_EQ(0, memcmp(buf, self->p, self->len));
		if (pwrite(fd, buf, PG, (uintptr_t)self->p) != (ssize_t)PG)
			rc = -1;
	}
	close(fd);
	free(buf);
	after("proc_mem", rc);
}

/* ptrace PEEKDATA/POKEDATA in a stopped child sharing the mapping */
TEST_F(sweep, ptrace_peek_poke)
{
	long rc = 0, w, i;
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	for (i = 0; i < 16 && !rc; i++) {
		size_t page = i * (self->pages / 16);
		void *a = self->p + page * PG;

		errno = 0;
		w = ptrace(PTRACE_PEEKDATA, pid, a, NULL);
		if (errno)
			rc = -1;
		else if ((uint64_t)w != pattern(page))
			rc = -1, errno = EBADMSG;
		else if (ptrace(PTRACE_POKEDATA, pid, a, (void *)w))
			rc = -1;
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	after("ptrace_peek_poke", rc);
}

/* userfaultfd: register the range (missing, then write-protect mode) */
TEST_F(sweep, userfaultfd_register)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { (uintptr_t)self->p, self->len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	long rc;
	int fd = syscall(SYS_userfaultfd, O_CLOEXEC);

	ASSERT_LE(0, fd) TH_LOG("userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(fd, UFFDIO_API, &api));
	rc = ioctl(fd, UFFDIO_REGISTER, &reg);
	if (!rc)
		ioctl(fd, UFFDIO_UNREGISTER, &reg.range);
	close(fd);
	after("userfaultfd_register", rc);
}

/*
 * fork: the child reads and writes the shared mapping it inherited; the
 * parent sees its writes (then puts the pattern back).
 */
TEST_F(sweep, fork_shared)
{
	uint64_t *first = (uint64_t *)self->p;
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (*first != pattern(0))
			_exit(1);
		*first = ~pattern(0);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(~pattern(0), *first);
	*first = pattern(0);
	after("fork_shared", 0);
}

/*
 * MAP_PRIVATE of the same file: a child writes every page of it (COW), the
 * parent's private view and the shared mapping keep the pattern.
 */
TEST_F(sweep, fork_cow_private)
{
	char *q = map_aligned(self->fd, self->len, self->step, MAP_PRIVATE);
	long rc = 0;
	size_t i;
	int status;
	pid_t pid;

	if (q == MAP_FAILED) {
		after("fork_cow_private", -1);
		return;
	}
	for (i = 0; i < self->pages; i++)
		(void)*(volatile uint64_t *)(q + i * PG);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		for (i = 0; i < self->pages; i++)
			*(volatile uint64_t *)(q + i * PG) = ~pattern(i);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (i = 0; i < self->pages; i++)
		rc += *(volatile uint64_t *)(q + i * PG) != pattern(i);
	EXPECT_EQ(0, rc) TH_LOG("the child's COW writes reached the parent");
	munmap(q, self->len);
	after("fork_cow_private", rc);
}

TEST_HARNESS_MAIN
