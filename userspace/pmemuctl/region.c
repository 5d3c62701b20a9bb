// SPDX-License-Identifier: GPL-2.0
/*
 * pmemuctl: regions, /sys/class/pmemu/regionN (made by the module from
 * its ranges= parameter).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "pmemuctl.h"

static int region_dir(char *buf, size_t len, int id)
{
	return sys_path(buf, len, PMEMU_CLASS_DIR "/region%d", id);
}

bool region_exists(int id)
{
	char dir[PATH_MAX];

	return !region_dir(dir, sizeof(dir), id) && is_dir(dir);
}

/* "N" -> N (decimal digits only); -1 for anything else. */
static int parse_id(const char *s)
{
	char *end;
	long id;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	id = strtol(s, &end, 10);
	return *end || errno || id > INT_MAX ? -1 : (int)id;
}

/* "regionN" -> N; -1 for any other name. */
static int region_id(const char *name)
{
	return strncmp(name, "region", 6) ? -1 : parse_id(name + 6);
}

/**
 * region_parse() - a region as the user names it: "regionN" or "N"
 * @arg: the argument
 *
 * As ndctl's --region takes both "region0" and "0".
 *
 * Return: the region id, or -1 if @arg names no region id.
 */
int region_parse(const char *arg)
{
	int id = region_id(arg);

	return id >= 0 ? id : parse_id(arg);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The sorted ids of all regions; none (not an error) if the class is absent. */
int region_ids(int **ids, size_t *count)
{
	char path[PATH_MAX];
	struct dirent *de;
	size_t n = 0;
	int *v = NULL, *nv, id, err;
	DIR *d;

	*ids = NULL;
	*count = 0;
	err = sys_path(path, sizeof(path), PMEMU_CLASS_DIR);
	if (err)
		return err;
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		id = region_id(de->d_name);
		if (id < 0)
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv) {
			free(v);
			closedir(d);
			return -ENOMEM;
		}
		v = nv;
		v[n++] = id;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_int);
	*ids = v;
	*count = n;
	return 0;
}

static void add_size(struct json_object *o, const char *dir, const char *attr,
		     bool human)
{
	uint64_t v;

	if (!attr_read_u64(dir, attr, &v))
		json_object_object_add(o, attr, json_size(v, human));
}

static void add_string(struct json_object *o, const char *dir, const char *attr)
{
	char buf[64];

	if (!attr_read(dir, attr, buf, sizeof(buf)) && buf[0])
		json_object_object_add(o, attr, json_object_new_string(buf));
}

/* One region as a JSON object; attributes that cannot be read are left out. */
struct json_object *region_to_json(int id, unsigned int flags)
{
	bool human = flags & JF_HUMAN;
	struct json_object *o;
	char dir[PATH_MAX], dev[32];

	o = json_object_new_object();
	if (!o || region_dir(dir, sizeof(dir), id))
		return o;
	snprintf(dev, sizeof(dev), "region%d", id);
	json_object_object_add(o, "dev", json_object_new_string(dev));
	json_object_object_add(o, "id", json_object_new_int(id));
	add_size(o, dir, "size", human);
	add_size(o, dir, "available_size", human);
	add_size(o, dir, "max_available_extent", human);
	add_size(o, dir, "align", human);
	add_string(o, dir, "source");
	add_string(o, dir, "labels");
	if (flags & JF_VERBOSE)
		add_string(o, dir, "start");
	return o;
}

/* Print region @id as JSON, as a verb that changed it does. */
int region_print(const char *verb, int id)
{
	struct json_object *o = region_to_json(id, 0);

	if (!o) {
		fail(verb, ENOENT, "region%d", id);
		return RC_FAIL;
	}
	print_json(o);
	json_object_put(o);
	return RC_OK;
}
