"""Import every module outside tokenwallet.ui with PySide6 blocked: the core must run without Qt."""

from __future__ import annotations

import importlib
import pkgutil
import sys

sys.modules["PySide6"] = None  # type: ignore[assignment]  # any import of it now fails

import tokenwallet  # noqa: E402

failed = []
for info in pkgutil.walk_packages(tokenwallet.__path__, "tokenwallet."):
    if info.name == "tokenwallet.ui" or info.name.startswith("tokenwallet.ui."):
        continue
    try:
        importlib.import_module(info.name)
    except ImportError as exc:
        failed.append(f"{info.name}: {exc}")
if failed:
    print("These core modules need Qt:\n  " + "\n  ".join(failed))
    sys.exit(1)
print("core imports without PySide6: ok")
