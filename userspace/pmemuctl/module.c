// SPDX-License-Identifier: GPL-2.0
/*
 * pmemuctl: load the pmemu module (libkmod) and make sure configfs is
 * mounted at /sys/kernel/config.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/vfs.h>

#include <libkmod.h>

#include "pmemuctl.h"

#ifndef CONFIGFS_MAGIC
#define CONFIGFS_MAGIC 0x62656570
#endif

bool module_loaded(void)
{
	char path[PATH_MAX];

	return !sys_path(path, sizeof(path), PMEMU_MODULE_DIR) && is_dir(path);
}

/* modprobe pmemu: options come from /etc/modprobe.d as usual. */
static int kmod_insert(void)
{
	struct kmod_module *mod = NULL;
	struct kmod_ctx *ctx;
	int err;

	ctx = kmod_new(NULL, NULL);
	if (!ctx)
		return -ENOMEM;
	err = kmod_module_new_from_name(ctx, PMEMU_MODULE, &mod);
	if (!err) {
		err = kmod_module_probe_insert_module(mod, 0, NULL, NULL,
						      NULL, NULL);
		kmod_module_unref(mod);
	}
	kmod_unref(ctx);
	/* > 0: refused by a blacklist or install command */
	return err > 0 ? -EPERM : err;
}

/* Load the module; prints the error and returns -errno on failure. */
int module_load(const char *verb)
{
	int err;

	if (sys_faked()) {
		fail(verb, ENOENT, "module %s is not loaded (%s is set: not loading it)",
		     PMEMU_MODULE, ROOT_ENV);
		return -ENOENT;
	}
	err = kmod_insert();
	if (err) {
		fail(verb, -err, "load module %s", PMEMU_MODULE);
		return err;
	}
	return 0;
}

static bool configfs_mounted(void)
{
	struct statfs st;

	return statfs(CONFIGFS_MNT, &st) == 0 && st.f_type == CONFIGFS_MAGIC;
}

/*
 * Make sure /sys/kernel/config/pmemu exists, mounting configfs first if
 * allowed and needed.  Prints the error and returns -errno on failure.
 */
int configfs_prepare(const char *verb, bool may_mount)
{
	char path[PATH_MAX];
	int err;

	err = sys_path(path, sizeof(path), PMEMU_CFG_DIR);
	if (err) {
		fail(verb, -err, "%s%s", sys_root(), PMEMU_CFG_DIR);
		return err;
	}
	if (is_dir(path))
		return 0;
	if (may_mount && !configfs_mounted() &&
	    mount("configfs", CONFIGFS_MNT, "configfs", 0, NULL)) {
		err = -errno;
		fail(verb, -err, "mount configfs on %s", CONFIGFS_MNT);
		return err;
	}
	if (is_dir(path))
		return 0;
	fail(verb, ENOENT, "%s", path);
	return -ENOENT;
}

/* Everything a device verb needs before it touches a device. */
int env_prepare(const char *verb)
{
	int err;

	if (!module_loaded()) {
		err = module_load(verb);
		if (err)
			return err;
	}
	return configfs_prepare(verb, !sys_faked());
}
