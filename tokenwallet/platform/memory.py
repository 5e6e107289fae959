"""Process memory: handing pages freed at start-up back to the operating system."""

from __future__ import annotations


def release_startup_memory() -> None:
    """Hand the heap pages freed by start-up (import-time garbage) back to the system (glibc only).

    The tray app lives all day; without this, glibc keeps those pages resident. Elsewhere, or if
    the call is not there, nothing happens.
    """
    import platform
    import sys

    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
