"""membudget: attribute every byte of an ELF image to a component and
enforce per-component memory budgets.

Pipeline: elf/dwarf/mapfile (read) -> attribute -> budgets -> summary ->
render_* / check (print).  cli.main() is the command line.
"""

__version__ = "0.1.0"
