"""BLAKE2b, the hash that identifies log files and de-duplicates their entries.

:mod:`hashlib` loads OpenSSL (``_hashlib``, several milliseconds) when it is imported, although
its ``blake2b`` is CPython's own built-in ``_blake2``.  Commands that run on every agent turn or
status refresh should not pay for a library they never call, so the built-in is taken directly.
"""

from __future__ import annotations

try:
    from _blake2 import blake2b
except ImportError:  # an interpreter built without it: hashlib's is the same algorithm
    from hashlib import blake2b

__all__ = ["blake2b"]
