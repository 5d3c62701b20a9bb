// SPDX-License-Identifier: GPL-2.0
/*
 * torture_mapper - random mapping work on a devdax device for the torture
 * lane (tests/guest/torture.sh), or a balloon of anonymous memory.
 *
 * Usage: torture_mapper DEVICE LENGTH ALIGN SEED STEPS [poison]
 *        torture_mapper --balloon MIB MILLISECONDS
 *
 * DEVICE is a devdax node of LENGTH bytes with page size ALIGN.  Each of
 * STEPS steps, chosen by a PRNG seeded with SEED, maps a random
 * ALIGN-aligned window shared and does one of: write a pattern into every
 * page and read it back; fork a child that checks it; MADV_DONTNEED and
 * re-touch; unmap the second half at an ALIGN boundary; mremap the window
 * to a new address; vmsplice a page into a pipe and read it back through
 * the pipe (a GUP pin); with "poison", MADV_HWPOISON one page (SIGBUS
 * expected).  The device can be taken away or given media errors by
 * others at any time.
 *
 * --balloon maps MIB MiB of anonymous memory, touches it, holds it for
 * MILLISECONDS and exits 0.
 *
 * Exit status: 0 done; 10 the device could not be opened or mapped (gone,
 * being reconfigured: a clean refusal, with the error on stderr); 11
 * SIGBUS (fenced device or media error); 3 data read back differs from
 * what was written (a failure); 2 usage; 1 any other error, with a
 * message.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "args.h"

#ifndef MADV_HWPOISON
#define MADV_HWPOISON 100
#endif

#define PG 4096UL

static sigjmp_buf bus_env;
static uint64_t rng;

static void on_bus(int sig)
{
	(void)sig;
	siglongjmp(bus_env, 1);
}

/* xorshift64*: the same SEED gives the same choices */
static uint64_t rnd(uint64_t n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (rng * 0x2545f4914f6cdd1dULL) % n;
}

static unsigned long number(const char *s)
{
	return arg_number("torture_mapper", s);
}

/* one byte per page, depending on the page and the step */
static uint8_t pat(size_t page, unsigned long step)
{
	return (uint8_t)(page * 13 + step * 7 + 1);
}

static void fill(volatile uint8_t *p, size_t len, unsigned long step)
{
	size_t i;

	for (i = 0; i < len; i += PG)
		p[i] = pat(i / PG, step);
}

static int check(volatile uint8_t *p, size_t len, unsigned long step)
{
	size_t i;

	for (i = 0; i < len; i += PG)
		if (p[i] != pat(i / PG, step)) {
			fprintf(stderr, "torture_mapper: step %lu: page %zu reads %#x, wrote %#x\n",
				step, i / PG, p[i], pat(i / PG, step));
			return 3;
		}
	return 0;
}

static int pin_through_pipe(uint8_t *p, unsigned long step)
{
	struct iovec iov = { .iov_base = p, .iov_len = PG };
	uint8_t buf[PG];
	int fds[2], ret = 0;

	if (pipe(fds))
		return 1;
	p[0] = pat(0, step);
	if (vmsplice(fds[1], &iov, 1, 0) != (ssize_t)PG) {
		fprintf(stderr, "torture_mapper: vmsplice: %s\n", strerror(errno));
		ret = 1;
	} else if (read(fds[0], buf, PG) != (ssize_t)PG) {
		ret = 1;
	} else if (buf[0] != pat(0, step)) {
		fprintf(stderr, "torture_mapper: step %lu: the pipe holds %#x, wrote %#x\n",
			step, buf[0], pat(0, step));
		ret = 3;
	}
	close(fds[0]);
	close(fds[1]);
	return ret;
}

static int child_check(volatile uint8_t *p, size_t len, unsigned long step)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return 1;
	if (!pid) {
		if (sigsetjmp(bus_env, 1))
			_exit(11);
		_exit(check(p, len, step));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 1;
	return WEXITSTATUS(status);
}

static int step_once(int fd, size_t length, size_t align, unsigned long step,
		     int poison)
{
	size_t units = length / align, nunits, len;
	off_t off;
	uint8_t *p, *q;
	int ret = 0;

	nunits = 1 + rnd(units < 4 ? units : 4);
	if (nunits > units)
		nunits = units;
	off = (off_t)(rnd(units - nunits + 1) * align);
	len = nunits * align;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	if (p == MAP_FAILED) {
		fprintf(stderr, "torture_mapper: mmap %zu at %lld: %s\n", len,
			(long long)off, strerror(errno));
		return 10;
	}
	/* align 1G windows are large: touch them sparsely */
	fill(p, len, step);
	switch (rnd(poison ? 7 : 6)) {
	case 0:
		ret = check(p, len, step);
		break;
	case 1:
		ret = child_check(p, len, step);
		break;
	case 2:
		if (madvise(p, len, MADV_DONTNEED))
			ret = 1;
		else
			ret = check(p, len, step);
		break;
	case 3:
		if (nunits > 1 && munmap(p + len / 2 / align * align,
					 len - len / 2 / align * align) == 0)
			len = len / 2 / align * align;
		ret = check(p, len, step);
		break;
	case 4:
		q = mremap(p, len, len, MREMAP_MAYMOVE);
		if (q == MAP_FAILED) {
			ret = 1;
			break;
		}
		p = q;
		ret = check(p, len, step);
		break;
	case 5:
		ret = pin_through_pipe(p + rnd(len / PG) * PG, step);
		break;
	case 6:
		madvise(p + rnd(len / PG) * PG, PG, MADV_HWPOISON);
		break;
	}
	munmap(p, len);
	return ret;
}

static int run_steps(int fd, size_t length, size_t align, unsigned long steps,
		     int poison)
{
	unsigned long s;
	int ret = 0;

	for (s = 0; s < steps && !ret; s++)
		ret = step_once(fd, length, align, s, poison);
	close(fd);
	return ret;
}

static int balloon(unsigned long mib, unsigned long ms)
{
	size_t len = mib << 20, i;
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };
	volatile uint8_t *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "torture_mapper: balloon of %lu MiB: %s\n", mib, strerror(errno));
		return 1;
	}
	for (i = 0; i < len; i += PG)
		p[i] = 1;
	nanosleep(&ts, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_bus };
	size_t length, align;
	unsigned long steps;
	int fd, poison;

	if (argc == 4 && !strcmp(argv[1], "--balloon"))
		return balloon(number(argv[2]), number(argv[3]));
	if (argc != 6 && !(argc == 7 && !strcmp(argv[6], "poison"))) {
		fprintf(stderr, "usage: torture_mapper DEVICE LENGTH ALIGN SEED STEPS [poison]\n"
				"       torture_mapper --balloon MIB MILLISECONDS\n");
		return 2;
	}
	length = number(argv[2]);
	align = number(argv[3]);
	rng = number(argv[4]) * 2654435761UL + 1;
	steps = number(argv[5]);
	poison = argc == 7;
	if (!align || align % PG || length < align) {
		fprintf(stderr, "torture_mapper: bad length %zu or align %zu\n", length, align);
		return 2;
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "torture_mapper: %s: %s\n", argv[1], strerror(errno));
		return 10;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	if (sigsetjmp(bus_env, 1))
		return 11;
	return run_steps(fd, length, align, steps, poison);
}
