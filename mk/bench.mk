# `make bench`: times membudget against binutils on large ELFs and runs
# the heap simulator on the recorded traces under callgrind.  Not part of
# `make test`; a missing subject is skipped with its reason, never a failure.

BENCH := $(BUILD)/bench
BENCH_UNITS ?= 2000
BENCH_RUNS ?= 5
# Seconds to wait for a quiet machine before measuring (shared machines)
BENCH_SETTLE ?= 0
BENCH_JOBS ?= $(shell nproc)

# A BENCH_UNITS change must regenerate the synthetic ELFs
BENCH_CONFIG := $(BENCH)/config-$(BENCH_UNITS)
BENCH_ELFS := $(BENCH)/synthetic.elf $(BENCH)/synthetic-head.elf

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

bench: test-deps bench-elfs $(BENCH)/rusage $(BENCH_HEAPSIM) $(BENCH_CALLS)
	$(Q)$(MAKE) --no-print-directory firmware >$(BENCH)/firmware-build.log 2>&1 || \
		echo "bench: firmware did not build (see $(BENCH)/firmware-build.log)"
	$(Q)$(TEST_PYTHON) tests/bench/run_bench.py --runs $(BENCH_RUNS) \
		--settle $(BENCH_SETTLE) \
		--heap-size $(HEAP_SIZE) --out reports/bench.json

bench-elfs: $(BENCH_ELFS)

$(BENCH_CONFIG):
	$(Q)mkdir -p $(@D) && rm -f $(BENCH)/config-* && touch $@

$(BENCH_ELFS) &: tests/bench/gen_synthetic.py $(BENCH_CONFIG)
	@echo "  GEN     $(BENCH)/synthetic.elf ($(BENCH_UNITS) units)"
	$(Q)$(TEST_PYTHON) tests/bench/gen_synthetic.py --units $(BENCH_UNITS) \
		--jobs $(BENCH_JOBS) --out $(BENCH)

# Forks the measured commands so their peak RSS is their own
$(BENCH)/rusage: tests/bench/rusage.c
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	$(Q)$(HOST_CC) -std=gnu11 -O2 -Wall -Wextra -Werror $< -o $@

$(BENCH)/heapsim-bench: tools/sim/heapsim.c $(HOST_FW_SRCS) $(FW_CONFIG)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	$(Q)$(HOST_CC) $(BENCH_CFLAGS) tools/sim/heapsim.c $(HOST_FW_SRCS) -o $@
