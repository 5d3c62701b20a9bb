// SPDX-License-Identifier: GPL-2.0
/*
 * pin_hold - hold a GUP pin on one page of a file or device, with no
 * mapping and no open file left, until told to let go.
 *
 * Usage: pin_hold [--io-uring | --mapped | --late] FILE LENGTH [OFFSET]
 *
 * Maps LENGTH bytes of FILE shared at OFFSET (default 0), writes a pattern
 * into the first page, vmsplice()s that page into a pipe (the pipe buffer
 * holds a page reference taken by get_user_pages), then unmaps and closes
 * FILE and prints "pinned" on stdout.  From then on only the pipe keeps
 * the page: the device can be taken away, and its driver must not free the
 * page's struct page.  On SIGTERM or SIGUSR1 it reads the page back out of
 * the pipe, checks the pattern and exits: 0 if the data is intact, 3 if
 * it differs, 1 on any other error.
 *
 * With --mapped the file is opened and mapped read-only, nothing is
 * written (a reflinked extent stays shared), and the mapping and the file
 * stay: the page is mapped and pinned.  The data check then compares with
 * what the page held when it was pinned.
 *
 * With --late it maps and writes the page, prints "mapped" and pins only
 * on SIGUSR2 (then unmaps, closes and prints "pinned" as usual): a pin
 * taken through an existing mapping, after the device was taken away.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define PAGE 4096

static volatile sig_atomic_t released, go;

static void on_signal(int sig)
{
	if (sig == SIGUSR2)
		go = 1;
	else
		released = 1;
}

static int parse_size(const char *s, size_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end ? -1 : 0;
}

static uint8_t expect[PAGE];

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7 + 0x5a);
}

/* Register @p as an io_uring fixed buffer; returns the ring or -1. */
static int register_ring(uint8_t *p)
{
	struct io_uring_params params;
	struct iovec iov = { .iov_base = p, .iov_len = PAGE };
	int ring;

	memset(&params, 0, sizeof(params));
	ring = (int)syscall(__NR_io_uring_setup, 4, &params);
	if (ring < 0) {
		fprintf(stderr, "pin_hold: io_uring_setup: %s\n", strerror(errno));
		return -1;
	}
	if (syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS,
		    &iov, 1)) {
		fprintf(stderr, "pin_hold: IORING_REGISTER_BUFFERS: %s\n",
			strerror(errno));
		close(ring);
		return -1;
	}
	return ring;
}

/* Say "mapped", then wait for SIGUSR2 (blocked until sigsuspend: no race). */
static int wait_for_go(void)
{
	sigset_t block, old;

	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	if (sigprocmask(SIG_BLOCK, &block, &old)) {
		fprintf(stderr, "pin_hold: sigprocmask: %s\n", strerror(errno));
		return -1;
	}
	printf("mapped\n");
	fflush(stdout);
	while (!go)
		sigsuspend(&old);
	return sigprocmask(SIG_SETMASK, &old, NULL);
}

/* Drop the mapping and the file unless @mapped, say so, wait to be told. */
static void hold(uint8_t *p, size_t len, int fd, bool mapped)
{
	if (!mapped) {
		munmap(p, len);
		close(fd);
	}
	printf("pinned\n");
	fflush(stdout);
	while (!released)
		pause();
}

int main(int argc, char **argv)
{
	static uint8_t back[PAGE];
	size_t len, off = 0, i;
	bool uring = false, mapped = false, late = false;
	struct iovec iov;
	int fd, ring, pfd[2];
	uint8_t *p;

	if (argc > 1 && !strcmp(argv[1], "--io-uring")) {
		uring = true;
		argv++;
		argc--;
	} else if (argc > 1 && !strcmp(argv[1], "--mapped")) {
		mapped = true;
		argv++;
		argc--;
	} else if (argc > 1 && !strcmp(argv[1], "--late")) {
		late = true;
		argv++;
		argc--;
	}
	if (argc < 3 || argc > 4 || parse_size(argv[2], &len) ||
	    (argc == 4 && parse_size(argv[3], &off)) || len < PAGE) {
		fprintf(stderr, "usage: pin_hold [--io-uring | --mapped | --late] FILE LENGTH [OFFSET]\n");
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGUSR1, on_signal);
	signal(SIGUSR2, on_signal);
	fd = open(argv[1], mapped ? O_RDONLY : O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "pin_hold: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	p = mmap(NULL, len, mapped ? PROT_READ : PROT_READ | PROT_WRITE,
		 MAP_SHARED, fd, (off_t)off);
	if (p == MAP_FAILED) {
		fprintf(stderr, "pin_hold: mmap: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < PAGE; i++) {
		if (!mapped)
			p[i] = pattern(i);
		expect[i] = p[i];
	}
	if (uring) {
		ring = register_ring(p);
		if (ring < 0)
			return 1;
		hold(p, len, fd, false);
		close(ring);
		printf("released\n");
		return 0;
	}
	if (pipe(pfd)) {
		fprintf(stderr, "pin_hold: pipe: %s\n", strerror(errno));
		return 1;
	}
	if (late && wait_for_go())
		return 1;
	iov.iov_base = p;
	iov.iov_len = PAGE;
	if (vmsplice(pfd[1], &iov, 1, 0) != PAGE) {
		fprintf(stderr, "pin_hold: vmsplice: %s\n", strerror(errno));
		return 1;
	}
	hold(p, len, fd, mapped);
	if (read(pfd[0], back, PAGE) != PAGE) {
		fprintf(stderr, "pin_hold: reading the pipe: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < PAGE; i++) {
		if (back[i] != expect[i]) {
			fprintf(stderr, "pin_hold: byte %zu is %#x, expected %#x\n",
				i, back[i], expect[i]);
			return 3;
		}
	}
	printf("released: data intact\n");
	return 0;
}
