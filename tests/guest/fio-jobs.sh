# SPDX-License-Identifier: GPL-2.0
# fio jobs shared by suites that compare pmemu with in-tree drivers.

# fio_fs_job DIR ENGINE BS RW SIZE: files in DIR written with crc32c
# checksums, then verified.  DIR must be the root of a dax=always mount (a
# failed mount must not send the job to the root disk).
fio_fs_job() {
	local dir=$1 engine=$2 bs=$3 rw=$4 size=$5
	require_dax_mount "$dir"
	fio_run --name="fs-$engine-$rw-$bs" --directory="$dir" --ioengine="$engine" \
		--rw="$rw" --bs="$bs" --size="$size" --verify=crc32c --verify_fatal=1 \
		--randrepeat=0 --unlink=1
}

# fio_devdax_job DEV SIZE: a devdax character device written and verified
# (crc32c) through mmap and through fio's dev-dax engine; SIZE must be a
# multiple of the device's align (fio maps it whole).
fio_devdax_job() {
	[ -c "$1" ] || fail "$1 is not a character device"
	fio_run --name=dax-mmap --filename="$1" --ioengine=mmap \
		--rw=randwrite --bs=64k --size="$2" --verify=crc32c \
		--verify_fatal=1 --do_verify=1 --randrepeat=1 ||
		fail "fio mmap verify on $1"
	fio_run --name=dax-devdax --filename="$1" --ioengine=dev-dax \
		--rw=randrw --bs=4k --size="$2" --verify=crc32c \
		--verify_fatal=1 --do_verify=1 --randrepeat=1 ||
		fail "fio dev-dax verify on $1"
}
