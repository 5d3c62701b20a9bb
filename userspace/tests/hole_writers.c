// SPDX-License-Identifier: GPL-2.0
/*
 * hole_writers - threads writing through a shared mapping into the
 * unwritten extents of an fallocate()d file, then reading every write back.
 *
 * Usage: hole_writers [--read-first] [--sync]
 *                     [--punch | --zero-range | --keep-size]
 *                     [--race=zero|punch|truncate] FILE SIZE THREADS [ROUNDS]
 *
 * Each round: FILE is truncated to 0 and fallocate()d to SIZE bytes
 * (unwritten extents), mapped shared once, and THREADS threads write an
 * 8-byte tag into the first bytes of every page, thread t taking the pages
 * p with p % THREADS == t (neighbouring pages go to different threads, so
 * their first-touch write faults land in the same extent at once).
 *   --read-first  each thread reads a page before writing it (a read
 *                 fault on the hole first, then the write upgrade)
 *   --punch       the file is written whole first, then every other
 *                 64 KiB is punched out (FALLOC_FL_PUNCH_HOLE): the
 *                 threads write into holes and over data alike
 *   --zero-range  the same with FALLOC_FL_ZERO_RANGE (unwritten extents
 *                 inside a written file)
 *   --keep-size   the extents are allocated beyond EOF
 *                 (FALLOC_FL_KEEP_SIZE), then the size is set by ftruncate()
 *   --sync        the mapping is MAP_SYNC (synchronous faults)
 *   --race=MODE   the file is 2 * SIZE bytes; while the threads write the
 *                 first half, one more thread changes the extents of the
 *                 second half, 64 KiB at a time, until they are done:
 *                 zero (FALLOC_FL_ZERO_RANGE), punch (punch the hole and
 *                 fallocate it again) or truncate (shrink the file to
 *                 SIZE + 64 KiB and fallocate it back to 2 * SIZE)
 * After
 * the threads are joined every page is read back through the mapping,
 * with pread() while the mapping is still there, and again with pread()
 * after munmap and fsync.  A page whose tag is missing is a lost write.
 *
 * Prints one line a round, "round R: N pages, L lost (mapping), M lost
 * (pread while mapped), P lost (pread)", the first lost pages, and exits 1 if any write was lost, 0 if
 * none, 2 on a usage or set-up error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096UL

enum holes { HOLES_FALLOCATE, HOLES_PUNCH, HOLES_ZERO_RANGE, HOLES_KEEP_SIZE };
enum race { RACE_NONE, RACE_ZERO, RACE_PUNCH, RACE_TRUNCATE };

/* ints, so that the option table below can set any of them */
static int read_first, map_sync;
static int holes = HOLES_FALLOCATE;	/* enum holes */
static int race = RACE_NONE;		/* enum race */

#define CHUNK (64UL << 10)

struct job {
	char *map;
	size_t pages;
	unsigned int t, threads, round;
	pthread_barrier_t *start;
};

struct racer {
	int fd;
	size_t size;
	pthread_barrier_t *start;
	atomic_bool stop;
	long changes;
	int err;
};

static uint64_t tag(unsigned int round, size_t page)
{
	return 0x7a6b000000000000ULL ^ ((uint64_t)round << 40) ^ page;
}

static void *writer(void *arg)
{
	struct job *j = arg;
	size_t p;

	pthread_barrier_wait(j->start);
	for (p = j->t; p < j->pages; p += j->threads) {
		if (read_first)
			(void)*(volatile uint64_t *)(j->map + p * PG);
		*(volatile uint64_t *)(j->map + p * PG) = tag(j->round, p);
	}
	return NULL;
}

/* One change to the extents of 64 KiB at @off in the second half. */
static int race_once(struct racer *rc, size_t off)
{
	switch (race) {
	case RACE_ZERO:
		return fallocate(rc->fd, FALLOC_FL_ZERO_RANGE, off, CHUNK);
	case RACE_PUNCH:
		if (fallocate(rc->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      off, CHUNK))
			return -1;
		return fallocate(rc->fd, 0, off, CHUNK);
	case RACE_TRUNCATE:
		if (ftruncate(rc->fd, rc->size + CHUNK))
			return -1;
		return fallocate(rc->fd, 0, rc->size, rc->size);
	default:
		return 0;
	}
}

static void *racer(void *arg)
{
	struct racer *rc = arg;
	size_t off = 0;

	pthread_barrier_wait(rc->start);
	while (!atomic_load(&rc->stop)) {
		if (race_once(rc, rc->size + off)) {
			rc->err = errno;
			break;
		}
		rc->changes++;
		off = (off + CHUNK) % rc->size;
	}
	return NULL;
}

static const struct {
	const char *name;
	int *var;
	int value;
} options[] = {
	{ "--read-first", &read_first, 1 },
	{ "--sync", &map_sync, 1 },
	{ "--punch", &holes, HOLES_PUNCH },
	{ "--zero-range", &holes, HOLES_ZERO_RANGE },
	{ "--keep-size", &holes, HOLES_KEEP_SIZE },
	{ "--race=zero", &race, RACE_ZERO },
	{ "--race=punch", &race, RACE_PUNCH },
	{ "--race=truncate", &race, RACE_TRUNCATE },
};

/* Sets what option @arg names; false if it names none. */
static bool set_option(const char *arg)
{
	size_t i;

	for (i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		if (!strcmp(arg, options[i].name)) {
			*options[i].var = options[i].value;
			return true;
		}
	}
	return false;
}

static size_t parse(const char *s)
{
	char *end;
	size_t n = strtoull(s, &end, 0);

	switch (*end) {
	case 'K': return n << 10;
	case 'M': return n << 20;
	case 'G': return n << 30;
	default: return *end ? 0 : n;
	}
}

/* FILE as the round starts: SIZE bytes, with holes as the options say */
static int make_holes(int fd, size_t size)
{
	int mode = holes == HOLES_PUNCH ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE :
		   FALLOC_FL_ZERO_RANGE;
	char buf[CHUNK];
	size_t off;

	if (ftruncate(fd, 0))
		return -1;
	if (holes == HOLES_KEEP_SIZE)
		return fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, size) ||
		       ftruncate(fd, size) ? -1 : 0;
	if (fallocate(fd, 0, 0, size))
		return -1;
	if (holes == HOLES_FALLOCATE)
		return 0;
	memset(buf, 0xab, sizeof(buf));
	for (off = 0; off < size; off += CHUNK)
		if (pwrite(fd, buf, size - off < CHUNK ? size - off : CHUNK, off) < 0)
			return -1;
	if (fsync(fd))
		return -1;
	for (off = 0; off < size; off += 2 * CHUNK)
		if (fallocate(fd, mode, off, size - off < CHUNK ? size - off : CHUNK))
			return -1;
	return 0;
}

/* one round; returns the writes lost, or -1 on an error */
static long round_trip(int fd, size_t size, unsigned int threads, unsigned int r)
{
	size_t pages = size / PG, p, lost_map = 0, lost_read = 0, shown = 0;
	size_t lost_mapped_read = 0;
	pthread_t *tid = calloc(threads, sizeof(*tid));
	struct job *jobs = calloc(threads, sizeof(*jobs));
	pthread_barrier_t start;
	uint64_t v;
	unsigned int t;
	char *map;

	struct racer rc = { .fd = fd, .size = size, .start = &start };
	pthread_t rtid;

	if (!tid || !jobs || make_holes(fd, size) ||
	    (race && fallocate(fd, 0, size, size))) {
		perror("hole_writers: making the holes");
		return -1;
	}
	map = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   map_sync ? MAP_SHARED_VALIDATE | MAP_SYNC : MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		perror("hole_writers: mmap");
		return -1;
	}
	pthread_barrier_init(&start, NULL, threads + (race != RACE_NONE));
	for (t = 0; t < threads; t++) {
		jobs[t] = (struct job){ map, pages, t, threads, r, &start };
		pthread_create(&tid[t], NULL, writer, &jobs[t]);
	}
	if (race)
		pthread_create(&rtid, NULL, racer, &rc);
	for (t = 0; t < threads; t++)
		pthread_join(tid[t], NULL);
	if (race) {
		atomic_store(&rc.stop, true);
		pthread_join(rtid, NULL);
		if (rc.err) {
			fprintf(stderr, "hole_writers: racing extent change: %s\n",
				strerror(rc.err));
			return -1;
		}
	}
	pthread_barrier_destroy(&start);
	for (p = 0; p < pages; p++) {
		v = *(volatile uint64_t *)(map + p * PG);
		if (v != tag(r, p)) {
			lost_map++;
			if (shown++ < 8)
				printf("  page %zu (byte %zu): %#llx through the mapping\n",
				       p, p * PG, (unsigned long long)v);
		}
	}
	for (p = 0; p < pages; p++) {
		if (pread(fd, &v, sizeof(v), p * PG) != sizeof(v)) {
			perror("hole_writers: pread");
			return -1;
		}
		lost_mapped_read += v != tag(r, p);
	}
	munmap(map, size);
	fsync(fd);
	for (p = 0; p < pages; p++) {
		if (pread(fd, &v, sizeof(v), p * PG) != sizeof(v)) {
			perror("hole_writers: pread");
			return -1;
		}
		lost_read += v != tag(r, p);
	}
	printf("round %u: %zu pages, %zu lost (mapping), %zu lost (pread while mapped), %zu lost (pread)",
	       r, pages, lost_map, lost_mapped_read, lost_read);
	if (race)
		printf(", %ld racing extent changes", rc.changes);
	printf("\n");
	fflush(stdout);
	free(tid);
	free(jobs);
	return lost_map + lost_mapped_read + lost_read;
}

int main(int argc, char **argv)
{
	unsigned int threads, rounds = 1, r;
	long lost, total = 0;
	size_t size;
	int fd;

	for (; argc > 1 && argv[1][0] == '-'; argc--, argv++) {
		if (!set_option(argv[1])) {
			fprintf(stderr, "hole_writers: unknown option %s\n", argv[1]);
			return 2;
		}
	}
	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: hole_writers [--read-first] [--sync] [--punch | --zero-range | --keep-size] [--race=zero|punch|truncate] FILE SIZE THREADS [ROUNDS]\n");
		return 2;
	}
	size = parse(argv[2]);
	threads = strtoul(argv[3], NULL, 0);
	if (argc == 5)
		rounds = strtoul(argv[4], NULL, 0);
	if (!size || size % (race ? CHUNK : PG) || !threads || !rounds) {
		fprintf(stderr, "hole_writers: SIZE a multiple of 4K (64K with --race), THREADS and ROUNDS above 0\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR | O_CREAT, 0644);
	if (fd < 0) {
		fprintf(stderr, "hole_writers: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	for (r = 0; r < rounds; r++) {
		lost = round_trip(fd, size, threads, r);
		if (lost < 0)
			return 2;
		total += lost;
	}
	close(fd);
	return total ? 1 : 0;
}
