"""Commands: each turns plain arguments into one output and an exit status.

One module per subcommand (report, check, snapshot, diff, plan, lds,
history).  Each run() takes paths and options, not an argparse namespace;
it reads its inputs through the pipeline, renders, and writes through
output.write() last.  cli.py is the only caller.
"""
