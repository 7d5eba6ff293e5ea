# `make bench`: times membudget against bloaty (when there is one: on PATH
# or BLOATY=) and binutils on large ELFs, and runs the heap simulator on the
# recorded traces under callgrind.  Not part of `make test`; a missing
# subject or tool is skipped with its reason, never a failure.

BENCH := $(BUILD)/bench
BENCH_RUNS ?= 5
# The generated images (tests/bench/gen_synthetic.py), one directory each
# under BENCH_ELFS_DIR: u<units>/ compiled unit by unit, the main one
# (BENCH_UNITS, about 96k symbols, with its diff head) and the SCALE ones;
# s<symbols>/ assembled from templates, about BENCH_MILLION symbols (0:
# none).  Point BENCH_ELFS_DIR at images built before (by another checkout)
# to reuse them: they are only brought up to date.
BENCH_ELFS_DIR ?= $(BENCH)/elfs
BENCH_UNITS ?= 2000
BENCH_SCALE_UNITS ?= 4000 500
BENCH_MILLION ?= 1000000
BENCH_TEMPLATES ?= 200
BENCH_RUNS_MILLION ?= 3
# Seconds to wait for a quiet machine before measuring (shared machines)
BENCH_SETTLE ?= 0
BENCH_JOBS ?= $(shell nproc)
# The bloaty to compare with (default: bloaty on PATH)
BLOATY ?=

BENCH_ELFS := $(foreach u,$(BENCH_UNITS) $(BENCH_SCALE_UNITS),\
	$(BENCH_ELFS_DIR)/u$(u)/synthetic.elf) \
	$(if $(filter-out 0,$(BENCH_MILLION)),\
	$(BENCH_ELFS_DIR)/s$(BENCH_MILLION)/synthetic.elf)

# heapsim without sanitizers (ASan does not run under valgrind), optimised
# as a release build would be, from the same sources as build/host/heapsim;
# linked at a fixed address so the first-fit reference can place its pool
# exactly where the real one is
BENCH_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -fno-builtin -DHOST_BUILD \
	-DHEAP_SIZE=$(HEAP_SIZE) -Ifirmware/include -no-pie
BENCH_HEAPSIM := $(if $(wildcard tools/sim/heapsim.c),$(BENCH)/heapsim-bench)

# Per-call figures (make bench's "heap calls" table): heapsim built for
# i386 as the firmware is, with callgrind client requests around each heap
# call (-DHEAPSIM_PER_CALL), once on this tree's heap and once on the
# previous heap, the address-ordered first-fit list of BENCH_PREV (the
# tree before the shared engine), driven by this tree's heapsim.c; and
# the worst case, a trace with BENCH_HOLES free holes in front of a full
# pool (tests/bench/gen_holes.py)
BENCH_PREV ?= db50c0f
BENCH_HOLES ?= 2048
BENCH_CALL_CFLAGS := -std=gnu11 -O2 -m32 -fno-pie -no-pie -fno-builtin \
	-DHOST_BUILD -DHEAPSIM_PER_CALL -DHEAP_SIZE=$(HEAP_SIZE)
BENCH_CALLS := $(BENCH)/heapsim-ours $(BENCH)/heapsim-prev $(BENCH)/holes.trace

$(BENCH)/heapsim-ours: tools/sim/heapsim.c $(HOST_FW_SRCS) $(FW_CONFIG)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	$(Q)$(HOST_CC) $(BENCH_CALL_CFLAGS) -Ifirmware/include tools/sim/heapsim.c \
		$(HOST_FW_SRCS) -o $@

# Best effort: without git or BENCH_PREV the table says so and goes on
$(BENCH)/heapsim-prev: tools/sim/heapsim.c $(FW_CONFIG)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@ (heap of $(BENCH_PREV))"
	$(Q)rm -rf $(BENCH)/prev && mkdir -p $(BENCH)/prev && \
	if git archive $(BENCH_PREV) firmware | tar -x -C $(BENCH)/prev; then \
		$(HOST_CC) $(BENCH_CALL_CFLAGS) -DNDEBUG -I$(BENCH)/prev/firmware/include \
			tools/sim/heapsim.c $(BENCH)/prev/firmware/heap.c \
			$(BENCH)/prev/firmware/dma.c -o $@; \
	else echo "bench: no $(BENCH_PREV) to build the previous heap from"; fi

$(BENCH)/holes.trace: tests/bench/gen_holes.py $(FW_CONFIG)
	@mkdir -p $(@D)
	$(Q)$(TEST_PYTHON) tests/bench/gen_holes.py --holes $(BENCH_HOLES) \
		--heap-size $(HEAP_SIZE) --granule 8 $@

.PHONY: bench bench-elfs

bench: test-deps $(MB_RUN) bench-elfs $(BENCH)/rusage $(BENCH_HEAPSIM) $(BENCH_CALLS)
	$(Q)$(MAKE) --no-print-directory firmware >$(BENCH)/firmware-build.log 2>&1 || \
		echo "bench: firmware did not build (see $(BENCH)/firmware-build.log)"
	$(Q)$(TEST_PYTHON) tests/bench/run_bench.py --runs $(BENCH_RUNS) \
		--settle $(BENCH_SETTLE) --elfs $(BENCH_ELFS_DIR) \
		--units $(BENCH_UNITS) --scale-units $(BENCH_SCALE_UNITS) \
		--million $(BENCH_MILLION) --runs-million $(BENCH_RUNS_MILLION) \
		--bloaty "$(BLOATY)" --heap-size $(HEAP_SIZE) \
		--out reports/bench.json --docs docs/benchmarks.md

bench-elfs: $(BENCH_ELFS)

# Each with its ~1 % changed head (synthetic-head.elf) for diff
$(BENCH_ELFS_DIR)/u%/synthetic.elf: tests/bench/gen_synthetic.py
	@echo "  GEN     $@ ($* units)"
	$(Q)$(TEST_PYTHON) tests/bench/gen_synthetic.py --units $* \
		--jobs $(BENCH_JOBS) --out $(@D)

$(BENCH_ELFS_DIR)/s%/synthetic.elf: tests/bench/gen_synthetic.py
	@echo "  GEN     $@ ($* symbols, from $(BENCH_TEMPLATES) templates)"
	$(Q)$(TEST_PYTHON) tests/bench/gen_synthetic.py --symbols $* \
		--asm-templates $(BENCH_TEMPLATES) --jobs $(BENCH_JOBS) --out $(@D)

# Forks the measured commands so their peak RSS is their own
$(BENCH)/rusage: tests/bench/rusage.c
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	$(Q)$(HOST_CC) -std=gnu11 -O2 -Wall -Wextra -Werror $< -o $@

$(BENCH)/heapsim-bench: tools/sim/heapsim.c $(HOST_FW_SRCS) $(FW_CONFIG)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	$(Q)$(HOST_CC) $(BENCH_CFLAGS) tools/sim/heapsim.c $(HOST_FW_SRCS) -o $@
