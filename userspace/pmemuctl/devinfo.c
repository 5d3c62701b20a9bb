// SPDX-License-Identifier: GPL-2.0
/*
 * pmemuctl: devices.  A device is a configfs directory
 * /sys/kernel/config/pmemu/NAME; while enabled it also has a node in /dev
 * whose sysfs directory describes the carved extent: /sys/block/pmemuN/pmemu/
 * for an fsdax block device, /sys/class/pmemu/pmemuN.dax/ for a devdax
 * character device.  Devices the module creates at load time have only the
 * (fsdax) block device; devices a region's labels brought back have a node
 * and a name but no configfs directory until one is made (mkdir NAME hands
 * the device to it).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "pmemuctl.h"

#define COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src))

int cfg_path(char *buf, size_t len, const char *name)
{
	return sys_path(buf, len, PMEMU_CFG_DIR "/%s", name);
}

static int block_path(char *buf, size_t len, const char *blockdev)
{
	return sys_path(buf, len, BLOCK_DIR "/%s/pmemu", blockdev);
}

/* devdax character devices are named pmemuN.dax */
static bool node_is_chardev(const char *node)
{
	size_t n = strlen(node);

	return n > 4 && !strcmp(node + n - 4, ".dax");
}

/* The sysfs directory describing enabled device NODE. */
static int node_path(char *buf, size_t len, const char *node)
{
	if (node_is_chardev(node))
		return sys_path(buf, len, PMEMU_CLASS_DIR "/%s", node);
	return block_path(buf, len, node);
}

static void dev_init(struct pmemu_dev *d)
{
	memset(d, 0, sizeof(*d));
	d->region = -1;
}

/*
 * Fill in what the sysfs directory of the live device says (its node is
 * d->node, set by the caller).
 */
static int dev_load_node(struct pmemu_dev *d)
{
	char dir[PATH_MAX];
	int err;

	err = node_path(dir, sizeof(dir), d->node);
	if (err)
		return err;
	if (!is_dir(dir))
		return -ENOENT;
	attr_read_int(dir, "region", &d->region);
	attr_read(dir, "mode", d->mode, sizeof(d->mode));
	attr_read(dir, "map", d->map, sizeof(d->map));
	if (node_is_chardev(d->node)) {
		attr_read_u64(dir, "align", &d->align);
		attr_read(dir, "lifetime", d->lifetime, sizeof(d->lifetime));
	}
	d->have_extent = !attr_read_u64(dir, "offset", &d->offset) &&
			 !attr_read_u64(dir, "size", &d->extent_size) &&
			 !attr_read_u64(dir, "data_offset", &d->data_offset);
	if (attr_read(dir, "phys_start", d->phys_start, sizeof(d->phys_start)))
		d->phys_start[0] = '\0';
	if (attr_read(dir, "uuid", d->uuid, sizeof(d->uuid)))
		d->uuid[0] = '\0';
	return 0;
}

/*
 * A device known only by its node: made by the module at load (no name),
 * or restored from labels (a name, no configfs directory yet).
 */
static int dev_load_node_only(const char *node, struct pmemu_dev *d)
{
	char dir[PATH_MAX];
	int err;

	dev_init(d);
	err = node_path(dir, sizeof(dir), node);
	if (err)
		return err;
	err = attr_read(dir, "name", d->name, sizeof(d->name));
	if (err)
		return err;
	COPY(d->node, node);
	d->no_item = d->name[0] != '\0';
	d->enabled = true;
	return dev_load_node(d);
}

/*
 * Call @fn with each pmemu node (pmemuN block devices, then pmemuN.dax
 * character devices) and its name until it returns non-zero.
 */
static int for_each_node(int (*fn)(const char *node, const char *name,
				   void *arg),
			 void *arg)
{
	static const char *const dirs[] = { BLOCK_DIR, PMEMU_CLASS_DIR };
	char path[PATH_MAX], name[NAME_MAX + 1];
	struct dirent *de;
	int err = 0;
	size_t i;
	DIR *dir;

	for (i = 0; !err && i < ARRAY_SIZE(dirs); i++) {
		err = sys_path(path, sizeof(path), "%s", dirs[i]);
		if (err)
			return err;
		dir = opendir(path);
		if (!dir) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		while (!err && (de = readdir(dir))) {
			if (strncmp(de->d_name, "pmemu", 5) ||
			    (i == 1) != node_is_chardev(de->d_name) ||
			    node_path(path, sizeof(path), de->d_name) ||
			    attr_read(path, "name", name, sizeof(name)))
				continue;
			err = fn(de->d_name, name, arg);
		}
		closedir(dir);
	}
	return err;
}

struct node_by_name {
	const char *name;
	char node[NAME_MAX + 1];
};

static int match_name(const char *node, const char *name, void *arg)
{
	struct node_by_name *m = arg;

	if (strcmp(name, m->name))
		return 0;
	COPY(m->node, node);
	return 1;
}

/* The node of the live device named @name, or -ENOENT. */
static int node_of_name(const char *name, char *node, size_t len)
{
	struct node_by_name m = { .name = name };
	int ret = for_each_node(match_name, &m);

	if (ret < 0)
		return ret;
	if (!ret)
		return -ENOENT;
	snprintf(node, len, "%s", m.node);
	return 0;
}

/**
 * dev_name_live() - a live device has this name
 * @name: a configfs name
 *
 * Return: true also for a device restored from labels that has no
 * configfs directory yet (mkdir @name would hand it over, not make one).
 */
bool dev_name_live(const char *name)
{
	char node[NAME_MAX + 1];

	return !node_of_name(name, node, sizeof(node));
}

/**
 * dev_adopt() - make the configfs directory of a device restored from labels
 * @d: the device (d->no_item); loaded again from configfs on success
 *
 * Return: 0 or -errno.
 */
int dev_adopt(struct pmemu_dev *d)
{
	char dir[PATH_MAX], name[NAME_MAX + 1];
	int err;

	COPY(name, d->name);
	err = cfg_path(dir, sizeof(dir), name);
	if (err)
		return err;
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	err = dev_load_cfg(name, d);
	if (!err && !d->enabled)
		err = -ENODEV;	/* went away meanwhile */
	return err;
}

/* Load configfs device NAME (and its block device if enabled). */
int dev_load_cfg(const char *name, struct pmemu_dev *d)
{
	char dir[PATH_MAX];
	int enable, err;

	dev_init(d);
	if (strlen(name) > NAME_MAX)
		return -ENAMETOOLONG;
	err = cfg_path(dir, sizeof(dir), name);
	if (err)
		return err;
	if (!is_dir(dir))
		return -ENOENT;
	COPY(d->name, name);
	err = attr_read_int(dir, "enable", &enable);
	if (err)
		return err;
	d->enabled = enable != 0;
	attr_read_int(dir, "region", &d->region);
	attr_read(dir, "mode", d->mode, sizeof(d->mode));
	attr_read(dir, "map", d->map, sizeof(d->map));
	attr_read(dir, "offset", d->offset_cfg, sizeof(d->offset_cfg));
	attr_read_u64(dir, "size", &d->size_cfg);
	if (attr_read(dir, "state", d->state, sizeof(d->state)))
		d->state[0] = '\0';
	if (!strcmp(d->mode, "devdax")) {
		attr_read_u64(dir, "align", &d->align);
		attr_read(dir, "lifetime", d->lifetime, sizeof(d->lifetime));
	}
	if (d->enabled && !attr_read(dir, "dev", d->node, sizeof(d->node)) &&
	    d->node[0])
		dev_load_node(d);
	return 0;
}

/*
 * Find a device by configfs name or by /dev name (pmemuN, pmemuN.dax).
 * -ENODEV if there is none.  A device made by the module at load time is
 * returned with an empty name; one restored from labels with no configfs
 * directory yet with d->no_item set.
 */
int dev_find(const char *arg, struct pmemu_dev *d)
{
	char dir[PATH_MAX], name[NAME_MAX + 1], node[NAME_MAX + 1];
	int err;

	err = dev_load_cfg(arg, d);
	if (err != -ENOENT)
		return err;
	if (strchr(arg, '/'))
		return -ENODEV;
	if (!node_of_name(arg, node, sizeof(node)))
		return dev_load_node_only(node, d);
	err = node_path(dir, sizeof(dir), arg);
	if (err)
		return err;
	if (!is_dir(dir))
		return -ENODEV;
	err = attr_read(dir, "name", name, sizeof(name));
	if (err)
		return err;
	if (!name[0])
		return dev_load_node_only(arg, d);
	err = dev_load_cfg(name, d);
	return err == -ENOENT ? dev_load_node_only(arg, d) : err;
}

const char *dev_key(const struct pmemu_dev *d)
{
	return d->name[0] ? d->name : d->node;
}

static int dev_cmp(const void *a, const void *b)
{
	return strverscmp(dev_key(a), dev_key(b));
}

static struct pmemu_dev *dev_vec_add(struct dev_vec *devs)
{
	struct pmemu_dev *nv = realloc(devs->v, (devs->n + 1) * sizeof(*nv));

	if (!nv)
		return NULL;
	devs->v = nv;
	return &nv[devs->n];
}

void dev_vec_free(struct dev_vec *devs)
{
	free(devs->v);
	devs->v = NULL;
	devs->n = 0;
}

/* Every configfs device (a device removed meanwhile is skipped). */
static int list_cfg(struct dev_vec *devs)
{
	char path[PATH_MAX];
	struct pmemu_dev *d;
	struct dirent *de;
	int err = 0;
	DIR *dir;

	err = sys_path(path, sizeof(path), PMEMU_CFG_DIR);
	if (err)
		return err;
	dir = opendir(path);
	if (!dir)
		return -errno;
	while (!err && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		d = dev_vec_add(devs);
		if (!d) {
			err = -ENOMEM;
			break;
		}
		err = dev_load_cfg(de->d_name, d);
		if (!err)
			devs->n++;
		else if (err == -ENOENT || err == -ENOTDIR)
			err = 0;
	}
	closedir(dir);
	return err;
}

struct node_list {
	struct dev_vec *devs;
	bool with_cfg;
};

static int list_one_node(const char *node, const char *name, void *arg)
{
	struct node_list *l = arg;
	char dir[PATH_MAX];
	struct pmemu_dev *d;

	if (name[0] && l->with_cfg && !cfg_path(dir, sizeof(dir), name) &&
	    is_dir(dir))
		return 0;	/* list_cfg() has it */
	d = dev_vec_add(l->devs);
	if (!d)
		return -ENOMEM;
	if (!dev_load_node_only(node, d))
		l->devs->n++;
	return 0;
}

/*
 * Every pmemu device that list_cfg() does not already cover: those made
 * by the module or restored from labels, or all of them when configfs
 * could not be read.
 */
static int list_nodes(struct dev_vec *devs, bool with_cfg)
{
	struct node_list l = { .devs = devs, .with_cfg = with_cfg };

	return for_each_node(list_one_node, &l);
}

/* All devices, sorted by their "dev" key (dev2 before dev10). */
int dev_list(struct dev_vec *devs, bool with_cfg)
{
	int err = 0;

	devs->v = NULL;
	devs->n = 0;
	if (with_cfg)
		err = list_cfg(devs);
	if (!err)
		err = list_nodes(devs, with_cfg);
	if (err) {
		dev_vec_free(devs);
		return err;
	}
	if (devs->n)
		qsort(devs->v, devs->n, sizeof(*devs->v), dev_cmp);
	return 0;
}

static void add_str(struct json_object *o, const char *key, const char *val)
{
	json_object_object_add(o, key, json_object_new_string(val));
}

static void add_verbose(struct json_object *o, const struct pmemu_dev *d,
			bool human)
{
	uint64_t off;

	if (d->have_extent) {
		json_object_object_add(o, "offset", json_size(d->offset, human));
		json_object_object_add(o, "data_offset",
				       json_size(d->data_offset, human));
		json_object_object_add(o, "extent_size",
				       json_size(d->extent_size, human));
		if (d->phys_start[0])
			add_str(o, "phys_start", d->phys_start);
	} else if (!size_parse(d->offset_cfg, &off)) {
		json_object_object_add(o, "offset", json_size(off, human));
	} else if (d->offset_cfg[0]) {
		add_str(o, "offset", d->offset_cfg);
	}
}

/*
 * One device as a JSON object.  "size" is the capacity of the block device
 * when enabled, else the configured size (0: the rest of the region).
 * NULL when out of memory, or (JF_MEDIA) after saying that its media
 * errors cannot be read.
 */
struct json_object *dev_to_json(const struct pmemu_dev *d, unsigned int flags)
{
	bool human = flags & JF_HUMAN;
	uint64_t size = d->size_cfg;
	struct json_object *o;

	o = json_object_new_object();
	if (!o)
		return NULL;
	if (d->have_extent && d->data_offset <= d->extent_size)
		size = d->extent_size - d->data_offset;
	add_str(o, "dev", dev_key(d));
	add_str(o, "name", d->name);
	if (d->uuid[0])
		add_str(o, "uuid", d->uuid);
	if (d->mode[0])
		add_str(o, "mode", d->mode);
	if (d->map[0])
		add_str(o, "map", d->map);
	json_object_object_add(o, "size", json_size(size, human));
	if (d->region >= 0)
		json_object_object_add(o, "region", json_object_new_int(d->region));
	if (!strcmp(d->mode, "devdax")) {
		if (d->align)
			json_object_object_add(o, "align",
					       json_size(d->align, human));
		if (d->lifetime[0])
			add_str(o, "lifetime", d->lifetime);
	}
	if (d->enabled && d->node[0])
		add_str(o, node_is_chardev(d->node) ? "chardev" : "blockdev",
			d->node);
	json_object_object_add(o, "enabled", json_object_new_boolean(d->enabled));
	if (d->state[0])
		add_str(o, "state", d->state);
	if (flags & JF_VERBOSE)
		add_verbose(o, d, human);
	if (flags & JF_MEDIA) {
		int err = dev_add_media_errors(o, d);

		if (err) {
			/* listed without its errors would read as "none" */
			fail("list", -err, "read the media errors of %s",
			     dev_key(d));
			json_object_put(o);
			return NULL;
		}
	}
	return o;
}

/* The sysfs directory of enabled device @d's attributes (inject_error...). */
int dev_sysfs_dir(const struct pmemu_dev *d, char *buf, size_t len)
{
	return node_path(buf, len, d->node);
}

/* The sysfs directory holding enabled device @d's badblocks file. */
int dev_badblocks_dir(const struct pmemu_dev *d, char *buf, size_t len)
{
	if (node_is_chardev(d->node))
		return node_path(buf, len, d->node);
	return sys_path(buf, len, BLOCK_DIR "/%s", d->node);
}

/* Write one attribute of configfs device NAME. */
int dev_set(const char *name, const char *attr, const char *val)
{
	char dir[PATH_MAX];
	int err;

	err = cfg_path(dir, sizeof(dir), name);
	return err ? err : attr_write(dir, attr, val);
}

/* rmdir configfs device NAME (it must be disabled). */
int dev_remove(const char *name)
{
	char dir[PATH_MAX];
	int err;

	err = cfg_path(dir, sizeof(dir), name);
	if (err)
		return err;
	return rmdir(dir) ? -errno : 0;
}

/* Parse one "SECTOR COUNT" line of a badblocks file into the array. */
static int add_badblock(struct json_object *a, const char *line,
			uint64_t *count)
{
	unsigned long long sector, len;
	struct json_object *b;

	if (sscanf(line, "%llu %llu", &sector, &len) != 2)
		return -EINVAL;
	b = json_object_new_object();
	if (!b)
		return -ENOMEM;
	json_object_object_add(b, "offset", json_object_new_uint64(sector));
	json_object_object_add(b, "length", json_object_new_uint64(len));
	json_object_array_add(a, b);
	*count += len;
	return 0;
}

/**
 * dev_add_media_errors() - add "badblock_count" and "badblocks" to @o
 * @o: the device's JSON object
 * @d: an enabled device
 *
 * As ndctl list --media-errors: the number of bad 512-byte sectors, and
 * each bad range as {"offset": SECTOR, "length": SECTORS} relative to the
 * start of the device.  Disabled devices have no media, hence no keys.
 *
 * Return: 0 or a negative errno.
 */
int dev_add_media_errors(struct json_object *o, const struct pmemu_dev *d)
{
	char dir[PATH_MAX], buf[8192], *line, *save;
	struct json_object *a;
	uint64_t count = 0;
	int err;

	if (!d->enabled || !d->node[0])
		return 0;
	err = dev_badblocks_dir(d, dir, sizeof(dir));
	if (!err)
		err = attr_read_all(dir, "badblocks", buf, sizeof(buf));
	if (err)
		return err;
	a = json_object_new_array();
	if (!a)
		return -ENOMEM;
	for (line = strtok_r(buf, "\n", &save); line && !err;
	     line = strtok_r(NULL, "\n", &save))
		err = add_badblock(a, line, &count);
	if (err) {
		json_object_put(a);
		return err;
	}
	json_object_object_add(o, "badblock_count", json_object_new_uint64(count));
	json_object_object_add(o, "badblocks", a);
	return 0;
}
