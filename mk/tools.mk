# membudget (tools/membudget) and the Python test suite under tests/.

MEMBUDGET = $(PYTHON) tools/membudget
FW_BUDGETS := budgets/firmware.toml

.PHONY: test-py budget-check

# pytest covers the tool and drives the host simulators
test-py: host
	$(Q)mkdir -p $(RESULTS)
	$(Q)$(PYTHON) -m pytest -q -p no:cacheprovider tests --junitxml=$(RESULTS)/pytest.xml

TEST_SUITES += test-py

# Until membudget lands, show binutils' view of the image
budget-check: firmware
	$(Q)size -A $(BUILD)/firmware.elf
