"""membudget: attribute every byte of an ELF image to a component and
enforce per-component memory budgets.

Layers, each importing only itself and the ones before it (a test checks):

  model.py     plain data: sections, symbols, pieces, constants, InputError
  read/        file formats: ELF, DWARF, .eh_frame, link maps, objects,
               budgets files, snapshots
  analysis/    pipeline (read once, attribute), summaries, diff, plan,
               heap budgets, history
  render/      text, JSON, markdown, CSV, HTML, check verdicts, ld scripts
  commands/    one module per subcommand, and the output routine
  cli.py       the only entry point: argparse to commands
"""

__version__ = "0.1.0"
