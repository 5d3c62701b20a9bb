# SPDX-License-Identifier: GPL-2.0
#
# pmemu top level.  Everything kernel-side runs in a QEMU guest (tests/vm).
#
#   make setup          host packages, Debian trixie guest root, kernel source (cached)
#   make build          pmemu.ko + userspace for the guest kernel, root image
#   make check          all test suites; ends with "N passed, N failed"; a
#                       missing result, a skip or a kernel-log problem fails
#                       it (docs/testing.md, Counting)
#   make check SUITES="guest/fsdax-fs"    one suite (see tests/check)
#   make check JOBS=N   up to N guest suites at once, bounded by cores and
#                       memory (a guest: 2 vCPUs, 12 GiB); default 1
#   make check KVER=7.2  the suites on Debian sid's 7.2 kernel, built with
#                       sid's compiler in a sid guest root (cached beside
#                       7.3's); KVER=7.3 (trixie-backports) is the default
#   make check KERNEL=debug   the suite on a DEBUG_VM+KASAN+lockdep build of the
#                       same kernel (built once by tests/vm/debug-kernel, cached)
#   make check KERNEL=debug-kobject   the devdax suites on that kernel with
#                       DEBUG_KOBJECT_RELEASE (tests/vm/debug-kobject.config)
#   make check KERNEL=/path/to/linux  the suites on a kernel tree you built
#                       (in-tree or O=; bzImage and modules; its .config
#                       must have tests/vm/guest.config's options)
#   make check-upstream  the in-tree stack's lifetime bugs reproduced, each
#                       beside pmemu's run of the same scenario (docs/upstream;
#                       SCENARIOS="devdax-vmsplice" for one)
#   make check-local RANGES=2G@6G,2G@9G   the guest suites on this machine
#                       (no QEMU; root; pmemu installed; ranges this boot
#                       reserved with memmap=); KTAP; skips what it lacks
#   make torture        every operation raced against every other in one guest
#                       (tests/torture/run; TORTURE_TIME, TORTURE_SEED,
#                       TORTURE_WORKERS; KERNEL=debug for the debug kernel)
#   make bench          benchmarks against the in-tree drivers (tests/bench/run)
#   make bench BENCH=devdax-populate      one benchmark
#   make demo           boot, load pmemu, ext4 -o dax, fio, summary
#   make shell          interactive guest shell
#   make lint           checkpatch, kernel-doc, sparse, DKMS (host/lint suite)
#   make rebuild-cache  wipe the cache ($$XDG_CACHE_HOME/pmemu) and set up again
SUITES ?=
BENCH ?=
KERNEL ?= stock
KVER ?= 7.3
export PMEMU_KVER := $(KVER)
JOBS ?= 1
export PMEMU_JOBS := $(JOBS)

all: build

setup:
	tests/vm/setup

build: setup
	tests/vm/build

check: build
ifneq ($(findstring /,$(KERNEL)),)
	lane=$$(tests/vm/tree-kernel $(KERNEL)) && PMEMU_KERNEL=$$lane tests/check $(SUITES)
else
ifeq ($(KERNEL),debug)
	tests/vm/debug-kernel
else ifneq ($(filter debug-%,$(KERNEL)),)
	tests/vm/debug-kernel --variant $(patsubst debug-%,%,$(KERNEL))
endif
	PMEMU_KERNEL=$(KERNEL) tests/check $(SUITES)
endif

# On a test machine (no QEMU), as root, pmemu and its tools installed:
# the in-tree stack's lifetime bugs reproduced beside pmemu (docs/upstream)
check-upstream: build
ifeq ($(KERNEL),debug)
	tests/vm/debug-kernel
endif
	PMEMU_KERNEL=$(KERNEL) tests/check-upstream $(SCENARIOS)

check-local:
	tests/check-local $(RANGES) $(SUITES)

torture: build
ifeq ($(KERNEL),debug)
	tests/vm/debug-kernel
endif
	PMEMU_KERNEL=$(KERNEL) tests/torture/run

lint: build
	tests/check host/lint

bench: build
	tests/bench/run $(BENCH)

demo: build
	tests/vm/vm run --name demo tests/demo.sh

shell: build
	tests/vm/vm shell

rebuild-cache:
	tests/vm/setup --wipe
	tests/vm/build

clean:
	rm -rf results

.PHONY: all setup build check check-upstream check-local torture lint bench demo shell rebuild-cache clean
