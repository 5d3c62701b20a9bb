// SPDX-License-Identifier: GPL-2.0
/*
 * odirect_hold - an O_DIRECT read into a DAX mapping that stays in flight.
 *
 * Usage: odirect_hold [--unmap] DAXFILE SOURCE
 *
 * Maps the first 2 MiB of DAXFILE shared and pread()s 4 KiB of SOURCE
 * (opened O_DIRECT) into it.  The read pins the destination page (GUP)
 * for as long as the I/O is in flight; with SOURCE a device whose I/O is
 * held (a suspended device-mapper device) that is as long as the test
 * wants.  Prints "reading" just before the read, then, when the read
 * returns, "read N" (or the error) and exits 0 if 4096 bytes were read.
 * The mapping may be gone by then (the device was taken away): the pinned
 * page still takes the data.
 *
 * With --unmap, SIGUSR1 makes a second thread unmap the buffer while the
 * read is in flight and print "unmapped": from then on only the read's
 * pin holds the page, and neither a mapping nor an open file holds the
 * DAX device (or its driver's module).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define LEN (2UL << 20)

static void *unmap_on_usr1(void *p)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	if (sigwait(&set, &sig) || munmap(p, LEN)) {
		fprintf(stderr, "odirect_hold: unmap: %s\n", strerror(errno));
		return NULL;
	}
	printf("unmapped\n");
	fflush(stdout);
	return NULL;
}

/* SIGUSR1 is blocked in every thread; the unmapper takes it with sigwait */
static int start_unmapper(char *p)
{
	pthread_t thread;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) ||
	    pthread_create(&thread, NULL, unmap_on_usr1, p)) {
		fprintf(stderr, "odirect_hold: unmapper thread failed\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int unmap = argc > 1 && !strcmp(argv[1], "--unmap");
	ssize_t n;
	char *p;
	int fd, src;

	if (argc != 3 + unmap) {
		fprintf(stderr, "usage: %s [--unmap] DAXFILE SOURCE\n", argv[0]);
		return 1;
	}
	fd = open(argv[1 + unmap], O_RDWR);
	src = open(argv[2 + unmap], O_RDONLY | O_DIRECT);
	if (fd < 0 || src < 0) {
		fprintf(stderr, "odirect_hold: open: %s\n", strerror(errno));
		return 1;
	}
	p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "odirect_hold: mmap: %s\n", strerror(errno));
		return 1;
	}
	close(fd);
	p[0] = 1;	/* fault it in before the read pins it */
	if (unmap && start_unmapper(p))
		return 1;
	printf("reading\n");
	fflush(stdout);
	n = pread(src, p, 4096, 0);
	if (n < 0) {
		printf("read error: %s\n", strerror(errno));
		return 1;
	}
	printf("read %zd\n", n);
	return n == 4096 ? 0 : 1;
}
