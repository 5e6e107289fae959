"""The ``tokenwallet`` command line: every headless capability is a subcommand.

Two front ends share the commands' bodies:

* :mod:`tokenwallet.cli.root`: the click group, with every subcommand, help and error messages;
* :mod:`tokenwallet.cli.quick`: ``status``, ``budget check`` and ``alerts check`` without click,
  for the scripts, prompts and status bars that run them often.  It takes only command lines it
  understands completely and leaves everything else to click.

This package imports nothing itself, so the quick front end does not load click.
"""
