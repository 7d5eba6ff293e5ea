# `make mutants`: apply each committed source mutant (tests/mutants/*.patch)
# to a temporary copy and run the unit and boot tests; fails if any mutant
# survives.  Not part of `make test`: each mutant rebuilds and reruns.

.PHONY: mutants
mutants: test-deps
	$(Q)$(TEST_PYTHON) tests/mutants/run_mutants.py
