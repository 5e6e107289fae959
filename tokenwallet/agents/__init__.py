"""Coding agents that know the budget: the status line, the guard hook, installers and the MCP server.

The status line and the guard run on every refresh, prompt and tool call of an agent, so their
modules (:mod:`.meter_file`, :mod:`.statusline`, :mod:`.guard`, :mod:`.overrides`, :mod:`.fast`)
import only the standard library: they read the meter snapshot that every ledger change rewrites
(:mod:`tokenwallet.services.meter_snapshot`) instead of opening the ledger.  This package's
``__init__`` must stay empty for the same reason.
"""
