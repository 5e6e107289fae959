"""`tokenwallet allowance` commands (not written yet)."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
