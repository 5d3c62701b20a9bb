// SPDX-License-Identifier: GPL-2.0
/*
 * devdax_test - what a pmemu devdax character device must provide.
 *
 * Usage: PMEMU_DAX_DEV=/dev/pmemuN.dax devdax_test [harness options]
 *
 * The device's align and lifetime are read from /sys/class/pmemu/pmemuN.dax
 * (PMEMU_DAX_SYSFS overrides), its counters from debugfs,
 * /sys/kernel/debug/pmemu/pmemuN.dax.  PMEMU_TMPDIR
 * names a directory on a filesystem with O_DIRECT support (default
 * /var/tmp) for the GUP tests.  The device must hold at least 1 GiB and
 * nobody else may map it while the tests run (the counters are
 * per device).
 *
 * Mapping sizes are proven by minor-fault counts (getrusage) and by the
 * driver's fault counters; smaps cannot show them (7.3 does not count
 * ZONE_DEVICE folios in FilePmdMapped and has no PUD line).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "files.h"

#define SZ_4K (4096UL)
#define SZ_2M (2UL << 20)
#define SZ_1G (1UL << 30)
/* faults a test process takes besides the mapping's (stack, libc, ...) */
#define FAULT_SLACK 16
#define RACE_THREADS 8

static const char *dax_dev(void)
{
	const char *d = getenv("PMEMU_DAX_DEV");

	return d && *d ? d : "/dev/pmemu0.dax";
}

static const char *tmpdir(void)
{
	const char *d = getenv("PMEMU_TMPDIR");

	return d && *d ? d : "/var/tmp";
}

/* /sys/class/pmemu/<name>/<attr> of the device under test */
static char *sysfs_path(const char *attr)
{
	static char path[512];
	const char *base = getenv("PMEMU_DAX_SYSFS");
	const char *name = strrchr(dax_dev(), '/');

	if (base && *base)
		snprintf(path, sizeof(path), "%s/%s", base, attr);
	else
		snprintf(path, sizeof(path), "/sys/class/pmemu/%s/%s",
			 name ? name + 1 : dax_dev(), attr);
	return path;
}

static int sysfs_read(const char *attr, char *buf, size_t len)
{
	FILE *f = fopen(sysfs_path(attr), "r");

	if (!f)
		return -1;
	if (!fgets(buf, (int)len, f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* A numeric attribute; -1 if it cannot be read. */
static long long sysfs_num(const char *attr)
{
	char buf[64];

	if (sysfs_read(attr, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 0);
}

/* A counter of the device under test, /sys/kernel/debug/pmemu/<name>/ */
static long long stat_num(const char *counter)
{
	const char *name = strrchr(dax_dev(), '/');
	char path[512];

	snprintf(path, sizeof(path), "/sys/kernel/debug/pmemu/%s/%s",
		 name ? name + 1 : dax_dev(), counter);
	return file_num(path);
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* the byte a device offset holds after fill() */
static uint8_t pattern(uint64_t off, unsigned int seed)
{
	return (uint8_t)((off >> 12) * 31 + (off & 0xfff) + seed);
}

/* Write one pattern byte at the start and end of every page. */
static void fill(volatile uint8_t *p, uint64_t devoff, size_t len,
		 unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i += SZ_4K) {
		p[i] = pattern(devoff + i, seed);
		p[i + SZ_4K - 1] = pattern(devoff + i + SZ_4K - 1, seed);
	}
}

/* Offset of the first wrong byte, or -1 if all are right. */
static long long check(volatile uint8_t *p, uint64_t devoff, size_t len,
		       unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i += SZ_4K) {
		if (p[i] != pattern(devoff + i, seed))
			return (long long)i;
		if (p[i + SZ_4K - 1] != pattern(devoff + i + SZ_4K - 1, seed))
			return (long long)(i + SZ_4K - 1);
	}
	return -1;
}

FIXTURE(devdax) {
	int fd;
	size_t align;
	size_t size;
	bool tracked;
	const char *level;	/* faults_pte, faults_pmd or faults_pud */
};

FIXTURE_SETUP(devdax)
{
	char lifetime[32];

	self->fd = open(dax_dev(), O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", dax_dev(), strerror(errno));
	self->align = (size_t)sysfs_num("align");
	self->size = (size_t)(sysfs_num("size") - sysfs_num("data_offset"));
	ASSERT_EQ(0, sysfs_read("lifetime", lifetime, sizeof(lifetime)));
	self->tracked = !strcmp(lifetime, "tracked");
	ASSERT_GE(self->size, SZ_1G);
	self->level = self->align == SZ_1G ? "faults_pud" :
		      self->align == SZ_2M ? "faults_pmd" : "faults_pte";
}

FIXTURE_TEARDOWN(devdax)
{
	close(self->fd);
}

static void *map_dev(int fd, size_t len, off_t off)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
}

/* Everything unmapped: every folio idle, no pgmap reference left. */
static void assert_idle(struct __test_metadata *_metadata, bool tracked)
{
	EXPECT_EQ(0, stat_num("folios_in_use"));
	EXPECT_EQ(0, stat_num("pgmap_refs_held"));
	if (tracked)
		EXPECT_EQ(stat_num("folio_inits"),
			  stat_num("folio_frees"));
}

/*
 * Touching 1 GiB costs one fault per folio: 262144 at 4K, 512 at 2M, 1 at
 * 1G, counted by getrusage and by the driver.
 */
TEST_F_TIMEOUT(devdax, touch_1g_fault_count, 600)
{
	long long drv0 = stat_num(self->level), inits0;
	size_t nr = SZ_1G / self->align;
	long flt0, flt;
	uint8_t *p;
	size_t i;

	inits0 = stat_num("folio_inits");
	p = map_dev(self->fd, SZ_1G, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	ASSERT_EQ(0UL, (uintptr_t)p % self->align) TH_LOG("address %p not aligned", p);
	flt0 = minflt();
	for (i = 0; i < SZ_1G; i += SZ_4K)
		p[i] = 1;
	flt = minflt() - flt0;
	TH_LOG("align %zu: %ld minor faults for 1 GiB", self->align, flt);
	EXPECT_GE(flt, (long)nr);
	EXPECT_LE(flt, (long)nr + FAULT_SLACK);
	EXPECT_EQ((long long)nr, stat_num(self->level) - drv0);
	EXPECT_EQ((long long)nr, stat_num("folios_in_use"));
	if (self->tracked) {
		EXPECT_EQ((long long)nr, stat_num("folio_inits") - inits0);
		/* one pgmap reference per page of every live folio */
		EXPECT_EQ((long long)(SZ_1G / SZ_4K),
			  stat_num("pgmap_refs_held"));
	} else {
		EXPECT_EQ(0, stat_num("pgmap_refs_held"));
	}
	ASSERT_EQ(0, munmap(p, SZ_1G));
	assert_idle(_metadata, self->tracked);
}

/* Data written through one mapping is read back through a new one. */
TEST_F_TIMEOUT(devdax, data_survives_remap, 300)
{
	size_t len = 64 * SZ_2M > self->size ? self->size : 64 * SZ_2M;
	long long bad;
	uint8_t *p;

	if (len < self->align)
		len = self->align;
	p = map_dev(self->fd, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	fill(p, 0, len, 7);
	ASSERT_EQ(0, munmap(p, len));
	assert_idle(_metadata, self->tracked);
	p = map_dev(self->fd, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	bad = check(p, 0, len, 7);
	EXPECT_EQ(-1, bad) TH_LOG("wrong byte at offset %lld", bad);
	ASSERT_EQ(0, munmap(p, len));
}

/* A mapping at a non-zero aligned offset sees that part of the device. */
TEST_F_TIMEOUT(devdax, offset_mapping, 300)
{
	size_t len = self->align, off = self->size - self->align;
	long long bad;
	uint8_t *p, *q;

	p = map_dev(self->fd, len, (off_t)off);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap at %zu: %s", off, strerror(errno));
	fill(p, off, len, 3);
	ASSERT_EQ(0, munmap(p, len));
	/* the same bytes through a mapping of the whole device */
	q = map_dev(self->fd, self->size, 0);
	ASSERT_NE(MAP_FAILED, q);
	bad = check(q + off, off, len, 3);
	EXPECT_EQ(-1, bad) TH_LOG("wrong byte at offset %lld", bad);
	ASSERT_EQ(0, munmap(q, self->size));
	/* beyond the end of the device: the fault gets SIGBUS, not data */
	p = map_dev(self->fd, self->align, (off_t)self->size);
	if (p != MAP_FAILED) {
		pid_t pid = fork();
		int status;

		ASSERT_LE(0, pid);
		if (!pid) {
			volatile uint8_t *v = p;

			(void)v[0];
			_exit(0);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS)
			TH_LOG("touching past the end: status %#x", status);
		munmap(p, self->align);
	}
}

TEST_F_TIMEOUT(devdax, map_private_refused, 300)
{
	void *p = mmap(NULL, self->align, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		       self->fd, 0);

	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	if (p != MAP_FAILED)
		munmap(p, self->align);
}

TEST_F_TIMEOUT(devdax, unaligned_length_and_offset_refused, 300)
{
	void *p;

	if (self->align == SZ_4K)
		SKIP(return, "every page-aligned mapping is aligned at 4K");
	p = map_dev(self->fd, self->align + SZ_4K, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	if (p != MAP_FAILED)
		munmap(p, self->align + SZ_4K);
	p = map_dev(self->fd, self->align, SZ_4K);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	if (p != MAP_FAILED)
		munmap(p, self->align);
}

/* Partial munmap: inside a folio refused (may_split), at a boundary fine. */
TEST_F_TIMEOUT(devdax, partial_munmap, 300)
{
	size_t len = 2 * self->align;
	long long bad;
	uint8_t *p;

	p = map_dev(self->fd, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	fill(p, 0, len, 11);
	if (self->align > SZ_4K) {
		EXPECT_EQ(-1, munmap(p + SZ_4K, SZ_4K));
		EXPECT_EQ(EINVAL, errno);
	}
	ASSERT_EQ(0, munmap(p, self->align));
	bad = check(p + self->align, self->align, self->align, 11);
	EXPECT_EQ(-1, bad) TH_LOG("wrong byte at offset %lld", bad);
	ASSERT_EQ(0, munmap(p + self->align, self->align));
	assert_idle(_metadata, self->tracked);
}

/*
 * Move a populated mapping to another aligned address and shrink it.  Not
 * moved at 1G: 7.3's get_old_pud() (mm/mremap.c) runs pud_none_or_clear_bad()
 * before it checks pud_trans_huge(), so it clears a PUD-mapped folio as a
 * "bad pud" and leaks its references (the same for in-tree device_dax;
 * docs/lifetime.md).  Shrinking unmaps the tail and is fine at every size.
 */
TEST_F_TIMEOUT(devdax, mremap_move_and_shrink, 300)
{
	size_t len = 2 * self->align;
	uint8_t *p, *resv, *dst, *q;
	long long bad;

	p = map_dev(self->fd, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	fill(p, 0, len, 13);
	q = p;
	resv = NULL;
	if (self->align < SZ_1G) {
		/* an aligned destination: reserve len + align and round up */
		resv = mmap(NULL, len + self->align, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		ASSERT_NE(MAP_FAILED, resv);
		dst = (uint8_t *)(((uintptr_t)resv + self->align - 1) &
				  ~(uintptr_t)(self->align - 1));
		q = mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
		ASSERT_EQ(dst, q) TH_LOG("mremap: %s", strerror(errno));
		bad = check(q, 0, len, 13);
		EXPECT_EQ(-1, bad) TH_LOG("after move: wrong byte at %lld", bad);
	}
	p = mremap(q, len, self->align, 0);
	ASSERT_EQ(q, p) TH_LOG("shrink: %s", strerror(errno));
	bad = check(p, 0, self->align, 13);
	EXPECT_EQ(-1, bad) TH_LOG("after shrink: wrong byte at %lld", bad);
	ASSERT_EQ(0, munmap(p, self->align));
	if (resv)
		munmap(resv, len + self->align);
	assert_idle(_metadata, self->tracked);
}

/* A child shares the mapping: its writes are the parent's data. */
TEST_F_TIMEOUT(devdax, fork_shares_mapping, 300)
{
	size_t len = 2 * self->align;
	uint8_t *p;
	pid_t pid;
	int status;

	p = map_dev(self->fd, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	fill(p, 0, len, 17);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (check(p, 0, len, 17) != -1)
			_exit(1);
		fill(p, 0, len, 19);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(-1, check(p, 0, len, 19));
	ASSERT_EQ(0, munmap(p, len));
	assert_idle(_metadata, self->tracked);
}

/* MADV_DONTNEED drops the mapping (tracked: frees the folio), not data. */
TEST_F_TIMEOUT(devdax, madv_dontneed, 300)
{
	size_t len = 2 * self->align;
	long long frees0, flt0;
	uint8_t *p;

	p = map_dev(self->fd, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	fill(p, 0, len, 23);
	EXPECT_EQ(2, stat_num("folios_in_use"));
	frees0 = stat_num("folio_frees");
	/* a part of a folio: the whole huge entry goes */
	ASSERT_EQ(0, madvise(p, SZ_4K, MADV_DONTNEED));
	EXPECT_EQ(1, stat_num("folios_in_use"));
	if (self->tracked)
		EXPECT_EQ(1, stat_num("folio_frees") - frees0);
	flt0 = minflt();
	EXPECT_EQ(-1, check(p, 0, len, 23));
	EXPECT_LE(1, minflt() - flt0);
	ASSERT_EQ(0, munmap(p, len));
	assert_idle(_metadata, self->tracked);
}

/* An unlinked O_DIRECT file in PMEMU_TMPDIR. */
static int tmpfile_direct(struct __test_metadata *_metadata)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/devdax_test.%d", tmpdir(), getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0600);
	if (fd < 0)
		TH_LOG("O_DIRECT open in %s: %s", tmpdir(), strerror(errno));
	else
		unlink(path);
	return fd;
}

/*
 * O_DIRECT (plain GUP pins) from the mapping into a file and back into
 * another folio of the mapping.
 */
TEST_F_TIMEOUT(devdax, odirect_gup, 300)
{
	size_t xfer = 64UL << 20, gap = xfer > self->align ? xfer : self->align;
	size_t len = 2 * gap;
	long long bad;
	uint8_t *p;
	int fd;

	fd = tmpfile_direct(_metadata);
	ASSERT_LE(0, fd);
	p = map_dev(self->fd, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	fill(p, 0, xfer, 29);
	ASSERT_EQ((ssize_t)xfer, pwrite(fd, p, xfer, 0))
		TH_LOG("O_DIRECT write from devdax: %s", strerror(errno));
	ASSERT_EQ((ssize_t)xfer, pread(fd, p + gap, xfer, 0))
		TH_LOG("O_DIRECT read into devdax: %s", strerror(errno));
	bad = check(p + gap, 0, xfer, 29);
	EXPECT_EQ(-1, bad) TH_LOG("wrong byte at offset %lld", bad);
	close(fd);
	ASSERT_EQ(0, munmap(p, len));
	/* the pins were dropped: everything idle again */
	assert_idle(_metadata, self->tracked);
}

/* PFN of a mapped page from /proc/self/pagemap (root), 0 if not present. */
static uint64_t pagemap_pfn(void *addr)
{
	uint64_t ent = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &ent, sizeof(ent), (off_t)((uintptr_t)addr / SZ_4K * 8)) !=
	    sizeof(ent))
		ent = 0;
	close(fd);
	return (ent >> 63) ? ent & ((1ULL << 55) - 1) : 0;
}

/*
 * io_uring fixed buffers pin with FOLL_LONGTERM: fine on sweep (GENERIC is
 * long-term pinnable); on tracked the core tries to migrate the
 * device-coherent folio, fails and returns EBUSY, leaving it in place.  On
 * tracked 2M the kernel also WARNs (migrate_device_coherent_folio), so that
 * case is documented, not run.
 */
TEST_F_TIMEOUT(devdax, io_uring_register_longterm, 300)
{
	struct io_uring_params params = { 0 };
	uint64_t pfn0, pfn1;
	struct iovec iov;
	int ring, ret;
	uint8_t *p;

	if (self->tracked && self->align != SZ_4K)
		SKIP(return, "tracked 2M: the kernel WARNs in migrate_device_coherent_folio (docs/lifetime.md)");
	ring = (int)syscall(__NR_io_uring_setup, 4, &params);
	if (ring < 0)
		SKIP(return, "io_uring unavailable: %s", strerror(errno));
	p = map_dev(self->fd, self->align, 0);
	ASSERT_NE(MAP_FAILED, p);
	fill(p, 0, self->align, 31);
	pfn0 = self->align < SZ_1G ? pagemap_pfn(p) : 0;
	iov.iov_base = p;
	iov.iov_len = self->align;
	ret = (int)syscall(__NR_io_uring_register, ring,
			   IORING_REGISTER_BUFFERS, &iov, 1);
	if (self->tracked) {
		EXPECT_EQ(-1, ret);
		EXPECT_EQ(EBUSY, errno);
	} else {
		EXPECT_EQ(0, ret) TH_LOG("register: %s", strerror(errno));
		if (!ret)
			EXPECT_EQ(0, syscall(__NR_io_uring_register, ring,
					     IORING_UNREGISTER_BUFFERS, NULL, 0));
	}
	EXPECT_EQ(-1, check(p, 0, self->align, 31));
	if (pfn0) {
		pfn1 = pagemap_pfn(p);
		EXPECT_EQ(pfn0, pfn1) TH_LOG("the page moved");
	}
	close(ring);
	ASSERT_EQ(0, munmap(p, self->align));
	assert_idle(_metadata, self->tracked);
}

struct race {
	pthread_barrier_t start;
	int fd;
	size_t align;
	uint8_t *p;		/* shared mapping (touch race) */
	int rounds;		/* touch/munmap race: at most this many */
	time_t until;		/* touch/munmap race: and not after this */
	int done;		/* rounds completed by all threads */
	int errors;
};

static void *race_touch(void *arg)
{
	struct race *r = arg;

	pthread_barrier_wait(&r->start);
	r->p[0]++;
	__atomic_fetch_add(&r->p[r->align - 1], 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* 8 threads first-touch the same folio at once: one folio, right counts. */
TEST_F_TIMEOUT(devdax, threads_race_first_touch, 300)
{
	pthread_t th[RACE_THREADS];
	long long inits0 = stat_num("folio_inits");
	long long faults0 = stat_num(self->level);
	struct race r = { .fd = self->fd, .align = self->align };
	int i;

	r.p = map_dev(self->fd, self->align, 0);
	ASSERT_NE(MAP_FAILED, r.p);
	r.p[self->align - 1] = 0;
	ASSERT_EQ(0, munmap(r.p, self->align));
	r.p = map_dev(self->fd, self->align, 0);
	ASSERT_NE(MAP_FAILED, r.p);
	inits0 = stat_num("folio_inits");
	faults0 = stat_num(self->level);
	pthread_barrier_init(&r.start, NULL, RACE_THREADS);
	for (i = 0; i < RACE_THREADS; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, race_touch, &r));
	for (i = 0; i < RACE_THREADS; i++)
		pthread_join(th[i], NULL);
	EXPECT_EQ(RACE_THREADS, r.p[self->align - 1]);
	EXPECT_EQ(1, stat_num("folios_in_use"));
	/* racing faults may each insert; the entry is installed once */
	EXPECT_LE(1, stat_num(self->level) - faults0);
	if (self->tracked)
		EXPECT_EQ(1, stat_num("folio_inits") - inits0);
	ASSERT_EQ(0, munmap(r.p, self->align));
	assert_idle(_metadata, self->tracked);
}

static void *race_map_touch_unmap(void *arg)
{
	struct race *r = arg;
	int i;

	pthread_barrier_wait(&r->start);
	for (i = 0; i < r->rounds && time(NULL) < r->until; i++) {
		volatile uint8_t *p = map_dev(r->fd, r->align, 0);

		if (p == MAP_FAILED) {
			__atomic_fetch_add(&r->errors, 1, __ATOMIC_SEQ_CST);
			return NULL;
		}
		(void)p[(i * 4096) % r->align];
		p[0] = 1;
		munmap((void *)p, r->align);
	}
	__atomic_fetch_add(&r->done, i, __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * Tracked: first touches race with the frees munmap triggers.  Bounded by
 * rounds and by 20 s, so a slow (debug, TCG) kernel still finishes.
 */
TEST_F_TIMEOUT(devdax, threads_race_touch_vs_free, 300)
{
	struct race r = { .fd = self->fd, .align = self->align };
	pthread_t th[RACE_THREADS];
	int i;

	if (!self->tracked)
		SKIP(return, "sweep folios are never freed");
	r.rounds = self->align == SZ_4K ? 2000 : 200;
	r.until = time(NULL) + 20;
	pthread_barrier_init(&r.start, NULL, RACE_THREADS);
	for (i = 0; i < RACE_THREADS; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, race_map_touch_unmap,
					    &r));
	for (i = 0; i < RACE_THREADS; i++)
		pthread_join(th[i], NULL);
	EXPECT_EQ(0, r.errors);
	EXPECT_LE(RACE_THREADS * 10, r.done);
	TH_LOG("%d rounds; folio inits %lld, frees %lld", r.done,
	       stat_num("folio_inits"), stat_num("folio_frees"));
	assert_idle(_metadata, self->tracked);
}

TEST_HARNESS_MAIN
