// SPDX-License-Identifier: GPL-2.0
/*
 * dax_bw - bandwidth of copies to and from a devdax mapping.
 *
 * Usage: dax_bw MODE DEVICE LENGTH SECONDS [TARGET]
 *
 * Maps LENGTH bytes of DEVICE (a devdax character device) shared at offset
 * 0, touches every page once (so no fault is timed), then copies for
 * SECONDS in 1 MiB chunks, walking the mapping round-robin:
 *   memcpy-read    mapping -> a private buffer   (what the CPU can read)
 *   memcpy-write   private buffer -> mapping     (what the CPU can write)
 *   odirect-read   pread(O_DIRECT) from TARGET into the mapping (the kernel
 *                  pins the devdax pages with GUP, without FOLL_LONGTERM,
 *                  and the device writes them)
 *   odirect-write  pwrite(O_DIRECT) of the mapping to TARGET
 * TARGET is a block device or file opened O_DIRECT (e.g. brd's /dev/ram0,
 * so the other side of the copy is plain RAM); LENGTH bytes of it are used.
 * Prints one JSON object:
 *   {"mode":..., "device":..., "bytes":N, "ns":N, "mib_s":X}
 * Exit status 1 on any failure, with a message on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1UL << 20)

enum mode { MEMCPY_READ, MEMCPY_WRITE, ODIRECT_READ, ODIRECT_WRITE };

static const char *const mode_names[] = {
	"memcpy-read", "memcpy-write", "odirect-read", "odirect-write",
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int die(const char *what)
{
	fprintf(stderr, "dax_bw: %s: %s\n", what, strerror(errno));
	return 1;
}

static int parse_mode(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (!strcmp(s, mode_names[i]))
			return (int)i;
	return -1;
}

static int parse_len(const char *s, size_t *len)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'G': v <<= 30; end++; break;
	case 'M': v <<= 20; end++; break;
	case 'K': v <<= 10; end++; break;
	}
	if (*end || !v || v % CHUNK)
		return -1;
	*len = (size_t)v;
	return 0;
}

/* One chunk at @off; false on an I/O error (errno set). */
static bool copy_chunk(enum mode m, uint8_t *map, uint8_t *buf, int tfd,
		       size_t off)
{
	switch (m) {
	case MEMCPY_READ:
		memcpy(buf, map + off, CHUNK);
		return true;
	case MEMCPY_WRITE:
		memcpy(map + off, buf, CHUNK);
		return true;
	case ODIRECT_READ:
		return pread(tfd, map + off, CHUNK, (off_t)off) == (ssize_t)CHUNK;
	case ODIRECT_WRITE:
		return pwrite(tfd, map + off, CHUNK, (off_t)off) == (ssize_t)CHUNK;
	}
	return false;
}

int main(int argc, char **argv)
{
	uint64_t t0, t, end, bytes = 0;
	size_t len, off = 0, i;
	uint8_t *map, *buf;
	int fd, tfd = -1, m;
	double secs;

	if (argc < 5 || (m = parse_mode(argv[1])) < 0 ||
	    parse_len(argv[3], &len) || (secs = atof(argv[4])) <= 0 ||
	    ((m == ODIRECT_READ || m == ODIRECT_WRITE) != (argc == 6))) {
		fprintf(stderr, "usage: dax_bw memcpy-read|memcpy-write DEVICE LENGTH SECONDS\n"
				"       dax_bw odirect-read|odirect-write DEVICE LENGTH SECONDS TARGET\n"
				"LENGTH: a multiple of 1 MiB (K, M, G suffixes)\n");
		return 2;
	}
	fd = open(argv[2], O_RDWR);
	if (fd < 0)
		return die(argv[2]);
	if (argc == 6) {
		tfd = open(argv[5], O_RDWR | O_DIRECT);
		if (tfd < 0)
			return die(argv[5]);
	}
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return die("mmap");
	buf = aligned_alloc(CHUNK, CHUNK);
	if (!buf)
		return die("buffer");
	memset(buf, 0x5a, CHUNK);
	for (i = 0; i < len; i += 4096)
		map[i] = (uint8_t)i;

	t0 = now_ns();
	end = t0 + (uint64_t)(secs * 1e9);
	do {
		if (!copy_chunk((enum mode)m, map, buf, tfd, off))
			return die(mode_names[m]);
		bytes += CHUNK;
		off = (off + CHUNK) % len;
		t = now_ns();
	} while (t < end);

	printf("{\"mode\":\"%s\",\"device\":\"%s\",\"bytes\":%llu,\"ns\":%llu,\"mib_s\":%.1f}\n",
	       mode_names[m], argv[2], (unsigned long long)bytes,
	       (unsigned long long)(t - t0),
	       (double)bytes / (1 << 20) / ((double)(t - t0) / 1e9));
	munmap(map, len);
	free(buf);
	return 0;
}
