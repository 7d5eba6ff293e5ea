# The i386 firmware image: freestanding, per-function sections, GC'd link.

FW_CC := gcc
FW_LD := ld
HEAP_SIZE ?= 131072
# DEBUG=1 builds heap_check(), assert() and the boot self-tests into the
# image; the release image (the one budgeted) has none of them
DEBUG ?= 0

# The flags iPXE's BIOS build uses, so sizes compare fairly, plus the
# stack-usage and call-graph files [stack] reads (x.su, x.ci beside x.o),
# which leave the image's bytes as they are
FW_CFLAGS := -std=gnu11 -Os -m32 -march=i386 -mregparm=3 -mrtd \
	-mpreferred-stack-boundary=2 -fomit-frame-pointer -falign-functions=1 -falign-jumps=1 \
	-falign-loops=1 -fno-asynchronous-unwind-tables -ffreestanding \
	-fno-pic -fno-stack-protector -ffunction-sections -fdata-sections \
	-g -Wall -Wextra -Werror -Ifirmware/include -DHEAP_SIZE=$(HEAP_SIZE) \
	-fstack-usage -fcallgraph-info=su
ifeq ($(DEBUG),1)
FW_CFLAGS += -DDEBUG
endif
FW_ASFLAGS := -m32 -g -Ifirmware/include -DHEAP_SIZE=$(HEAP_SIZE)
FW_LDFLAGS := -m elf_i386 --gc-sections -nostdlib --orphan-handling=error \
	--no-warn-rwx-segments

FW_C_SRCS := $(wildcard firmware/*.c firmware/arch/i386/*.c)
FW_S_SRCS := $(wildcard firmware/arch/i386/*.S)
# Sorted: the link sees objects in path order, so a component glob that
# names several (int15*.[cS]) places them by name, C or assembly alike
FW_OBJS := $(sort $(patsubst firmware/%,$(BUILD)/fw/%,$(FW_C_SRCS:.c=.o) $(FW_S_SRCS:.S=.o)))
FW_LDS := firmware/arch/i386/firmware.lds

# The components' placement, generated from the budgets file by
# mk/tools.mk: one fragment per class that $(FW_LDS) INCLUDEs (found
# through -L).  A source's object is $(BUILD)/fw/<path below firmware/>.o
FW_PLACE_DIR := $(BUILD)/lds
FW_PLACE_LDS := $(addprefix $(FW_PLACE_DIR)/,code.lds rodata.lds data.lds bss.lds)
FW_OBJECT_MAP := firmware/=*/fw/

# A HEAP_SIZE or DEBUG change must rebuild everything that saw it, and so
# must a change of the flags: the stamp is renewed when a makefile is
# (a stale object once kept -fstack-usage out of a build)
FW_CONFIG := $(BUILD)/fw/config-$(HEAP_SIZE)-$(DEBUG)

.PHONY: firmware
firmware: $(BUILD)/firmware.elf $(BUILD)/firmware.bin $(BUILD)/firmware.img

$(FW_CONFIG): Makefile $(wildcard mk/*.mk)
	$(Q)mkdir -p $(@D) && rm -f $(BUILD)/fw/config-* && touch $@

$(BUILD)/fw/%.o: firmware/%.c $(FW_CONFIG)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(FW_CC) $(FW_CFLAGS) -MMD -MP -c $< -o $@
	$(Q)$(FW_CHECK)

# The test payload runs in real mode: 16-bit code, still flat below 64 KiB
$(BUILD)/fw/arch/i386/payload.o: FW_CFLAGS := $(filter-out -m32,$(FW_CFLAGS)) -m16

# ...so it must not call the 32-bit string functions gcc may emit
$(BUILD)/fw/arch/i386/payload.o: FW_CHECK = ! nm -u $@ | grep -E ' (mem|str)'

$(BUILD)/fw/%.o: firmware/%.S $(FW_CONFIG)
	@mkdir -p $(@D)
	@echo "  AS      $<"
	$(Q)$(FW_CC) $(FW_ASFLAGS) -MMD -MP -c $< -o $@

# The budgets as ld ASSERTs (made by mk/tools.mk): an over-budget
# component fails the link itself, naming the component
FW_BUDGET_LDS := $(BUILD)/budgets.lds
# A debug image is not the budgeted one: its link leaves the ASSERTs out
FW_LINK_BUDGET_LDS := $(if $(filter 1,$(DEBUG)),,$(FW_BUDGET_LDS))

$(BUILD)/firmware.elf: $(FW_OBJS) $(FW_LDS) $(FW_PLACE_LDS) $(FW_LINK_BUDGET_LDS)
	@echo "  LD      $@"
	$(Q)$(FW_LD) $(FW_LDFLAGS) -L $(FW_PLACE_DIR) -T $(FW_LDS) $(addprefix -T ,$(FW_LINK_BUDGET_LDS)) \
		-Map $(BUILD)/firmware.map -o $@ $(FW_OBJS)

$(BUILD)/firmware.bin: $(BUILD)/firmware.elf
	$(Q)objcopy -O binary $< $@


# Bootable raw disk image: the flat image in whole sectors, the boot
# sector first (see firmware/arch/i386/prefix.S)
$(BUILD)/firmware.img: $(BUILD)/firmware.bin
	$(Q)cp $< $@ && truncate -s %512 $@

# The same image with the heap left visible, for the boot test to prove
# that it notices (a test of the test); only main.o differs (under fw/ as
# well, so the placement's object patterns match it)
FW_BREAK_MAIN := $(BUILD)/break/fw/arch/i386/main.o
FW_BREAK_OBJS := $(patsubst %/fw/arch/i386/main.o,$(FW_BREAK_MAIN),$(FW_OBJS))

$(FW_BREAK_MAIN): firmware/arch/i386/main.c $(FW_CONFIG)
	@mkdir -p $(@D)
	@echo "  CC      $< (BREAK_HIDE_HEAP)"
	$(Q)$(FW_CC) $(FW_CFLAGS) -DBREAK_HIDE_HEAP -MMD -MP -c $< -o $@

$(BUILD)/break/firmware.elf: $(FW_BREAK_OBJS) $(FW_LDS) $(FW_PLACE_LDS)
	$(Q)$(FW_LD) $(FW_LDFLAGS) -L $(FW_PLACE_DIR) -T $(FW_LDS) -o $@ $(FW_BREAK_OBJS)

$(BUILD)/break/firmware.img: $(BUILD)/break/firmware.elf
	$(Q)objcopy -O binary $< $@ && truncate -s %512 $@

# ...and one that hides a page beyond the heap pool: the boot test must
# notice memory hidden that nothing uses
FW_OVER_MAIN := $(BUILD)/overhide/fw/arch/i386/main.o
FW_OVER_OBJS := $(patsubst %/fw/arch/i386/main.o,$(FW_OVER_MAIN),$(FW_OBJS))

$(FW_OVER_MAIN): firmware/arch/i386/main.c $(FW_CONFIG)
	@mkdir -p $(@D)
	@echo "  CC      $< (BREAK_OVERHIDE)"
	$(Q)$(FW_CC) $(FW_CFLAGS) -DBREAK_OVERHIDE -MMD -MP -c $< -o $@

$(BUILD)/overhide/firmware.elf: $(FW_OVER_OBJS) $(FW_LDS) $(FW_PLACE_LDS)
	$(Q)$(FW_LD) $(FW_LDFLAGS) -L $(FW_PLACE_DIR) -T $(FW_LDS) -o $@ $(FW_OVER_OBJS)

$(BUILD)/overhide/firmware.img: $(BUILD)/overhide/firmware.elf
	$(Q)objcopy -O binary $< $@ && truncate -s %512 $@

.PHONY: image boot-test test-boot
image: $(BUILD)/firmware.img

# Boot under QEMU + SeaBIOS at each size in BOOT_MEMORY (MiB), check the
# INT 15h answers; the broken images must fail the same checks.  3584 and
# 6144 put RAM above 4 GiB, so the largest usable region (below 4 GiB) is
# not the last one in the map.  Each stack's measured high-water mark must
# stay within its static bound (build/stack-bounds.json); the marks go to
# build/stack-measured.json, which `make report` shows next to the bounds
BOOT_MEMORY ?= 8 64 3584 6144
FW_STACK_BOUNDS := $(BUILD)/stack-bounds.json
FW_STACK_MEASURED := $(BUILD)/stack-measured.json

$(FW_STACK_BOUNDS): $(BUILD)/firmware.elf budgets/firmware.toml $(NATIVE_MODS)
	$(Q)$(MEMBUDGET) report $(FW_MEMBUDGET_ARGS) --format json -o $@

boot-test: $(BUILD)/firmware.img $(BUILD)/break/firmware.img \
		$(BUILD)/overhide/firmware.img $(FW_STACK_BOUNDS)
	$(Q)mkdir -p $(RESULTS)
	$(Q)$(TEST_PYTHON) tests/boot/boot_test.py --junit $(RESULTS)/boot.xml \
		--break-image $(BUILD)/break/firmware.img \
		--overhide-image $(BUILD)/overhide/firmware.img \
		--stack-bounds $(FW_STACK_BOUNDS) --stack-out $(FW_STACK_MEASURED) \
		$(BUILD)/firmware.img $(BOOT_MEMORY)

test-boot: boot-test
TEST_SUITES += test-boot

-include $(FW_OBJS:.o=.d) $(FW_BREAK_MAIN:.o=.d) $(FW_OVER_MAIN:.o=.d)
