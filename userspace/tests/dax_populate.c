// SPDX-License-Identifier: GPL-2.0
/*
 * dax_populate - time how long populating a DAX mapping takes.
 *
 * Usage: dax_populate [--perf-control CTL,ACK] DEVICE LENGTH
 *
 * Maps LENGTH bytes of DEVICE (a devdax character device: /dev/pmemuN.dax
 * or /dev/daxX.Y) shared at offset 0, writes one byte per 4 KiB page, then
 * unmaps it, and prints one JSON object:
 *   {"device":..., "bytes":N, "populate_ns":N, "munmap_ns":N, "minflt":N}
 * minflt is the number of minor faults the touching took, which shows the
 * page size the kernel mapped (1 GiB: 262144 at 4K, 512 at 2M, 1 at 1G).
 * With --perf-control, CTL and ACK are the FIFOs of a
 * `perf record -D -1 --control fifo:CTL,ACK` running this program: perf is
 * enabled just before the munmap and disabled after it, so the profile
 * holds the unmap alone.
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

/*
 * perf_ctl() - send a command ("enable", "disable") to perf record's
 * control FIFO and wait for its "ack", so the state has changed on return.
 */
static int perf_ctl(const char *ctl, const char *ack, const char *cmd)
{
	char buf[16];
	int cfd, afd, ret = -1;
	ssize_t n;

	cfd = open(ctl, O_WRONLY | O_CLOEXEC);
	if (cfd < 0)
		goto out;
	afd = open(ack, O_RDONLY | O_CLOEXEC);
	if (afd < 0)
		goto close_ctl;
	if (write(cfd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		goto close_ack;
	n = read(afd, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = 0;
		if (!strncmp(buf, "ack", 3))
			ret = 0;
	}
close_ack:
	close(afd);
close_ctl:
	close(cfd);
out:
	if (ret)
		fprintf(stderr, "dax_populate: perf control %s via %s,%s failed\n",
			cmd, ctl, ack);
	return ret;
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
	const char *prog = argv[0], *ctl = NULL, *ack = NULL;
	volatile uint8_t *p;
	uint64_t t0, t1, t2, t3;
	char *comma;
	long f0, f1;
	size_t len, i;
	int fd;

	if (argc == 5 && !strcmp(argv[1], "--perf-control")) {
		ctl = argv[2];
		comma = strchr(argv[2], ',');
		if (comma) {
			*comma = 0;
			ack = comma + 1;
		}
		argv += 2;
		argc -= 2;
	}
	if (argc != 3 || parse_len(argv[2], &len) || (ctl && !ack)) {
		fprintf(stderr, "usage: %s [--perf-control CTL,ACK] DEVICE LENGTH (bytes, K/M/G suffix)\n",
			prog);
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
	if (ctl && perf_ctl(ctl, ack, "enable"))
		return 1;
	/* the handshake is outside the timed unmap */
	t2 = now_ns();
	if (munmap((void *)p, len)) {
		fprintf(stderr, "dax_populate: munmap: %s\n", strerror(errno));
		return 1;
	}
	t3 = now_ns();
	if (ctl && perf_ctl(ctl, ack, "disable"))
		return 1;
	close(fd);
	printf("{\"device\":\"%s\",\"bytes\":%zu,\"populate_ns\":%llu,"
	       "\"munmap_ns\":%llu,\"minflt\":%ld}\n", argv[1], len,
	       (unsigned long long)(t1 - t0), (unsigned long long)(t3 - t2),
	       f1 - f0);
	return 0;
}
