# membudget: a tiny i386 firmware core and the tool that budgets it.
# `make` builds the firmware and checks its budgets; `make test` runs
# every test.  `make help` lists the rest.  V=1 shows the commands.

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
SHELL := /bin/sh

BUILD := build
V ?= 0
ifeq ($(V),1)
Q :=
else
Q := @
endif

# Resolved on first use, once: `make deps` may be what installs them.
# PYTHON runs membudget (standard library only); TEST_PYTHON runs the
# tests (pytest, hypothesis, pyelftools as the oracle)
PYTHON = $(eval PYTHON := $(shell mk/find-python))$(PYTHON)
TEST_PYTHON = $(eval TEST_PYTHON := $(shell mk/find-test-python))$(TEST_PYTHON)

# Each fragment adds its suites to TEST_SUITES (targets that write JUnit
# XML into $(RESULTS)) and its outputs to the targets below.
TEST_SUITES :=
RESULTS := $(BUILD)/test-results

include mk/firmware.mk
include mk/hostc.mk
include mk/host.mk
include mk/native.mk
include mk/tools.mk
include mk/bench.mk
include mk/fuzz.mk
include mk/valgrind.mk
include mk/mutants.mk

.PHONY: all deps test-deps test help clean

# A debug image carries self-tests the budgets do not allow for
ifeq ($(DEBUG),1)
all: deps firmware
else
all: deps firmware budget-check
endif

# What `make` needs (compiler, binutils, Python); test-deps adds what only
# the tests need (cross compilers, QEMU, valgrind, Chromium, npm tools)
deps:
	$(Q)mk/deps.sh

test-deps:
	$(Q)mk/deps.sh test

test: test-deps
	$(Q)rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	$(Q)status=0; \
	$(MAKE) --no-print-directory -k $(TEST_SUITES) || status=1; \
	$(TEST_PYTHON) tests/summary.py $(RESULTS) || status=1; \
	exit $$status

help:
	@echo "make            install missing packages, build the firmware, report and check budgets"
	@echo "make test       run every test (C unit tests, simulators, tool tests, boot test)"
	@echo "make firmware   build build/firmware.elf, .map, .bin"
	@echo "make host       build the host simulators and C unit tests"
	@echo "make report     size report of the firmware (also reports/firmware.html)"
	@echo "make check      budget check of the firmware"
	@echo "make diff       size change against reports/baseline.json (BASE=<git-rev>: against that revision)"
	@echo "make baseline   refresh reports/baseline.json from the current build"
	@echo "make lds        build/lds/*.lds, build/budgets.lds: the components' placement and the budgets as linker ASSERTs, from the budgets file (linked into the firmware)"
	@echo "make bench      time membudget against bloaty (BLOATY=, or on PATH) and nm/size on large ELFs, heap on traces (reports/bench.json, docs/benchmarks.md)"
	@echo "make boot-test  boot the image under QEMU + SeaBIOS and check the INT 15h hook"
	@echo "make mutants    apply each tests/mutants/*.patch to a copy; fail if the unit and boot tests miss one"
	@echo "make fuzz       fuzz the heap, umalloc and the e820 mangler (FUZZ_SECONDS=N each, default 60)"
	@echo "make native     build membudget's C loops in place (tools/membudget/*/_*.abi3.so)"
	@echo "make install    install the membudget command (PREFIX=/usr/local, DESTDIR=)"
	@echo "make test-deps  install what only the tests need (make test runs it)"
	@echo "make clean      remove build/"
	@echo "Options: HEAP_SIZE=<bytes> (default 131072), DEBUG=1 (heap_check() and asserts in the image; no budget check), V=1"

clean:
	rm -rf $(BUILD)
