// SPDX-License-Identifier: GPL-2.0
/*
 * mmap_writer - keep writing through a shared mapping until the device
 * goes away.
 *
 * Usage: mmap_writer FILE LENGTH
 *
 * Maps LENGTH bytes of FILE shared, prints "writing" once every page has
 * been written, and keeps writing every page in a loop.  Exits 7 with
 * "SIGBUS" on stderr when an access faults with SIGBUS (the device was
 * fenced), 0 on SIGTERM, 1 on any other error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_sigbus(int sig)
{
	static const char msg[] = "mmap_writer: SIGBUS\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(8);
	_exit(7);
}

static void on_sigterm(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	volatile uint8_t *p;
	unsigned long round = 0;
	char *end;
	size_t len, i;
	int fd;

	if (argc != 3 || !(len = strtoull(argv[2], &end, 0)) || *end) {
		fprintf(stderr, "usage: %s FILE LENGTH\n", argv[0]);
		return 1;
	}
	signal(SIGBUS, on_sigbus);
	signal(SIGTERM, on_sigterm);
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "mmap_writer: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "mmap_writer: mmap: %s\n", strerror(errno));
		return 1;
	}
	close(fd);
	while (!stop) {
		for (i = 0; i < len; i += 4096)
			p[i] = (uint8_t)(round + i);
		if (!round++) {
			printf("writing\n");
			fflush(stdout);
		}
	}
	return 0;
}
