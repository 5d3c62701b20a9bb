// SPDX-License-Identifier: GPL-2.0
/*
 * pmemuctl: sysfs/configfs paths and attribute files.
 *
 * Every path is prefixed with $PMEMUCTL_SYSFS_ROOT (empty by default), so
 * the tool can be pointed at a fake tree for testing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pmemuctl.h"

const char *sys_root(void)
{
	const char *root = getenv(ROOT_ENV);

	return root ? root : "";
}

bool sys_faked(void)
{
	return sys_root()[0] != '\0';
}

/* Format a path below the sysfs root into buf; -ENAMETOOLONG if it is cut. */
int sys_path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n, m;

	n = snprintf(buf, len, "%s", sys_root());
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	va_start(ap, fmt);
	m = vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m >= len - n)
		return -ENAMETOOLONG;
	return 0;
}

bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int attr_path(char *buf, size_t len, const char *dir, const char *attr)
{
	int n = snprintf(buf, len, "%s/%s", dir, attr);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Read all of attribute dir/attr into buf (NUL-terminated, truncated). */
int attr_read_all(const char *dir, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];
	size_t used = 0;
	ssize_t n;
	int fd, err;

	err = attr_path(path, sizeof(path), dir, attr);
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (used < len - 1) {
		n = read(fd, buf + used, len - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			close(fd);
			return err;
		}
		if (n == 0)
			break;
		used += n;
	}
	close(fd);
	buf[used] = '\0';
	return 0;
}

/* Read attribute dir/attr into buf: its first line, without the newline. */
int attr_read(const char *dir, const char *attr, char *buf, size_t len)
{
	int err = attr_read_all(dir, attr, buf, len);

	if (!err)
		buf[strcspn(buf, "\n")] = '\0';
	return err;
}

/* Read a number: decimal, or hexadecimal with a 0x prefix. */
int attr_read_u64(const char *dir, const char *attr, uint64_t *val)
{
	char buf[64], *end;
	int err;

	err = attr_read(dir, attr, buf, sizeof(buf));
	if (err)
		return err;
	if (buf[0] < '0' || buf[0] > '9')
		return -EINVAL;
	errno = 0;
	*val = strtoull(buf, &end, 0);
	if (errno)
		return -errno;
	return *end ? -EINVAL : 0;
}

int attr_read_int(const char *dir, const char *attr, int *val)
{
	char buf[64], *end;
	long v;
	int err;

	err = attr_read(dir, attr, buf, sizeof(buf));
	if (err)
		return err;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno)
		return -errno;
	if (end == buf || *end || v < INT_MIN || v > INT_MAX)
		return -EINVAL;
	*val = (int)v;
	return 0;
}

/* Write val (no newline) to dir/attr; the kernel's errno on failure. */
int attr_write(const char *dir, const char *attr, const char *val)
{
	char path[PATH_MAX];
	size_t len = strlen(val);
	ssize_t n;
	int fd, err;

	err = attr_path(path, sizeof(path), dir, attr);
	if (err)
		return err;
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do {
		n = write(fd, val, len);
	} while (n < 0 && errno == EINTR);
	err = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
	if (close(fd) && !err)
		err = -errno;
	return err;
}
