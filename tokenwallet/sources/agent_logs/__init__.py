"""Readers for the local logs of coding agents (Claude Code, Codex CLI, Gemini CLI).

Pure: they find files, parse bytes and price entries, and never write the ledger; the import
that writes lives in ``tokenwallet.sync.log_import``.
"""
