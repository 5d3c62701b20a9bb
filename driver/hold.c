// SPDX-License-Identifier: GPL-2.0
/* pmemu hold points: tests stop tasks here to open race windows */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kstrtox.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "pmemu.h"

struct pmemu_hold_point {
	const char *name;
	atomic_t waiting;
	wait_queue_head_t wq;
};

/* bit N set: point N is armed; read inline by pmemu_hold() */
unsigned long pmemu_holds_armed;

static struct pmemu_hold_point pmemu_holds[PMEMU_HOLD_NR] = {
	[PMEMU_HOLD_FAULT_INSERT] = { .name = "fault_insert" },
	[PMEMU_HOLD_DESTROY_CLAIMED] = { .name = "destroy_claimed" },
	[PMEMU_HOLD_UNPUBLISH_CHECKED] = { .name = "unpublish_checked" },
	[PMEMU_HOLD_LABEL_HALF] = { .name = "label_half" },
	[PMEMU_HOLD_LABEL_WRITTEN] = { .name = "label_written" },
};

static struct dentry *pmemu_debugfs;
static struct dentry *pmemu_hold_dir;

/**
 * pmemu_debugfs_root() - /sys/kernel/debug/pmemu, for others' files
 *
 * Return: its dentry; without debugfs an ERR_PTR or NULL, which
 * debugfs_create_*() accept as a parent.
 */
struct dentry *pmemu_debugfs_root(void)
{
	return pmemu_debugfs;
}

static enum pmemu_hold_id pmemu_hold_id(struct pmemu_hold_point *h)
{
	return h - pmemu_holds;
}

/**
 * __pmemu_hold() - stop here while a test holds this point
 * @point: which point, armed when pmemu_hold() looked
 *
 * Context: may sleep; a fatal signal ends the wait.
 */
void __pmemu_hold(enum pmemu_hold_id point)
{
	struct pmemu_hold_point *h = &pmemu_holds[point];

	atomic_inc(&h->waiting);
	wake_up_all(&h->wq);
	wait_event_killable(h->wq, !test_bit(point, &pmemu_holds_armed));
	atomic_dec(&h->waiting);
}

static void pmemu_hold_set(struct pmemu_hold_point *h, bool armed)
{
	if (armed)
		set_bit(pmemu_hold_id(h), &pmemu_holds_armed);
	else
		clear_bit(pmemu_hold_id(h), &pmemu_holds_armed);
	wake_up_all(&h->wq);
}

static int pmemu_hold_show(struct seq_file *m, void *v)
{
	struct pmemu_hold_point *h = m->private;

	seq_printf(m, "%d %d\n", test_bit(pmemu_hold_id(h), &pmemu_holds_armed),
		   atomic_read(&h->waiting));
	return 0;
}

static int pmemu_hold_open(struct inode *inode, struct file *file)
{
	return single_open(file, pmemu_hold_show, inode->i_private);
}

static ssize_t pmemu_hold_write(struct file *file, const char __user *buf,
				size_t count, loff_t *ppos)
{
	struct pmemu_hold_point *h = file_inode(file)->i_private;
	bool armed;
	int ret;

	ret = kstrtobool_from_user(buf, count, &armed);
	if (ret) {
		pr_err("hold/%s: write 1 to arm or 0 to release\n", h->name);
		return ret;
	}
	pmemu_hold_set(h, armed);
	return count;
}

static const struct file_operations pmemu_hold_fops = {
	.owner = THIS_MODULE,
	.open = pmemu_hold_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = pmemu_hold_write,
};

/**
 * pmemu_debugfs_init() - create /sys/kernel/debug/pmemu and its hold points
 */
void pmemu_debugfs_init(void)
{
	int i;

	pmemu_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	pmemu_hold_dir = debugfs_create_dir("hold", pmemu_debugfs);
	for (i = 0; i < PMEMU_HOLD_NR; i++) {
		init_waitqueue_head(&pmemu_holds[i].wq);
		debugfs_create_file(pmemu_holds[i].name, 0600, pmemu_hold_dir,
				    &pmemu_holds[i], &pmemu_hold_fops);
	}
}

/**
 * pmemu_holds_exit() - remove the hold points and release held tasks
 *
 * The files go first, so that no point can be armed again.  Module unload
 * calls this before tearing devices down, which may wait for held tasks.
 */
void pmemu_holds_exit(void)
{
	int i;

	debugfs_remove(pmemu_hold_dir);
	pmemu_hold_dir = NULL;
	for (i = 0; i < PMEMU_HOLD_NR; i++)
		pmemu_hold_set(&pmemu_holds[i], false);
}

/**
 * pmemu_debugfs_exit() - remove the debugfs tree
 *
 * Also releases held tasks.  Last at unload: every device's directory
 * under the root is gone once the devices have drained.
 */
void pmemu_debugfs_exit(void)
{
	pmemu_holds_exit();
	debugfs_remove(pmemu_debugfs);
	pmemu_debugfs = NULL;
}
