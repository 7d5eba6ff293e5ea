# valgrind memcheck over the host C: the cmocka tests and the simulators,
# rebuilt without sanitizers (memcheck and ASan do not mix) under
# $(BUILD)/vg/ from host.mk's source lists.  Each test binary runs once;
# heapsim on every committed trace and e820sim on every committed map.
# tests/valgrind/run_valgrind.py writes one JUnit testcase per run.

VG_CFLAGS := $(filter-out -fsanitize=% -fno-sanitize-recover=%,$(HOST_CFLAGS))
VG_LDFLAGS := $(filter-out -fsanitize=%,$(HOST_LDFLAGS))
VG_OBJS := $(patsubst firmware/%.c,$(BUILD)/vg/obj/%.o,$(HOST_FW_SRCS))
VG_TESTS := $(patsubst tests/firmware/%.c,$(BUILD)/vg/%,$(wildcard tests/firmware/test_*.c))
VG_SIMS := $(patsubst tools/sim/%.c,$(BUILD)/vg/%,$(wildcard tools/sim/*.c))
VG_CASES = $(VG_TESTS) \
	$(addprefix $(BUILD)/vg/heapsim:,$(wildcard tests/sim/heap/*.trace tests/traces/*.trace)) \
	$(addprefix $(BUILD)/vg/e820sim:,$(wildcard tests/sim/e820/*.e820))

.PHONY: vg-build test-valgrind

vg-build: $(VG_TESTS) $(VG_SIMS)

$(BUILD)/vg/obj/%.o: firmware/%.c $(FW_CONFIG)
	@mkdir -p $(@D)
	@echo "  VGCC    $<"
	$(Q)$(HOST_CC) $(VG_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/vg/test_%: tests/firmware/test_%.c $(VG_OBJS)
	@mkdir -p $(@D)
	@echo "  VGCC    $<"
	$(Q)$(HOST_CC) $(VG_CFLAGS) -MMD -MP $< $(VG_OBJS) -o $@ $(VG_LDFLAGS) -lcmocka

$(BUILD)/vg/%: tools/sim/%.c $(VG_OBJS)
	@mkdir -p $(@D)
	@echo "  VGCC    $<"
	$(Q)$(HOST_CC) $(VG_CFLAGS) -MMD -MP $< $(VG_OBJS) -o $@ $(VG_LDFLAGS)

test-valgrind: $(VG_TESTS) $(VG_SIMS)
	$(Q)mkdir -p $(RESULTS)
	$(Q)$(TEST_PYTHON) tests/valgrind/run_valgrind.py --junit $(RESULTS)/valgrind.xml $(VG_CASES)

TEST_SUITES += test-valgrind

-include $(VG_OBJS:.o=.d) $(VG_TESTS:=.d) $(VG_SIMS:=.d)

.SECONDARY: $(VG_OBJS)
