# The one pattern every host build of the firmware's portable C follows
# (host with sanitizers, host32 as i386, vg for valgrind, fuzz for
# libFuzzer): a variant is a name, a compile command and link flags.
#
# $(call fw_objects,NAME,COMPILE,LABEL) defines NAME_OBJS, the objects of
#   HOST_FW_SRCS under $(BUILD)/NAME/obj/, and the rule that builds them.
# $(call fw_programs,NAME,COMPILE,LDFLAGS,LABEL) adds the rules that link
#   the cmocka tests ($(BUILD)/NAME/test_*) and the simulators
#   ($(BUILD)/NAME/<sim>) with those objects.
# Used as $(eval $(call ...)); labels are padded to 8 columns.

# The firmware's own string functions are replaced by the C library's
HOST_FW_SRCS := $(filter-out firmware/string.c,$(wildcard firmware/*.c))
FW_TEST_SRCS := $(wildcard tests/firmware/test_*.c)
FW_SIM_SRCS := $(wildcard tools/sim/*.c)

define fw_objects
$(1)_OBJS := $$(patsubst firmware/%.c,$$(BUILD)/$(1)/obj/%.o,$$(HOST_FW_SRCS))

$$(BUILD)/$(1)/obj/%.o: firmware/%.c $$(FW_CONFIG)
	@mkdir -p $$(@D)
	@echo "  $(3) $$<"
	$$(Q)$(2) -MMD -MP -c $$< -o $$@

-include $$($(1)_OBJS:.o=.d)

# Objects are inputs of several links: keep them between runs
.SECONDARY: $$($(1)_OBJS)
endef

define fw_programs
$$(BUILD)/$(1)/test_%: tests/firmware/test_%.c $$($(1)_OBJS)
	@mkdir -p $$(@D)
	@echo "  $(4) $$<"
	$$(Q)$(2) -MMD -MP $$< $$($(1)_OBJS) -o $$@ $(3) -lcmocka

$$(BUILD)/$(1)/%: tools/sim/%.c $$($(1)_OBJS)
	@mkdir -p $$(@D)
	@echo "  $(4) $$<"
	$$(Q)$(2) -MMD -MP $$< $$($(1)_OBJS) -o $$@ $(3)

-include $$(patsubst tests/firmware/%.c,$$(BUILD)/$(1)/%.d,$$(FW_TEST_SRCS))
-include $$(patsubst tools/sim/%.c,$$(BUILD)/$(1)/%.d,$$(FW_SIM_SRCS))
endef
