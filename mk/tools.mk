# membudget (tools/membudget) and the Python test suite under tests/.

MEMBUDGET = $(PYTHON) tools/membudget
FW_BUDGETS := budgets/firmware.toml

# The firmware's report and check read the link map too (merged strings,
# fill); REPORT_FLAGS adds options, e.g. REPORT_FLAGS="--by symbol"
FW_MEMBUDGET_ARGS = $(BUILD)/firmware.elf -b $(FW_BUDGETS) --map $(BUILD)/firmware.map
REPORT_FLAGS ?=

.PHONY: test-py budget-check report check

# pytest covers the tool and drives the host simulators
test-py: host
	$(Q)mkdir -p $(RESULTS)
	$(Q)$(PYTHON) -m pytest -q -p no:cacheprovider tests --junitxml=$(RESULTS)/pytest.xml

TEST_SUITES += test-py

# The report for people, plus the same as one self-contained HTML page
report: firmware
	$(Q)$(MEMBUDGET) report $(FW_MEMBUDGET_ARGS) $(REPORT_FLAGS)
	$(Q)mkdir -p reports
	$(Q)$(MEMBUDGET) report $(FW_MEMBUDGET_ARGS) --format html -o reports/firmware.html

check: firmware
	$(Q)$(MEMBUDGET) check $(FW_MEMBUDGET_ARGS)

# Part of `make`: the report for people, then the verdict; an exceeded
# budget (exit 1) or bad input (exit 2) fails the build
budget-check: firmware
	$(Q)$(MEMBUDGET) report $(FW_MEMBUDGET_ARGS) $(REPORT_FLAGS)
	$(Q)$(MEMBUDGET) check $(FW_MEMBUDGET_ARGS)
