# valgrind memcheck over the host C: the cmocka tests and the simulators,
# rebuilt without sanitizers (memcheck and ASan do not mix) under
# $(BUILD)/vg/ by mk/hostc.mk's pattern.  Each test binary runs once;
# heapsim on every committed trace and e820sim on every committed map.
# tests/valgrind/run_valgrind.py writes one JUnit testcase per run.

VG_CFLAGS := $(filter-out -fsanitize=% -fno-sanitize-recover=%,$(HOST_CFLAGS))
VG_LDFLAGS := $(filter-out -fsanitize=%,$(HOST_LDFLAGS))
$(eval $(call fw_objects,vg,$(HOST_CC) $(VG_CFLAGS),VGCC   ))
$(eval $(call fw_programs,vg,$(HOST_CC) $(VG_CFLAGS),$(VG_LDFLAGS),VGCC   ))
VG_TESTS := $(patsubst tests/firmware/%.c,$(BUILD)/vg/%,$(FW_TEST_SRCS))
VG_SIMS := $(patsubst tools/sim/%.c,$(BUILD)/vg/%,$(FW_SIM_SRCS))
VG_CASES = $(VG_TESTS) \
	$(addprefix $(BUILD)/vg/heapsim:,$(wildcard tests/sim/heap/*.trace tests/traces/*.trace)) \
	$(addprefix $(BUILD)/vg/e820sim:,$(wildcard tests/sim/e820/*.e820))

.PHONY: vg-build test-valgrind

vg-build: $(VG_TESTS) $(VG_SIMS)

test-valgrind: $(VG_TESTS) $(VG_SIMS)
	$(Q)mkdir -p $(RESULTS)
	$(Q)$(TEST_PYTHON) tests/valgrind/run_valgrind.py --junit $(RESULTS)/valgrind.xml $(VG_CASES)

TEST_SUITES += test-valgrind
