// SPDX-License-Identifier: GPL-2.0
/*
 * dax_populate - time how long populating a DAX mapping takes.
 *
 * Usage: dax_populate DEVICE LENGTH
 *
 * Maps LENGTH bytes of DEVICE (a devdax character device: /dev/pmemuN.dax
 * or /dev/daxX.Y) shared at offset 0, writes one byte per 4 KiB page, then
 * unmaps it, and prints one JSON object:
 *   {"device":..., "bytes":N, "populate_ns":N, "munmap_ns":N, "minflt":N}
 * minflt is the number of minor faults the touching took, which shows the
 * page size the kernel mapped (1 GiB: 262144 at 4K, 512 at 2M, 1 at 1G).
 * Exit status 1 on any failure, with a message on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static int parse_len(const char *s, size_t *len)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'G': v <<= 10; /* fall through */
	case 'M': v <<= 10; /* fall through */
	case 'K': v <<= 10; end++; break;
	default: break;
	}
	if (*end || !v)
		return -1;
	*len = (size_t)v;
	return 0;
}

int main(int argc, char **argv)
{
	volatile uint8_t *p;
	uint64_t t0, t1, t2;
	long f0, f1;
	size_t len, i;
	int fd;

	if (argc != 3 || parse_len(argv[2], &len)) {
		fprintf(stderr, "usage: %s DEVICE LENGTH (bytes, K/M/G suffix)\n",
			argv[0]);
		return 1;
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "dax_populate: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "dax_populate: mmap %zu bytes of %s: %s\n", len,
			argv[1], strerror(errno));
		return 1;
	}
	f0 = minflt();
	t0 = now_ns();
	for (i = 0; i < len; i += 4096)
		p[i] = (uint8_t)i;
	t1 = now_ns();
	f1 = minflt();
	if (munmap((void *)p, len)) {
		fprintf(stderr, "dax_populate: munmap: %s\n", strerror(errno));
		return 1;
	}
	t2 = now_ns();
	close(fd);
	printf("{\"device\":\"%s\",\"bytes\":%zu,\"populate_ns\":%llu,"
	       "\"munmap_ns\":%llu,\"minflt\":%ld}\n", argv[1], len,
	       (unsigned long long)(t1 - t0), (unsigned long long)(t2 - t1),
	       f1 - f0);
	return 0;
}
