# Host build of the firmware's portable C, with sanitizers, for the C unit
# tests (tests/firmware/test_*.c, cmocka) and the simulators (tools/sim/*.c),
# by the pattern of mk/hostc.mk.  Always a debug build: heap_check() runs
# after every heap change.

HOST_CC := gcc
HOST_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -fno-builtin \
	-fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -DHOST_BUILD -DDEBUG -DHEAP_SIZE=$(HEAP_SIZE) \
	-Ifirmware/include
HOST_LDFLAGS := -fsanitize=address,undefined

$(eval $(call fw_objects,host,$(HOST_CC) $(HOST_CFLAGS),HOSTCC ))
$(eval $(call fw_programs,host,$(HOST_CC) $(HOST_CFLAGS),$(HOST_LDFLAGS),HOSTCC ))
HOST_FW_OBJS := $(host_OBJS)
HOST_TESTS := $(patsubst tests/firmware/%.c,$(BUILD)/host/%,$(FW_TEST_SRCS))
HOST_SIMS := $(patsubst tools/sim/%.c,$(BUILD)/host/%,$(FW_SIM_SRCS))

# The same again as i386 programs (-m32, multiarch cmocka): the word size,
# HEAP_ALIGN and so the heap's layout are the firmware's.  heapsim, which
# replays the traces behind the runtime heap budget, is built only so.
HOST32_CFLAGS := $(HOST_CFLAGS) -m32
HOST32_LDFLAGS := $(HOST_LDFLAGS) -m32
$(eval $(call fw_objects,host32,$(HOST_CC) $(HOST32_CFLAGS),HOSTCC32))
$(eval $(call fw_programs,host32,$(HOST_CC) $(HOST32_CFLAGS),$(HOST32_LDFLAGS),HOSTCC32))
HOST32_FW_OBJS := $(host32_OBJS)
HOST32_TESTS := $(patsubst tests/firmware/%.c,$(BUILD)/host32/%,$(FW_TEST_SRCS))

.PHONY: host test-c
host: $(HOST_TESTS) $(HOST_SIMS) $(HOST32_TESTS)

# build/host/heapsim is the i386 one
$(BUILD)/host/heapsim: $(BUILD)/host32/heapsim
	@mkdir -p $(@D)
	$(Q)cp $< $@

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
