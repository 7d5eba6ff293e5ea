# The i386 firmware image: freestanding, per-function sections, GC'd link.

FW_CC := gcc
FW_LD := ld
HEAP_SIZE ?= 131072

# The flags iPXE's BIOS build uses, so sizes compare fairly
FW_CFLAGS := -std=gnu11 -Os -m32 -march=i386 -mregparm=3 -mrtd \
	-fomit-frame-pointer -falign-functions=1 -falign-jumps=1 \
	-falign-loops=1 -fno-asynchronous-unwind-tables -ffreestanding \
	-fno-pic -fno-stack-protector -ffunction-sections -fdata-sections \
	-g -Wall -Wextra -Werror -Ifirmware/include -DHEAP_SIZE=$(HEAP_SIZE)
FW_ASFLAGS := -m32 -g -Ifirmware/include -DHEAP_SIZE=$(HEAP_SIZE)
FW_LDFLAGS := -m elf_i386 --gc-sections -nostdlib

FW_C_SRCS := $(wildcard firmware/*.c firmware/arch/i386/*.c)
FW_S_SRCS := $(wildcard firmware/arch/i386/*.S)
FW_OBJS := $(patsubst firmware/%,$(BUILD)/fw/%,$(FW_C_SRCS:.c=.o) $(FW_S_SRCS:.S=.o))
FW_LDS := firmware/arch/i386/firmware.lds

# A HEAP_SIZE change must rebuild everything that saw it
FW_CONFIG := $(BUILD)/fw/config-$(HEAP_SIZE)

.PHONY: firmware
firmware: $(BUILD)/firmware.elf $(BUILD)/firmware.bin

$(FW_CONFIG):
	$(Q)mkdir -p $(@D) && rm -f $(BUILD)/fw/config-* && touch $@

$(BUILD)/fw/%.o: firmware/%.c $(FW_CONFIG)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(FW_CC) $(FW_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/fw/%.o: firmware/%.S $(FW_CONFIG)
	@mkdir -p $(@D)
	@echo "  AS      $<"
	$(Q)$(FW_CC) $(FW_ASFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/firmware.elf: $(FW_OBJS) $(FW_LDS)
	@echo "  LD      $@"
	$(Q)$(FW_LD) $(FW_LDFLAGS) -T $(FW_LDS) -Map $(BUILD)/firmware.map \
		-o $@ $(FW_OBJS)

$(BUILD)/firmware.bin: $(BUILD)/firmware.elf
	$(Q)objcopy -O binary $< $@

-include $(FW_OBJS:.o=.d)
