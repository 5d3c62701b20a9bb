// SPDX-License-Identifier: GPL-2.0
/* pmemu names: text forms of region sources and device settings */
#include <linux/string.h>

#include "pmemu.h"

static const char * const pmemu_source_names[] = {
	[PMEMU_SRC_RANGES] = "ranges",
	[PMEMU_SRC_E820] = "e820_pmem",
	[PMEMU_SRC_NFIT] = "nfit",
	[PMEMU_SRC_NDCTL] = "ndctl",
};

/**
 * pmemu_source_name() - name of a region source, as sysfs shows it
 * @source: the source
 *
 * Return: "ranges", "e820_pmem", "nfit" or "ndctl".
 */
const char *pmemu_source_name(enum pmemu_source source)
{
	return pmemu_source_names[source];
}

static const char * const pmemu_mode_names[] = {
	[PMEMU_MODE_FSDAX] = "fsdax",
	[PMEMU_MODE_DEVDAX] = "devdax",
};

static const char * const pmemu_map_names[] = {
	[PMEMU_MAP_MEM] = "mem",
	[PMEMU_MAP_DEV] = "dev",
};

static const char * const pmemu_lifetime_names[] = {
	[PMEMU_LIFETIME_SWEEP] = "sweep",
	[PMEMU_LIFETIME_TRACKED] = "tracked",
};

/**
 * pmemu_mode_name() - name of a device mode, as configfs and sysfs show it
 * @mode: the mode
 *
 * Return: "fsdax" or "devdax".
 */
const char *pmemu_mode_name(enum pmemu_mode mode)
{
	return pmemu_mode_names[mode];
}

/**
 * pmemu_map_name() - name of a memmap location, as configfs and sysfs show it
 * @map: the location
 *
 * Return: "mem" or "dev".
 */
const char *pmemu_map_name(enum pmemu_map map)
{
	return pmemu_map_names[map];
}

/**
 * pmemu_lifetime_name() - name of a devdax lifetime strategy
 * @lifetime: the strategy
 *
 * Return: "sweep" or "tracked".
 */
const char *pmemu_lifetime_name(enum pmemu_lifetime lifetime)
{
	return pmemu_lifetime_names[lifetime];
}

static const char * const pmemu_labels_state_names[] = {
	[PMEMU_LABELS_NONE] = "none",
	[PMEMU_LABELS_OK] = "ok",
	[PMEMU_LABELS_DAMAGED] = "damaged",
	[PMEMU_LABELS_INCOMPLETE] = "incomplete",
};

/**
 * pmemu_labels_state_name() - state of a region's labels, as sysfs shows it
 * @state: the state
 *
 * Return: "none", "ok", "damaged" or "incomplete".
 */
const char *pmemu_labels_state_name(enum pmemu_labels_state state)
{
	return pmemu_labels_state_names[state];
}

/**
 * pmemu_mode_parse() - mode named by a configfs write
 * @buf: the written text (a trailing newline is ignored)
 *
 * Return: the enum pmemu_mode value or -EINVAL.
 */
int pmemu_mode_parse(const char *buf)
{
	return sysfs_match_string(pmemu_mode_names, buf);
}

/**
 * pmemu_map_parse() - memmap location named by a configfs write
 * @buf: the written text (a trailing newline is ignored)
 *
 * Return: the enum pmemu_map value or -EINVAL.
 */
int pmemu_map_parse(const char *buf)
{
	return sysfs_match_string(pmemu_map_names, buf);
}

/**
 * pmemu_lifetime_parse() - lifetime strategy named by a configfs write
 * @buf: the written text (a trailing newline is ignored)
 *
 * Return: the enum pmemu_lifetime value or -EINVAL.
 */
int pmemu_lifetime_parse(const char *buf)
{
	return sysfs_match_string(pmemu_lifetime_names, buf);
}
