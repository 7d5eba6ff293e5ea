# Host build of the firmware's portable C, with sanitizers, for the C unit
# tests (tests/firmware/test_*.c, cmocka) and the simulators (tools/sim/*.c).
# Always a debug build: heap_check() runs after every heap change.

HOST_CC := gcc
HOST_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -fno-builtin \
	-fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -DHOST_BUILD -DDEBUG -DHEAP_SIZE=$(HEAP_SIZE) \
	-Ifirmware/include
HOST_LDFLAGS := -fsanitize=address,undefined

# The firmware's own string functions are replaced by the C library's
HOST_FW_SRCS := $(filter-out firmware/string.c,$(wildcard firmware/*.c))
HOST_FW_OBJS := $(patsubst firmware/%.c,$(BUILD)/host/obj/%.o,$(HOST_FW_SRCS))
HOST_TESTS := $(patsubst tests/firmware/%.c,$(BUILD)/host/%,$(wildcard tests/firmware/test_*.c))
HOST_SIMS := $(patsubst tools/sim/%.c,$(BUILD)/host/%,$(wildcard tools/sim/*.c))

# The same again as i386 programs (-m32, multiarch cmocka): the word size,
# HEAP_ALIGN and so the heap's layout are the firmware's.  heapsim, which
# replays the traces behind the runtime heap budget, is built only so.
HOST32_CFLAGS := $(HOST_CFLAGS) -m32
HOST32_LDFLAGS := $(HOST_LDFLAGS) -m32
HOST32_FW_OBJS := $(patsubst firmware/%.c,$(BUILD)/host32/obj/%.o,$(HOST_FW_SRCS))
HOST32_TESTS := $(patsubst tests/firmware/%.c,$(BUILD)/host32/%,$(wildcard tests/firmware/test_*.c))

.PHONY: host test-c
host: $(HOST_TESTS) $(HOST_SIMS) $(HOST32_TESTS)

$(BUILD)/host32/obj/%.o: firmware/%.c $(FW_CONFIG)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $< (i386)"
	$(Q)$(HOST_CC) $(HOST32_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/host32/test_%: tests/firmware/test_%.c $(HOST32_FW_OBJS)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $< (i386)"
	$(Q)$(HOST_CC) $(HOST32_CFLAGS) -MMD -MP $< $(HOST32_FW_OBJS) -o $@ \
		$(HOST32_LDFLAGS) -lcmocka

$(BUILD)/host/heapsim: tools/sim/heapsim.c $(HOST32_FW_OBJS)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $< (i386)"
	$(Q)$(HOST_CC) $(HOST32_CFLAGS) -MMD -MP $< $(HOST32_FW_OBJS) -o $@ \
		$(HOST32_LDFLAGS)

$(BUILD)/host/obj/%.o: firmware/%.c $(FW_CONFIG)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $<"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/host/test_%: tests/firmware/test_%.c $(HOST_FW_OBJS)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $<"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -MMD -MP $< $(HOST_FW_OBJS) -o $@ \
		$(HOST_LDFLAGS) -lcmocka

$(BUILD)/host/%: tools/sim/%.c $(HOST_FW_OBJS)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $<"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -MMD -MP $< $(HOST_FW_OBJS) -o $@ $(HOST_LDFLAGS)

# Each cmocka binary writes JUnit XML into $(RESULTS); cmocka will not
# overwrite an old file (it prints to stdout instead), so remove it first
test-c: $(HOST_TESTS) $(HOST32_TESTS)
	$(Q)mkdir -p $(RESULTS); status=0; \
	for t in $(HOST_TESTS) $(HOST32_TESTS); do \
		xml=$(RESULTS)/c-$$(basename $$(dirname $$t))-$$(basename $$t).xml; \
		rm -f $$xml; \
		CMOCKA_MESSAGE_OUTPUT=xml CMOCKA_XML_FILE=$$xml \
			$$t || { echo "FAILED: $$t"; status=1; }; \
	done; exit $$status

TEST_SUITES += test-c

-include $(HOST_FW_OBJS:.o=.d) $(HOST_TESTS:=.d) $(HOST_SIMS:=.d)
-include $(HOST32_FW_OBJS:.o=.d) $(HOST32_TESTS:=.d)

# Objects are inputs of several links: keep them between runs
.SECONDARY: $(HOST_FW_OBJS) $(HOST32_FW_OBJS)
