/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pmemuctl: userspace control tool for pmemu (emulated persistent memory).
 * Shared declarations for all pmemuctl source files.
 */
#ifndef PMEMUCTL_H
#define PMEMUCTL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

#define PMEMUCTL_VERSION "0.1.0"

/* Exit status of every command; RC_DONE: stop now with status 0 (--help). */
enum { RC_OK = 0, RC_FAIL = 1, RC_USAGE = 2, RC_DONE = -1 };

/* Absolute paths; all are prefixed with $PMEMUCTL_SYSFS_ROOT (see sys_path()). */
#define PMEMU_MODULE		"pmemu"
#define PMEMU_MODULE_DIR	"/sys/module/pmemu"
#define PMEMU_CLASS_DIR		"/sys/class/pmemu"
#define CONFIGFS_MNT		"/sys/kernel/config"
#define PMEMU_CFG_DIR		CONFIGFS_MNT "/pmemu"
#define BLOCK_DIR		"/sys/block"
#define ROOT_ENV		"PMEMUCTL_SYSFS_ROOT"

/* The longest device name the kernel takes (PMEMU_NAME_LEN - 1). */
#define DEV_NAME_MAX		31

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define PRINTF(f, a)		__attribute__((format(printf, f, a)))

/* util.c: messages, option errors, privilege and name checks */
PRINTF(3, 4) void fail(const char *verb, int errnum, const char *fmt, ...);
PRINTF(2, 3) void note(const char *verb, const char *fmt, ...);
PRINTF(2, 3) int usage_error(const char *verb, const char *fmt, ...);
int option_error(const char *verb, int opt, char **argv);
int parse_r_opt(const char *verb, int argc, char **argv, const char *longname,
		const char **arg);
bool require_root(const char *verb);
int check_name(const char *verb, const char *name);
const char *strip_dev(const char *arg);
int close_stdout(const char *verb);
void print_json(struct json_object *obj);
int print_help(const char *command);

/* sysfs.c: paths and attribute files */
const char *sys_root(void);
bool sys_faked(void);
PRINTF(3, 4) int sys_path(char *buf, size_t len, const char *fmt, ...);
bool is_dir(const char *path);
int attr_read_all(const char *dir, const char *attr, char *buf, size_t len);
int attr_read(const char *dir, const char *attr, char *buf, size_t len);
int attr_read_u64(const char *dir, const char *attr, uint64_t *val);
int attr_read_int(const char *dir, const char *attr, int *val);
int attr_write(const char *dir, const char *attr, const char *val);

/* size.c: size parsing and formatting */
#define SIZE_STR_MAX 32
int size_parse(const char *str, uint64_t *val);
int offset_parse(const char *str, char *buf, size_t len);
bool size_format(uint64_t val, char *buf, size_t len);
struct json_object *json_size(uint64_t val, bool human);

/* module.c: module loading and configfs set-up */
bool module_loaded(void);
int module_load(const char *verb);
int configfs_prepare(const char *verb, bool may_mount);
int env_prepare(const char *verb);

/* JSON output flags (list -v, list -u, list -M) */
enum { JF_VERBOSE = 1, JF_HUMAN = 2, JF_MEDIA = 4 };

/* region.c: regions in /sys/class/pmemu */
int region_parse(const char *arg);
int region_ids(int **ids, size_t *count);
bool region_exists(int id);
struct json_object *region_to_json(int id, unsigned int flags);
int region_print(const char *verb, int id);

#define MODE_MAX 16

/* devinfo.c: devices (configfs directories and pmemu block devices) */
struct pmemu_dev {
	char name[NAME_MAX + 1];	/* configfs name; "" if made by the module */
	bool no_item;			/* named, restored from labels, no
					 * configfs directory yet */
	char uuid[40];			/* while enabled; "" if unknown */
	char node[NAME_MAX + 1];	/* /dev name while enabled ("pmemuN" block,
					 * "pmemuN.dax" char), else "" */
	bool enabled;
	int region;			/* -1: not set */
	char mode[MODE_MAX];
	char map[MODE_MAX];
	uint64_t align;			/* devdax page size; 0: default */
	char lifetime[MODE_MAX];	/* devdax: sweep or tracked */
	char state[MODE_MAX];		/* configfs: live, disabled, draining */
	char offset_cfg[SIZE_STR_MAX];	/* configfs offset: decimal or "auto" */
	uint64_t size_cfg;		/* configfs size: 0 = the rest */
	bool have_extent;		/* the fields below are valid */
	uint64_t offset;
	uint64_t extent_size;
	uint64_t data_offset;
	char phys_start[32];		/* "" if unreadable */
};

struct dev_vec {
	struct pmemu_dev *v;
	size_t n;
};

int cfg_path(char *buf, size_t len, const char *name);
int dev_load_cfg(const char *name, struct pmemu_dev *d);
int dev_find(const char *arg, struct pmemu_dev *d);
bool dev_name_live(const char *name);
int dev_adopt(struct pmemu_dev *d);
int dev_list(struct dev_vec *devs, bool with_cfg);
void dev_vec_free(struct dev_vec *devs);
const char *dev_key(const struct pmemu_dev *d);
struct json_object *dev_to_json(const struct pmemu_dev *d, unsigned int flags);
int dev_set(const char *name, const char *attr, const char *val);
int dev_remove(const char *name);
int dev_sysfs_dir(const struct pmemu_dev *d, char *buf, size_t len);
int dev_badblocks_dir(const struct pmemu_dev *d, char *buf, size_t len);
int dev_add_media_errors(struct json_object *o, const struct pmemu_dev *d);

/* Commands */
int cmd_list(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_destroy(int argc, char **argv);
int cmd_enable(int argc, char **argv);
int cmd_disable(int argc, char **argv);
int cmd_reconfigure(int argc, char **argv);
int cmd_inject_error(int argc, char **argv);
int cmd_claim_region(int argc, char **argv);
int cmd_release_region(int argc, char **argv);
int cmd_init_labels(int argc, char **argv);

/* devopt.c: options and lookups shared by the device verbs */
int parse_name_only(const char *verb, int argc, char **argv,
		    const char **name, bool *force);
int find_cfg_dev(const char *verb, const char *arg, struct pmemu_dev *d);
int print_dev(const char *verb, const char *name);
void set_desc(char *buf, size_t len, const char *name, const char *attr,
	      const char *val);
void fail_set(const char *verb, int err, const char *name, const char *attr,
	      const char *val, const char *extra);
int check_map(const char *verb, const char *map);
int check_mode(const char *verb, const char *mode);
int parse_align(const char *verb, const char *arg, char *buf, size_t len);
int check_lifetime(const char *verb, const char *lifetime);
int parse_extent_arg(const char *verb, const char *opt, const char *arg,
		     char *buf, size_t len);

/* A device's settings: its configfs attributes other than enable. */
enum { S_REGION, S_MODE, S_MAP, S_OFFSET, S_SIZE, S_ALIGN, S_LIFETIME, S_COUNT };
extern const char *const set_attr[S_COUNT];

struct settings {
	char v[S_COUNT][SIZE_STR_MAX];
	bool given[S_COUNT];		/* reconfigure-device: on the command line */
	bool force;
};

/* Where a sequence of writes stopped. */
struct failure {
	int err;
	const char *attr;
	const char *val;
};

int settings_read(const char *name, struct settings *s);
int settings_write(const char *name, const struct settings *s, bool enable,
		   struct failure *f);

#endif /* PMEMUCTL_H */
