"""Analysis: the pipeline (read once, attribute every byte), summaries and
budgets, diffs of two builds, plans, heap budgets and history."""
