"""Shared fixtures: a fixed clock, a private home, a ledger; Qt offscreen unless in a desktop session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

IN_DESKTOP_SESSION = bool(os.environ.get("TOKENWALLET_DESKTOP_SESSION"))
if not IN_DESKTOP_SESSION:
    # Without this Qt picks xcb, finds no display and aborts the whole test process.
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.pop("TOKENWALLET_HOME", None)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Desktop tests need the real session that .ci/desktop-session provides."""
    if IN_DESKTOP_SESSION:
        return
    skip = pytest.mark.skip(reason="needs the desktop session: bash .ci/desktop-session python -m pytest")
    for item in items:
        if "desktop" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _qt_left_clean(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test that leaves a window or dialog open, or garbage collection switched off.

    Each UI test builds and closes its own windows (GitFourchette's conftest does the same): a
    window left open would receive the next test's events and hide its mistakes.  The operation
    bridge is the one owner of garbage collection and must give it back when it is shut down.
    """
    import gc

    yield
    if "qapp" not in request.fixturenames:
        return
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    left = [w for w in QApplication.topLevelWidgets() if w.isVisible()] if app is not None else []
    for widget in left:
        widget.close()
    collecting = gc.isenabled()
    gc.enable()
    problems = [f"{type(w).__name__} {w.windowTitle()!r} left open" for w in left]
    if not collecting:
        problems.append("garbage collection left switched off (an OperationBridge was not shut down)")
    if problems:
        pytest.fail("; ".join(problems), pytrace=False)


@pytest.fixture
def now() -> datetime:
    """The fixed 'now' most tests use: 2026-11-15 12:00 UTC."""
    return datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock(now: datetime):  # type: ignore[no-untyped-def]
    """A FixedClock at :func:`now`."""
    from tokenwallet.domain.clock import FixedClock

    return FixedClock(now)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty tokenwallet home folder."""
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def app_context(home: Path, clock):  # type: ignore[no-untyped-def]
    """An AppContext under :func:`home` with the fixed clock."""
    from tokenwallet.app import AppContext

    ctx = AppContext.create(str(home), clock=clock)
    yield ctx
    ctx.shutdown()  # the HTTP client too, when a test polled


@pytest.fixture
def db(tmp_path: Path) -> Iterator[object]:
    """A file-backed ledger with the full schema."""
    from tokenwallet.ledger.db import open_ledger

    database = open_ledger(tmp_path / "ledger.db")
    yield database
    database.close()


def _memory_keyring_backend():  # type: ignore[no-untyped-def]
    """A keyring backend that keeps passwords in a dict (priority 1: tokenwallet accepts it)."""
    from keyring.backend import KeyringBackend
    from keyring.errors import PasswordDeleteError

    class MemoryKeyring(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.passwords: dict[tuple[str, str], str] = {}

        def set_password(self, service: str, username: str, password: str) -> None:
            self.passwords[(service, username)] = password

        def get_password(self, service: str, username: str) -> str | None:
            return self.passwords.get((service, username))

        def delete_password(self, service: str, username: str) -> None:
            if (service, username) not in self.passwords:
                raise PasswordDeleteError("not found")
            del self.passwords[(service, username)]

    return MemoryKeyring()


@pytest.fixture(autouse=True)
def memory_keyring(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Every test outside the desktop session gets an in-memory keyring, so none touches the real one."""
    if "desktop" in request.keywords:
        yield None
        return
    import keyring

    previous = keyring.get_keyring()
    backend = _memory_keyring_backend()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def emulator(clock):  # type: ignore[no-untyped-def]
    """The provider emulator on 127.0.0.1, driven by the fixed test clock."""
    from tokenwallet.emulator import start_emulator

    running = start_emulator(clock=clock)
    yield running
    running.stop()
