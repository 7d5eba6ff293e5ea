# membudget (tools/membudget) and the Python test suite under tests/.

# -S: membudget needs the standard library alone, so it skips site (the
# .pth files of site-packages): ~4 ms of every run
MEMBUDGET = $(PYTHON) -S tools/membudget
# Every rule that runs $(MEMBUDGET) needs its compiled part (mk/native.mk)
# and its bytecode (MB_RUN has both)

# membudget's bytecode (__pycache__), compiled when a source changes.
# Where PYTHONDONTWRITEBYTECODE is set (CI images, containers) Python
# reads bytecode but never writes it: each run compiled every module it
# imports, 40 % of the instructions of the firmware's check
MB_SRCS := $(wildcard tools/membudget/*.py tools/membudget/*/*.py)
MB_BYTECODE := $(BUILD)/membudget-bytecode.stamp
MB_RUN = $(NATIVE_MODS) $(MB_BYTECODE)

$(MB_BYTECODE): $(MB_SRCS)
	@mkdir -p $(@D)
	$(Q)$(PYTHON) -S -m compileall -q tools/membudget && touch $@

FW_BUDGETS := budgets/firmware.toml

# The firmware's report and check read the link map too (merged strings,
# fill); REPORT_FLAGS adds options, e.g. REPORT_FLAGS="--by symbol"
FW_MEMBUDGET_ARGS = $(BUILD)/firmware.elf -b $(FW_BUDGETS) --map $(BUILD)/firmware.map
REPORT_FLAGS ?=

.PHONY: test-py budget-check report check

# The runtime heap budget: heapsim replays the budgets file's [heap.traces]
# (all four at once, about 0.01 s of CPU), so report and check show and enforce
# the peaks.  This heapsim runs the heap as the release firmware does:
# i386, HEAP_SIZE, neither sanitizers nor DEBUG's heap_check() after every
# change (the tests' build/host/heapsim has both, and is 5 times slower).
# It reports the figures alone (HEAPSIM_FIGURES_ONLY): the blocks'
# contents, which the tests' builds fill and verify, were 85 % of its time
FW_HEAPSIM := $(BUILD)/sim/heapsim
FW_HEAP_ARGS = --heap-trace --heapsim $(FW_HEAPSIM)

$(FW_HEAPSIM): tools/sim/heapsim.c $(HOST_FW_SRCS) $(FW_CONFIG)
	@mkdir -p $(@D)
	@echo "  HOSTCC32 $@"
	$(Q)$(HOST_CC) -std=gnu11 -Os -m32 -Wall -Wextra -Werror -fno-builtin \
		-DHOST_BUILD -DHEAPSIM_FIGURES_ONLY -DHEAP_SIZE=$(HEAP_SIZE) -Ifirmware/include \
		$(filter %.c,$^) -o $@

# pytest covers the tool and drives the host simulators
test-py: host $(FW_HEAPSIM) $(MB_RUN)
	$(Q)mkdir -p $(RESULTS)
	$(Q)$(TEST_PYTHON) -m pytest -q -p no:cacheprovider tests --junitxml=$(RESULTS)/pytest.xml

TEST_SUITES += test-py

# The report for people, plus the same as one self-contained HTML page;
# the stack's high-water marks the last boot test measured on this build
# (`make boot-test`) appear next to the bounds
FW_MEASURED_ARGS = --stack-measured $(BUILD)/stack-measured.json
report: firmware $(FW_HEAPSIM) $(MB_RUN)
	$(Q)$(MEMBUDGET) report $(FW_MEMBUDGET_ARGS) $(FW_HEAP_ARGS) $(FW_MEASURED_ARGS) \
		$(REPORT_FLAGS)
	$(Q)mkdir -p reports
	$(Q)$(MEMBUDGET) report $(FW_MEMBUDGET_ARGS) $(FW_MEASURED_ARGS) \
		--format html -o reports/firmware.html

check: firmware $(FW_HEAPSIM) $(MB_RUN)
	$(Q)$(MEMBUDGET) check $(FW_MEMBUDGET_ARGS) $(FW_HEAP_ARGS)

# Part of `make`: the report for people, then the verdict, the stack
# bounds included ([stack], from the .su/.ci beside the map's objects); an
# exceeded budget (exit 1) or bad input (exit 2) fails the build
budget-check: firmware $(MB_RUN)
	$(Q)$(MEMBUDGET) report $(FW_MEMBUDGET_ARGS) $(REPORT_FLAGS)
	$(Q)$(MEMBUDGET) check $(FW_MEMBUDGET_ARGS)

# Size regressions and planning (README "Size regressions and planning").
# The components' placement (one fragment per class, which $(FW_LDS)
# INCLUDEs) and the budgets as link-time ASSERTs over its symbols, both
# from the budgets file; mk/firmware.mk links them in
$(FW_BUDGET_LDS) $(FW_PLACE_LDS) &: $(FW_BUDGETS) $(FW_LDS) \
		$(MB_SRCS) $(MB_RUN)
	@mkdir -p $(@D) $(FW_PLACE_DIR)
	@echo "  LDS     $(FW_BUDGET_LDS) $(FW_PLACE_DIR)/"
	$(Q)$(MEMBUDGET) lds -b $(FW_BUDGETS) --script $(FW_LDS) \
		--place $(FW_PLACE_DIR) --object-map $(FW_OBJECT_MAP) -o $(FW_BUDGET_LDS)

.PHONY: lds baseline diff

lds: $(FW_BUDGET_LDS)

# mk/firmware.mk's rule runs membudget too (read before MB_RUN is set)
$(FW_STACK_BOUNDS): $(MB_BYTECODE)

# The committed snapshot `make diff` compares against by default
BASELINE := reports/baseline.json
baseline: firmware $(MB_RUN)
	$(Q)$(MEMBUDGET) snapshot $(FW_MEMBUDGET_ARGS) -o $(BASELINE)

# make diff: the working tree's build against $(BASELINE);
# make diff BASE=<git-rev>: against the firmware built at that revision
# in a temporary worktree.  DIFF_FLAGS adds options, e.g.
# DIFF_FLAGS="--format markdown --min-delta 8"
BASE ?=
DIFF_FLAGS ?=
diff: firmware $(MB_RUN)
ifeq ($(BASE),)
	$(Q)$(MEMBUDGET) diff $(BASELINE) $(BUILD)/firmware.elf -b $(FW_BUDGETS) \
		--head-map $(BUILD)/firmware.map $(DIFF_FLAGS)
else
	$(Q)mk/diff-base.sh '$(BASE)' '$(PYTHON)' $(BUILD) $(DIFF_FLAGS)
endif

# make install PREFIX=DIR [DESTDIR=STAGE]: the package under
# PREFIX/lib/membudget/ and a `membudget` command in PREFIX/bin that runs it
# with the python3 on PATH (or $MEMBUDGET_PYTHON): standard library and
# its compiled part (mk/native.mk), no pip needed; its bytecode is compiled
# there, as pip would.  `pip install .` (pyproject.toml) is the other way.
PREFIX ?= /usr/local
DESTDIR ?=
INSTALL_LIB = $(DESTDIR)$(PREFIX)/lib/membudget
INSTALL_BIN = $(DESTDIR)$(PREFIX)/bin
MB_INSTALL_FILES = $(shell find tools/membudget -name __pycache__ -prune -o -type f \
	\( -name '*.py' -o -path '*/assets/*' \) -print) $(NATIVE_MODS)

.PHONY: install
install: $(NATIVE_MODS)
	@echo "  INSTALL $(INSTALL_BIN)/membudget, $(INSTALL_LIB)/membudget/"
	$(Q)rm -rf $(INSTALL_LIB)/membudget
	$(Q)for f in $(MB_INSTALL_FILES); do \
		install -D -m 644 "$$f" "$(INSTALL_LIB)/$${f#tools/}" || exit 1; \
	done
	$(Q)$(PYTHON) -S -m compileall -q $(INSTALL_LIB)/membudget
	$(Q)mkdir -p $(INSTALL_BIN)
	$(Q)printf '#!/bin/sh\n# membudget, installed by make install\nexec "$${MEMBUDGET_PYTHON:-python3}" "%s" "$$@"\n' \
		"$(PREFIX)/lib/membudget/membudget" >$(INSTALL_BIN)/membudget
	$(Q)chmod 755 $(INSTALL_BIN)/membudget
