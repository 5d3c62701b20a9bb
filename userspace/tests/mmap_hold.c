// SPDX-License-Identifier: GPL-2.0
/*
 * mmap_hold - map a file (or device) shared, touch every page, and hold the
 * mapping until SIGTERM/SIGINT; then check the data, unmap and exit.
 *
 * Usage: mmap_hold FILE LENGTH
 *
 * Prints "ready" on stdout once every page is mapped, so a test can take
 * the device away underneath a live mapping.  Exit status 0 if the pattern
 * read back before unmapping is intact, 1 otherwise, 2 on usage or setup
 * errors.  A SIGBUS while touching or checking (the device was fenced) is
 * reported as "sigbus" and exit status 3.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static sigjmp_buf bus_env;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_bus(int sig)
{
	(void)sig;
	siglongjmp(bus_env, 1);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { 0 };
	size_t len, off;
	char *end, *p;
	volatile int bad = 0;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: %s FILE LENGTH\n", argv[0]);
		return 2;
	}
	len = strtoull(argv[2], &end, 0);
	if (*end || !len) {
		fprintf(stderr, "mmap_hold: bad length '%s'\n", argv[2]);
		return 2;
	}
	fd = open(argv[1], O_RDWR | O_CREAT, 0644);
	if (fd < 0 || (ftruncate(fd, len) && errno != EINVAL)) {
		fprintf(stderr, "mmap_hold: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "mmap_hold: mmap %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_bus;
	sigaction(SIGBUS, &sa, NULL);

	if (sigsetjmp(bus_env, 1)) {
		printf("sigbus\n");
		fflush(stdout);
		return 3;
	}
	for (off = 0; off < len; off += 4096)
		p[off] = (char)(off >> 12);
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		pause();
	for (off = 0; off < len; off += 4096)
		bad |= p[off] != (char)(off >> 12);
	munmap(p, len);
	close(fd);
	printf("%s\n", bad ? "corrupt" : "intact");
	return bad;
}
