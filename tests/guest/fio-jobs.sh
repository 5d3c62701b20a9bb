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
