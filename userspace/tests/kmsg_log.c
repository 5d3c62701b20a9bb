// SPDX-License-Identifier: GPL-2.0
/*
 * kmsg_log - copy every kernel message, whatever its level, from /dev/kmsg
 * to stdout as "<level>[seconds] text" lines, from the oldest record the
 * ring still holds until killed.
 *
 * The guest's init runs it for the whole boot so the test harness judges
 * the complete kernel log, not the tail a ring buffer keeps.  Records
 * overwritten before they were read are not silently skipped: a line
 * "kmsg_log: N kernel messages lost" says how many, and the judge fails it.
 *
 * Usage: kmsg_log > FILE
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RECORD_MAX 8192	/* the kernel's largest /dev/kmsg record is < 8 KiB */

/* print_record: one record "prio,seq,usec,flags[,...];text\n[ KEY=val\n...]" */
static int print_record(const char *rec, uint64_t *next_seq)
{
	unsigned int prio;
	uint64_t seq, usec;
	const char *text, *end;

	if (sscanf(rec, "%u,%" SCNu64 ",%" SCNu64 ",", &prio, &seq, &usec) != 3)
		return 0;
	text = strchr(rec, ';');
	if (!text)
		return 0;
	text++;
	end = strchr(text, '\n');
	if (!end)
		end = text + strlen(text);
	if (seq > *next_seq)
		printf("kmsg_log: %" PRIu64 " kernel messages lost before seq %" PRIu64 "\n",
		       seq - *next_seq, seq);
	*next_seq = seq + 1;
	printf("<%u>[%5" PRIu64 ".%06" PRIu64 "] %.*s\n", prio & 7,
	       usec / 1000000, usec % 1000000, (int)(end - text), text);
	return fflush(stdout) ? -1 : 0;
}

int main(void)
{
	static char rec[RECORD_MAX + 1];
	uint64_t next_seq = 0;
	int fd = open("/dev/kmsg", O_RDONLY);

	if (fd < 0) {
		perror("kmsg_log: /dev/kmsg");
		return 1;
	}
	for (;;) {
		ssize_t n = read(fd, rec, RECORD_MAX);

		if (n < 0) {
			/* EPIPE: the record we were at was overwritten; the
			 * next read returns the oldest one left, and the gap
			 * in sequence numbers is reported with it.
			 */
			if (errno == EPIPE || errno == EINTR)
				continue;
			perror("kmsg_log: read /dev/kmsg");
			return 1;
		}
		rec[n] = '\0';
		if (print_record(rec, &next_seq))
			return 1;
	}
}
