// SPDX-License-Identifier: GPL-2.0
/*
 * pmemu_iomem_test - iomem layouts that pmemu's range checks must handle,
 * made on purpose for guest/params.  Not part of pmemu.
 *
 *  nest=SIZE@START     a second "Reserved" resource over exactly a reserved
 *                      range; insert_resource() puts it around the first,
 *                      so iomem has nested Reserved entries, which must
 *                      count once
 *  foreign=SIZE@START  a platform device "pmemu_iomem_test" with that MEM
 *                      resource and platform data of its own, whose first
 *                      field reads as pmemu's NFIT source: bound to pmemu
 *                      through driver_override it must be checked like a
 *                      reserved-RAM range, not trusted as an NVDIMM
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ioport.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "pmemu.h"

static char *nest;
module_param(nest, charp, 0400);
MODULE_PARM_DESC(nest, "SIZE@START: add a Reserved resource over this reserved range");

static char *foreign;
module_param(foreign, charp, 0400);
MODULE_PARM_DESC(foreign, "SIZE@START: register a foreign platform device with this range");

/* Another driver's platform data; its first field happens to say "NFIT". */
struct pmemu_iomem_test_pdata {
	int kind;
	char label[16];
};

static struct resource *nest_res;
static struct platform_device *foreign_pdev;

static int parse(const char *what, const char *s, u64 *start, u64 *size)
{
	char *end;

	*size = memparse(s, &end);
	if (*end == '@') {
		*start = memparse(end + 1, &end);
		if (!*end && *size)
			return 0;
	}
	pr_err("%s=%s: expected SIZE@START\n", what, s);
	return -EINVAL;
}

static int add_nest(void)
{
	u64 start, size;
	int ret;

	ret = parse("nest", nest, &start, &size);
	if (ret)
		return ret;
	nest_res = kzalloc_obj(*nest_res);
	if (!nest_res)
		return -ENOMEM;
	*nest_res = DEFINE_RES_NAMED_DESC(start, size, "Reserved (pmemu_iomem_test)",
					  IORESOURCE_MEM, IORES_DESC_RESERVED);
	ret = insert_resource(&iomem_resource, nest_res);
	if (ret) {
		pr_err("nest: cannot insert [%#llx-%#llx]: %d\n", start,
		       start + size - 1, ret);
		kfree(nest_res);
		nest_res = NULL;
	}
	return ret;
}

static int add_foreign(void)
{
	struct pmemu_iomem_test_pdata pdata = {
		.kind = PMEMU_SRC_NFIT,
		.label = "not pmemu's",
	};
	struct resource res;
	u64 start, size;
	int ret;

	ret = parse("foreign", foreign, &start, &size);
	if (ret)
		return ret;
	res = DEFINE_RES_MEM(start, size);
	foreign_pdev = platform_device_register_resndata(NULL, KBUILD_MODNAME,
							 0, &res, 1, &pdata,
							 sizeof(pdata));
	if (IS_ERR(foreign_pdev)) {
		ret = PTR_ERR(foreign_pdev);
		foreign_pdev = NULL;
		return ret;
	}
	return 0;
}

static void pmemu_iomem_test_cleanup(void)
{
	if (foreign_pdev)
		platform_device_unregister(foreign_pdev);
	if (nest_res) {
		remove_resource(nest_res);
		kfree(nest_res);
	}
}

static int __init pmemu_iomem_test_init(void)
{
	int ret = 0;

	if (nest)
		ret = add_nest();
	if (!ret && foreign)
		ret = add_foreign();
	if (ret)
		pmemu_iomem_test_cleanup();
	return ret;
}

static void __exit pmemu_iomem_test_exit(void)
{
	pmemu_iomem_test_cleanup();
}

module_init(pmemu_iomem_test_init);
module_exit(pmemu_iomem_test_exit);
MODULE_DESCRIPTION("iomem layouts for pmemu's tests (nested Reserved, foreign platform data)");
MODULE_LICENSE("GPL");
