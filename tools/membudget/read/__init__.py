"""Readers: ELF, DWARF, .eh_frame, link maps, object files, budgets files and
snapshots, each into model objects.  A reader raises model.InputError for
bad input and never prints."""
