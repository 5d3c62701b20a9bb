# SPDX-License-Identifier: GPL-2.0
# A fake sysfs and configfs for pmemuctl (PMEMUCTL_SYSFS_ROOT), laid out as
# pmemu lays out the real ones (docs/ABI): two regions and four devices.
#
#   region0  ranges (loaded with labels=1), 2 GiB at 0x100000000, 512 MiB
#            free
#   region1  nfit, 4 GiB at 0x240000000, 1.5 GiB free (1 GiB in one piece)
#   dev0     fsdax on region0, enabled: /dev/pmemu0, 1 GiB, one media error
#   dev1     devdax on region1, enabled: /dev/pmemu1.dax, 2 GiB, align 2M
#   dev2     fsdax on region1, disabled, 512 MiB configured
#   pmemu3   made by the module at load on region1 (no configfs item), 512 MiB
#   keep     fsdax on region0, restored from its labels at load (no
#            configfs item yet): /dev/pmemu4, 512 MiB

# put FILE VALUE: write an attribute file (and its directory)
put() {
	mkdir -p "${1%/*}" && printf '%s\n' "$2" > "$1"
}

# fx_region ROOT ID SOURCE START SIZE AVAILABLE MAX_EXTENT LABELS
fx_region() {
	local d=$1/sys/class/pmemu/region$2
	put $d/labels "$8"
	put $d/source "$3"
	put $d/start "$4"
	put $d/size "$5"
	put $d/available_size "$6"
	put $d/max_available_extent "$7"
	put $d/align 2097152
	put $d/numa_node 0
}

# fx_cfg ROOT NAME REGION MODE SIZE ENABLE STATE DEV [ALIGN LIFETIME]
fx_cfg() {
	local d=$1/sys/kernel/config/pmemu/$2
	put $d/region "$3"
	put $d/offset auto
	put $d/mode "$4"
	put $d/map mem
	put $d/size "$5"
	put $d/align "${9:-2097152}"
	put $d/lifetime "${10:-sweep}"
	put $d/enable "$6"
	put $d/state "$7"
	put $d/dev "$8"
}

# fx_node DIR NAME REGION MODE OFFSET SIZE PHYS UUID: a live device's
# attributes
fx_node() {
	put $1/name "$2"
	put $1/uuid "$8"
	put $1/region "$3"
	put $1/mode "$4"
	put $1/map mem
	put $1/offset "$5"
	put $1/size "$6"
	put $1/data_offset 0
	put $1/phys_start "$7"
}

# fx_make ROOT: the whole tree
fx_make() {
	local r=$1
	rm -rf "$r"
	mkdir -p $r/sys/module/pmemu $r/sys/kernel/config/pmemu $r/sys/block
	fx_region $r 0 ranges 0x100000000 2147483648 536870912 536870912 ok
	fx_region $r 1 nfit 0x240000000 4294967296 1610612736 1073741824 ok

	fx_cfg $r dev0 0 fsdax 1073741824 1 live pmemu0
	fx_node $r/sys/block/pmemu0/pmemu dev0 0 fsdax 0 1073741824 0x100000000 \
		5e1d4c1c-8a55-4a4e-9d2a-3f1b0c7d9e01
	put $r/sys/block/pmemu0/badblocks "2048 8"

	fx_cfg $r dev1 1 devdax 2147483648 1 live pmemu1.dax 2097152 tracked
	fx_node $r/sys/class/pmemu/pmemu1.dax dev1 1 devdax 0 2147483648 0x240000000 \
		0b6f2d8e-31c7-4f0a-8c55-9a7e6d1f2b02
	put $r/sys/class/pmemu/pmemu1.dax/align 2097152
	put $r/sys/class/pmemu/pmemu1.dax/lifetime tracked
	put $r/sys/class/pmemu/pmemu1.dax/badblocks ""

	fx_cfg $r dev2 1 fsdax 536870912 0 disabled ""

	fx_node $r/sys/block/pmemu3/pmemu "" 1 fsdax 3221225472 536870912 0x300000000 \
		a3c0e7d4-6b1f-4e29-b8d0-2c4f5e6a7b03
	put $r/sys/block/pmemu3/badblocks ""

	fx_node $r/sys/block/pmemu4/pmemu keep 0 fsdax 1073741824 536870912 0x140000000 \
		7f9e8d6c-5b4a-4392-8170-6e5d4c3b2a04
	put $r/sys/block/pmemu4/badblocks ""
}
