# libFuzzer harnesses (tests/fuzz/fuzz_*.c) over the firmware's portable C,
# built with clang, ASan and UBSan.  `make fuzz FUZZ_SECONDS=N` fuzzes each
# harness for N seconds; `make test` runs a short pass plus the committed
# corpora and crashers as regression tests.

FUZZ_CC := clang
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -fno-builtin \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
	-DHOST_BUILD -DDEBUG -DHEAP_SIZE=$(HEAP_SIZE) -Ifirmware/include
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 60
# The short pass inside `make test`, per harness
FUZZ_TEST_SECONDS ?= 20

.PHONY: fuzz test-fuzz fuzz-build

fuzz-build: $(FUZZ_BINS)

$(eval $(call fw_objects,fuzz,$(FUZZ_CC) $(FUZZ_CFLAGS),FUZZCC ))
FUZZ_OBJS := $(fuzz_OBJS)

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/cursor.h $(FUZZ_OBJS)
	@mkdir -p $(@D)
	@echo "  FUZZLD  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_OBJS) -o $@

fuzz: $(FUZZ_BINS)
	$(Q)$(TEST_PYTHON) tests/fuzz/run_fuzz.py --seconds $(FUZZ_SECONDS) $(FUZZ_BINS)

test-fuzz: $(FUZZ_BINS)
	$(Q)mkdir -p $(RESULTS)
	$(Q)$(TEST_PYTHON) tests/fuzz/run_fuzz.py --seconds $(FUZZ_TEST_SECONDS) \
		--junit $(RESULTS)/fuzz.xml $(FUZZ_BINS)

TEST_SUITES += test-fuzz
