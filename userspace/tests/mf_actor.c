// SPDX-License-Identifier: GPL-2.0
/*
 * mf_actor - one process of a memory-failure scenario on a DAX file, for
 * comparing pmemu with nd_pmem (tests/guest/fsdax-poison.sh).
 *
 * Usage: mf_actor poison FILE PAGE COUNT [COUNT...]
 *        mf_actor reader FILE PAGE
 *        mf_actor writer FILE PAGE
 *
 * poison maps FILE shared and reads every page it is not going to poison
 * (madvise's own lookup faults those in, so a page that cannot be mapped
 * fails the madvise rather than the read).  Then for each COUNT it calls
 * madvise(MADV_HWPOISON) on COUNT pages from page PAGE and prints
 * "madvise COUNT: ok" or "madvise COUNT: <errno name>"; at the end it
 * prints "survived".  It keeps SIGBUS's default action, so a process the
 * kernel kills shows as signal 7 in the exit status, as a program that
 * does not expect poison would.
 *
 * reader maps FILE shared, reads page PAGE, prints "read HASH" and
 * "ready", waits for SIGTERM, reads the page again and prints "read HASH"
 * (or dies of SIGBUS, default action).
 *
 * writer maps FILE shared, fills page PAGE with 0x5a through the mapping
 * (on a reflinked xfs file the write fault copies the shared block), and
 * msyncs it.
 *
 * Output lines carry no addresses, so the same scenario prints the same
 * lines on two devices that behave alike.  Exit status 0, 2 on usage or
 * set-up errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"

#ifndef MADV_HWPOISON
#define MADV_HWPOISON 100
#endif

#define PG 4096UL

static void die(const char *what)
{
	fprintf(stderr, "mf_actor: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Map all of @path shared; *len gets its size, a whole number of pages. */
static uint8_t *map_file(const char *path, size_t *len)
{
	struct stat st;
	void *p;
	int fd;

	fd = open(path, O_RDWR);
	if (fd < 0)
		die(path);
	if (fstat(fd, &st))
		die("fstat");
	if (st.st_size < (off_t)PG || st.st_size % PG) {
		fprintf(stderr, "mf_actor: %s: size %lld is not a whole number of pages\n",
			path, (long long)st.st_size);
		exit(2);
	}
	*len = st.st_size;
	p = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	close(fd);
	return p;
}

/* FNV-1a of one page: the same data prints the same hash anywhere. */
static uint64_t page_hash(const volatile uint8_t *p)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < PG; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static unsigned long number(const char *s)
{
	return arg_number("mf_actor", s);
}

/* The page counts, parsed once; exits 2 on a bad one. */
static unsigned long *parse_counts(int n, char **args)
{
	unsigned long *counts = calloc(n, sizeof(*counts));
	int k;

	if (!counts)
		die("calloc");
	for (k = 0; k < n; k++) {
		counts[k] = number(args[k]);
		if (!counts[k]) {
			fprintf(stderr, "mf_actor: a COUNT of 0 pages\n");
			exit(2);
		}
	}
	return counts;
}

static int poison(const char *path, unsigned long page, int n, char **args)
{
	unsigned long *counts = parse_counts(n, args), most = 0;
	volatile uint8_t sink = 0;
	size_t len, i;
	uint8_t *p;
	int k;

	for (k = 0; k < n; k++)
		if (counts[k] > most)
			most = counts[k];
	p = map_file(path, &len);
	if (page + most > len / PG) {
		fprintf(stderr, "mf_actor: pages %lu+%lu are outside the file\n",
			page, most);
		free(counts);
		return 2;
	}
	for (i = 0; i < len / PG; i++)
		if (i < page || i >= page + most)
			sink ^= p[i * PG];
	(void)sink;
	for (k = 0; k < n; k++) {
		if (madvise(p + page * PG, counts[k] * PG, MADV_HWPOISON))
			say("madvise %lu: %s", counts[k], strerrorname_np(errno));
		else
			say("madvise %lu: ok", counts[k]);
	}
	say("survived");
	free(counts);
	return 0;
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int reader(const char *path, unsigned long page)
{
	struct sigaction sa = { .sa_handler = on_term };
	sigset_t block, old;
	size_t len;
	uint8_t *p = map_file(path, &len);

	if (page >= len / PG) {
		fprintf(stderr, "mf_actor: page %lu is outside the file\n", page);
		return 2;
	}
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &block, &old) || sigaction(SIGTERM, &sa, NULL))
		die("SIGTERM");
	say("read %016llx", (unsigned long long)page_hash(p + page * PG));
	say("ready");
	while (!stop)
		sigsuspend(&old);
	say("read %016llx", (unsigned long long)page_hash(p + page * PG));
	return 0;
}

static int writer(const char *path, unsigned long page)
{
	size_t len;
	uint8_t *p = map_file(path, &len);

	if (page >= len / PG) {
		fprintf(stderr, "mf_actor: page %lu is outside the file\n", page);
		return 2;
	}
	memset(p + page * PG, 0x5a, PG);
	if (msync(p + page * PG, PG, MS_SYNC))
		die("msync");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "poison"))
		return poison(argv[2], number(argv[3]), argc - 4, argv + 4);
	if (argc == 4 && !strcmp(argv[1], "reader"))
		return reader(argv[2], number(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "writer"))
		return writer(argv[2], number(argv[3]));
	fprintf(stderr, "usage: mf_actor poison FILE PAGE COUNT [COUNT...]\n"
			"       mf_actor reader FILE PAGE\n"
			"       mf_actor writer FILE PAGE\n");
	return 2;
}
