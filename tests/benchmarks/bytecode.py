"""Compile tokenwallet's bytecode before a benchmark times whole processes.

An installed package has its ``.pyc`` files (pip compiles them at install time), so a user's
command never compiles tokenwallet's source.  A checkout run with ``PYTHONDONTWRITEBYTECODE`` set
would instead compile every edited module on every run and time the compiler, not the command.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "tokenwallet"


def compile_package() -> None:
    """Write the package's bytecode, as an install does (``PYTHONDONTWRITEBYTECODE`` lifted for this)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(PACKAGE)], env=env, check=True)
