// SPDX-License-Identifier: GPL-2.0
/*
 * media_test - media errors on a pmemu device, as a program mapping it sees
 * them.
 *
 * Usage: PMEMU_MEDIA_TARGET=PATH PMEMU_MEDIA_SYSFS=DIR
 *        PMEMU_MEDIA_BADBLOCKS=FILE media_test [harness options]
 *
 * PATH is a devdax node (/dev/pmemuN.dax) or a file of at least 8 MiB on
 * ext4/xfs mounted -o dax from a whole pmemu block device.  DIR holds the
 * device's inject_error and clear_error attributes, FILE its badblocks
 * list.  Needs root (MADV_HWPOISON, the attributes) and a device nobody
 * else maps.  Every test leaves the device without media errors.
 *
 * What is asserted:
 *  - memory_failure() on a mapped page (MADV_HWPOISON) delivers SIGBUS
 *    with BUS_MCEERR_AR whose si_addr_lsb is the size of the mapping
 *    (devdax: its align; a file: 4 KiB or 2 MiB, however fs/dax mapped it)
 *    and whose si_addr lies in that mapping unit around the page;
 *  - with the device's sw_poison "transient" (the default, as on pmem) it
 *    is not recorded: the next access and file reads get the data back;
 *  - with sw_poison "media" it is recorded in badblocks; the next access
 *    gets SIGBUS again; the neighbouring unit keeps its data; file reads of
 *    the page fail with EIO; a page-sized overwrite (files) or clear_error
 *    (devdax) clears it and the page works again;
 *  - sw_poison takes only "transient" and "media";
 *  - an injected error is in badblocks, makes devdax accesses and new file
 *    faults SIGBUS and file reads EIO, makes kernel copies fail with EFAULT
 *    and no signal, and is gone after clear_error;
 *  - malformed, unaligned or out-of-range injections fail with EINVAL and
 *    change nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "files.h"

#define SZ_4K (4096UL)
#define SZ_2M (2UL << 20)
#define SECTOR 512UL
#define FILE_MIN (8UL << 20)

#ifndef MADV_HWPOISON
#define MADV_HWPOISON 100
#endif
#ifndef BUS_MCEERR_AR
#define BUS_MCEERR_AR 4
#endif

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* --- SIGBUS capture --- */

static sigjmp_buf sigbus_jmp;
static volatile sig_atomic_t sigbus_armed;
static siginfo_t sigbus_info;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (!sigbus_armed)
		abort();
	sigbus_info = *si;
	sigbus_armed = 0;
	siglongjmp(sigbus_jmp, 1);
}

static void catch_sigbus(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

/* Read the byte at @addr into *@val: 0, or 1 if that raised SIGBUS. */
static __attribute__((noinline)) int touch(const void *addr, uint8_t *val)
{
	uint8_t v;

	if (sigsetjmp(sigbus_jmp, 1))
		return 1;
	sigbus_armed = 1;
	v = *(const volatile uint8_t *)addr;
	sigbus_armed = 0;
	*val = v;
	return 0;
}

/*
 * MADV_HWPOISON the page at @addr, then read it: 1 if SIGBUS came (during
 * the madvise or at the read), 0 if not, -errno if madvise failed.
 */
static __attribute__((noinline)) int poison_and_touch(void *addr)
{
	if (sigsetjmp(sigbus_jmp, 1))
		return 1;
	sigbus_armed = 1;
	if (madvise(addr, SZ_4K, MADV_HWPOISON)) {
		sigbus_armed = 0;
		return -errno;
	}
	(void)*(volatile uint8_t *)addr;
	sigbus_armed = 0;
	return 0;
}

/* --- sysfs --- */

static int attr_write(const char *name, const char *val)
{
	char path[512];
	ssize_t n;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", env("PMEMU_MEDIA_SYSFS"), name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

/* The first line of the attribute, without its newline ("" if unreadable). */
static const char *attr_read(const char *name)
{
	static char buf[64];
	char path[512];
	FILE *f;

	buf[0] = 0;
	snprintf(path, sizeof(path), "%s/%s", env("PMEMU_MEDIA_SYSFS"), name);
	f = fopen(path, "r");
	if (!f)
		return buf;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return buf;
}

static int media_range(const char *attr, uint64_t off, uint64_t len)
{
	char val[64];

	snprintf(val, sizeof(val), "%llu %llu", (unsigned long long)off,
		 (unsigned long long)len);
	return attr_write(attr, val);
}

/* The badblocks list as one string ("" when clean). */
static char *badblocks(void)
{
	static char buf[4096];
	ssize_t n;
	int fd;

	buf[0] = 0;
	fd = open(env("PMEMU_MEDIA_BADBLOCKS"), O_RDONLY);
	if (fd < 0)
		return strcpy(buf, "(unreadable)");
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	close(fd);
	return buf;
}

static bool has_badblock(uint64_t dev_off, uint64_t len)
{
	char want[64];

	snprintf(want, sizeof(want), "%llu %llu\n",
		 (unsigned long long)(dev_off / SECTOR),
		 (unsigned long long)(len / SECTOR));
	return strstr(badblocks(), want) != NULL;
}

/* --- the target --- */

FIXTURE(media) {
	int fd;
	bool devdax;
	size_t unit;		/* devdax align; files: 2 MiB spacing */
	int lsb;		/* devdax: log2(align); files: 0 (12 or 21) */
	off_t base;		/* file offset of the two units used */
	size_t page_in_unit;	/* offset of the test page in unit 2 */
};

static long long sysfs_num(const char *attr)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", env("PMEMU_MEDIA_SYSFS"), attr);
	return file_num(path);
}

FIXTURE_SETUP(media)
{
	struct stat st;

	if (!env("PMEMU_MEDIA_TARGET") || !env("PMEMU_MEDIA_SYSFS") ||
	    !env("PMEMU_MEDIA_BADBLOCKS"))
		SKIP(return, "PMEMU_MEDIA_TARGET, _SYSFS and _BADBLOCKS not set");
	if (geteuid())
		SKIP(return, "needs root");
	self->fd = open(env("PMEMU_MEDIA_TARGET"), O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", env("PMEMU_MEDIA_TARGET"),
				     strerror(errno));
	ASSERT_EQ(0, fstat(self->fd, &st));
	self->devdax = S_ISCHR(st.st_mode);
	if (self->devdax) {
		long long size = sysfs_num("size") - sysfs_num("data_offset");

		self->unit = (size_t)sysfs_num("align");
		self->lsb = __builtin_ctzl(self->unit);
		ASSERT_LE((long long)(2 * self->unit), size);
		self->base = (off_t)(size - 2 * self->unit);
	} else {
		ASSERT_LE((off_t)FILE_MIN, st.st_size);
		self->unit = SZ_2M;
		self->lsb = 0;
		self->base = SZ_2M;
	}
	self->page_in_unit = self->unit > 2 * SZ_4K ? 2 * SZ_4K : 0;
	ASSERT_STREQ("", badblocks());
	catch_sigbus();
}

FIXTURE_TEARDOWN(media)
{
	if (self->fd > 0)
		close(self->fd);
}

/* Device offset of file offset @off (FIEMAP for files). */
static uint64_t dev_offset(FIXTURE_DATA(media) *self, off_t off)
{
	struct {
		struct fiemap fm;
		struct fiemap_extent ext;
	} f = { .fm = { .fm_start = (uint64_t)off, .fm_length = SZ_4K,
			.fm_flags = FIEMAP_FLAG_SYNC, .fm_extent_count = 1 } };

	if (self->devdax)
		return (uint64_t)off;
	if (ioctl(self->fd, FS_IOC_FIEMAP, &f) || f.fm.fm_mapped_extents != 1)
		return UINT64_MAX;
	return f.ext.fe_physical + ((uint64_t)off - f.ext.fe_logical);
}

static uint8_t *map_units(FIXTURE_DATA(media) *self)
{
	return mmap(NULL, 2 * self->unit, PROT_READ | PROT_WRITE, MAP_SHARED,
		    self->fd, self->base);
}

static uint8_t pat(size_t i, unsigned int seed)
{
	return (uint8_t)(i / SZ_4K * 7 + seed);
}

/* One byte per page, so huge units stay cheap. */
static void fill(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i += SZ_4K)
		p[i] = pat(i, seed);
}

static long long check(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i += SZ_4K)
		if (p[i] != pat(i, seed))
			return (long long)i;
	return -1;
}

/* The SIGBUS just caught reports machine-check consumption of @addr. */
static void assert_mceerr(struct __test_metadata *_metadata,
			  FIXTURE_DATA(media) *self, void *addr)
{
	uintptr_t a = (uintptr_t)addr, s = (uintptr_t)sigbus_info.si_addr;
	int lsb = sigbus_info.si_addr_lsb;

	EXPECT_EQ(BUS_MCEERR_AR, sigbus_info.si_code);
	if (self->lsb) {
		EXPECT_EQ(self->lsb, lsb);
	} else {
		EXPECT_TRUE(lsb == 12 || lsb == 21) TH_LOG("si_addr_lsb %d", lsb);
	}
	if (lsb > 0 && lsb < 64) {
		EXPECT_EQ(a >> lsb, s >> lsb)
			TH_LOG("si_addr %#lx, page %#lx, lsb %d",
			       (unsigned long)s, (unsigned long)a, lsb);
	}
}

/*
 * Software poison on a device left at its default: SIGBUS for the process
 * that consumed it, nothing recorded, the data still there for the next
 * access and for file reads, as on pmem.
 */
TEST_F_TIMEOUT(media, hwpoison_transient, 300)
{
	size_t poff = self->unit + self->page_in_unit;
	char buf[SZ_4K];
	uint8_t *p, v = 0;

	ASSERT_STREQ("transient", attr_read("sw_poison"));
	p = map_units(self);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	fill(p, 2 * self->unit, 17);

	ASSERT_EQ(1, poison_and_touch(p + poff))
		TH_LOG("MADV_HWPOISON then access: no SIGBUS (%s)", strerror(errno));
	assert_mceerr(_metadata, self, p + poff);
	EXPECT_STREQ("", badblocks());

	ASSERT_EQ(0, touch(p + poff, &v)) TH_LOG("SIGBUS at the next access");
	EXPECT_EQ(pat(poff, 17), v);
	EXPECT_EQ(-1, check(p, 2 * self->unit, 17));
	if (!self->devdax) {
		EXPECT_EQ((ssize_t)SZ_4K,
			  pread(self->fd, buf, SZ_4K, self->base + (off_t)poff))
			TH_LOG("file read of the page: %s", strerror(errno));
		EXPECT_EQ(pat(poff, 17), (uint8_t)buf[0]);
	}
	EXPECT_EQ(0, munmap(p, 2 * self->unit));
}

/*
 * memory_failure() on a mapped page of a device whose sw_poison is
 * "media": SIGBUS now or at the next access, recorded, SIGBUS again,
 * neighbour intact, EIO for file reads; cleared by an overwrite (files) or
 * clear_error (devdax).
 */
TEST_F_TIMEOUT(media, hwpoison_recorded_then_clear, 300)
{
	size_t poff = self->unit + self->page_in_unit;
	uint64_t dev_off = dev_offset(self, self->base + (off_t)poff);
	char buf[SZ_4K], page[SZ_4K];
	uint8_t *p, v = 0;

	ASSERT_NE(UINT64_MAX, dev_off);
	ASSERT_EQ(0, attr_write("sw_poison", "media"));
	ASSERT_STREQ("media", attr_read("sw_poison"));
	p = map_units(self);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	fill(p, 2 * self->unit, 11);

	ASSERT_EQ(1, poison_and_touch(p + poff))
		TH_LOG("MADV_HWPOISON then access: no SIGBUS (%s)", strerror(errno));
	assert_mceerr(_metadata, self, p + poff);
	EXPECT_TRUE(has_badblock(dev_off, SZ_4K))
		TH_LOG("badblocks: '%s', want sector %llu", badblocks(),
		       (unsigned long long)dev_off / SECTOR);

	ASSERT_EQ(1, touch(p + poff, &v)) TH_LOG("second access: no SIGBUS");
	assert_mceerr(_metadata, self, p + poff);
	EXPECT_EQ(-1, check(p, self->unit, 11));

	if (self->devdax) {
		ASSERT_EQ(0, media_range("clear_error", dev_off, SZ_4K));
		ASSERT_EQ(0, touch(p + poff, &v)) TH_LOG("SIGBUS after clear");
	} else {
		EXPECT_EQ(-1, pread(self->fd, buf, SZ_4K, self->base + (off_t)poff));
		EXPECT_EQ(EIO, errno);
		EXPECT_EQ((ssize_t)SZ_4K,
			  pread(self->fd, buf, SZ_4K, self->base + (off_t)poff - SZ_4K));
		memset(page, 0x5a, sizeof(page));
		EXPECT_EQ((ssize_t)SZ_4K,
			  pwrite(self->fd, page, SZ_4K, self->base + (off_t)poff))
			TH_LOG("recovery write: %s", strerror(errno));
		EXPECT_EQ((ssize_t)SZ_4K,
			  pread(self->fd, buf, SZ_4K, self->base + (off_t)poff));
		EXPECT_EQ(0, memcmp(buf, page, SZ_4K));
		ASSERT_EQ(0, touch(p + poff, &v)) TH_LOG("SIGBUS after overwrite");
		EXPECT_EQ(0x5a, v);
	}
	EXPECT_STREQ("", badblocks());
	EXPECT_EQ(0, munmap(p, 2 * self->unit));
	EXPECT_EQ(0, attr_write("sw_poison", "transient"));
}

/*
 * An injected error: listed; devdax accesses and new file faults get
 * SIGBUS, file reads EIO, kernel copies EFAULT without a signal;
 * clear_error brings the data back.
 */
TEST_F_TIMEOUT(media, inject_then_clear, 300)
{
	size_t poff = self->unit + self->page_in_unit;
	uint64_t dev_off = dev_offset(self, self->base + (off_t)poff);
	char buf[SZ_4K];
	int pipefd[2];
	uint8_t *p, v = 0;

	ASSERT_NE(UINT64_MAX, dev_off);
	p = map_units(self);
	ASSERT_NE(MAP_FAILED, p);
	fill(p, 2 * self->unit, 23);
	if (!self->devdax) {
		/* a mapping made before the error is the filesystem's */
		ASSERT_EQ(0, munmap(p, 2 * self->unit));
		ASSERT_EQ(0, fsync(self->fd));
	}

	ASSERT_EQ(0, media_range("inject_error", dev_off + SECTOR, SECTOR));
	EXPECT_TRUE(has_badblock(dev_off + SECTOR, SECTOR))
		TH_LOG("badblocks: '%s'", badblocks());

	if (!self->devdax) {
		EXPECT_EQ(-1, pread(self->fd, buf, SZ_4K, self->base + (off_t)poff));
		EXPECT_EQ(EIO, errno);
		p = map_units(self);
		ASSERT_NE(MAP_FAILED, p);
	}
	ASSERT_EQ(1, touch(p + poff, &v)) TH_LOG("access: no SIGBUS (read %u)", v);
	assert_mceerr(_metadata, self, p + poff);
	EXPECT_EQ(-1, check(p, self->unit, 23));

	/* the kernel reading the page for write(2) gets EFAULT, no signal */
	ASSERT_EQ(0, pipe(pipefd));
	sigbus_armed = 0;	/* a SIGBUS now would abort() */
	EXPECT_EQ(-1, write(pipefd[1], p + poff, 64));
	EXPECT_EQ(EFAULT, errno);
	close(pipefd[0]);
	close(pipefd[1]);

	ASSERT_EQ(0, media_range("clear_error", dev_off, SZ_4K));
	EXPECT_STREQ("", badblocks());
	ASSERT_EQ(0, touch(p + poff, &v)) TH_LOG("SIGBUS after clear_error");
	EXPECT_EQ(pat(poff, 23), v);
	EXPECT_EQ(-1, check(p, 2 * self->unit, 23));
	EXPECT_EQ(0, munmap(p, 2 * self->unit));
}

/* Bad ranges: EINVAL, nothing recorded. */
TEST_F(media, bad_input_refused)
{
	long long size = sysfs_num("size") - sysfs_num("data_offset");
	char big[64];
	static const char *const bad[] = {
		"1", "abc 512", "512 abc", "0 512 7", "-512 512",
		"100 512", "512 100", "0 0",
	};
	size_t i;

	ASSERT_LT(0, size);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, attr_write("inject_error", bad[i]))
			TH_LOG("inject_error '%s' accepted", bad[i]);
		EXPECT_EQ(-EINVAL, attr_write("clear_error", bad[i]))
			TH_LOG("clear_error '%s' accepted", bad[i]);
	}
	EXPECT_EQ(-EINVAL, media_range("inject_error", (uint64_t)size, SECTOR));
	EXPECT_EQ(-EINVAL, media_range("inject_error", (uint64_t)size - SECTOR,
				       2 * SECTOR));
	snprintf(big, sizeof(big), "512 %llu", (unsigned long long)UINT64_MAX - 511);
	EXPECT_EQ(-EINVAL, attr_write("inject_error", big));
	EXPECT_STREQ("", badblocks());
}

/* sw_poison: "transient" by default, takes "media" and back, nothing else. */
TEST_F(media, sw_poison_setting)
{
	static const char *const bad[] = { "Media", "media2", "1", "transient media" };
	size_t i;

	ASSERT_STREQ("transient", attr_read("sw_poison"));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, attr_write("sw_poison", bad[i]))
			TH_LOG("sw_poison '%s' accepted", bad[i]);
		EXPECT_STREQ("transient", attr_read("sw_poison"));
	}
	ASSERT_EQ(0, attr_write("sw_poison", "media"));
	EXPECT_STREQ("media", attr_read("sw_poison"));
	EXPECT_EQ(-EINVAL, attr_write("sw_poison", "bogus"));
	EXPECT_STREQ("media", attr_read("sw_poison"));
	ASSERT_EQ(0, attr_write("sw_poison", "transient\n"));
	EXPECT_STREQ("transient", attr_read("sw_poison"));
}

TEST_HARNESS_MAIN
