"""Single instance: the first launch listens before its icon is shown; a later one asks it to show its dashboard.

On Unix the instance owns an exclusive ``flock`` on ``instance.lock`` in ``AppPaths.runtime_dir``
for as long as it runs, and listens on ``instance.sock`` beside it.  Whoever holds the lock is the
running instance, so a socket file found by the lock holder is stale (its owner died; the kernel
released its lock) and is replaced, while a later launch that cannot take the lock never touches
the file: it connects and sends ``show``.  Both steps are plain syscalls taken before the first
icon is drawn (no QtNetwork), so a second launch at any moment finds the first one.

Windows has no socket files: there a named pipe (``QLocalServer``) is asked first, then listened on.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSocketNotifier, Signal, Slot

if TYPE_CHECKING:
    import socket

    from PySide6.QtNetwork import QLocalServer, QLocalSocket

APP_ID = "io.github.tokenwallet.TokenWallet"
SOCKET_NAME = "instance.sock"
LOCK_NAME = "instance.lock"
SHOW = b"show\n"
ASK_FOR_MS = 3000  # how long a later launch waits for a starting or stopping instance to answer
_MAX_SOCKET_PATH = 100  # AF_UNIX paths are limited to 104-108 bytes, depending on the OS


@dataclass(frozen=True, slots=True)
class AlreadyRunning:
    """Another instance runs for this home and was asked to show its dashboard."""


@dataclass(frozen=True, slots=True)
class NotAnswering:
    """Another instance holds this home but did not answer in time."""

    where: str


@dataclass
class Listening:
    """This process is the instance: it holds the lock and listens (Unix), or owns the pipe (Windows)."""

    sock: socket.socket | None = None
    lock_fd: int | None = None
    path: str = ""
    pipe: QLocalServer | None = None

    def __post_init__(self) -> None:
        if hasattr(os, "register_at_fork") and (self.sock is not None or self.lock_fd is not None):
            # A forked child (the log importer's workers) must not keep the lock or accept launches.
            os.register_at_fork(after_in_child=self._forget_in_child)

    def _forget_in_child(self) -> None:
        """In a forked child: close the inherited descriptors, leaving the parent's socket and lock alone."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self.lock_fd is not None:
            os.close(self.lock_fd)
            self.lock_fd = None

    def close(self) -> None:
        """Stop listening, remove the socket file (only the lock holder ever does) and release the lock."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None
            if self.path and not self.path.startswith("\0"):
                try:
                    os.unlink(self.path)
                except FileNotFoundError:
                    pass
        if self.lock_fd is not None:
            os.close(self.lock_fd)  # releases the flock; the lock file stays for the next start
            self.lock_fd = None
        if self.pipe is not None:
            self.pipe.close()
            self.pipe = None


Claim = Listening | AlreadyRunning | NotAnswering


def socket_path(runtime_dir: Path) -> str:
    """Where the instance for ``runtime_dir`` listens.

    ``runtime_dir/instance.sock`` when that fits an AF_UNIX address; for a very deep home folder,
    a name in Linux's abstract namespace (no file at all) or, elsewhere, in the temporary folder.
    """
    path = str(runtime_dir / SOCKET_NAME)
    if len(os.fsencode(path)) <= _MAX_SOCKET_PATH:
        return path
    import zlib

    tag = f"tokenwallet-{os.getuid() if hasattr(os, 'getuid') else 0}-{zlib.crc32(os.fsencode(path)):08x}"
    platform = sys.platform  # a plain name, so type checkers do not prune one branch per platform
    if platform.startswith("linux"):
        return "\0" + tag
    import tempfile

    return os.path.join(tempfile.gettempdir(), tag + ".sock")


def claim_instance(runtime_dir: Path, *, ask_for_ms: int = ASK_FOR_MS) -> Claim:
    """Become the instance for ``runtime_dir``, or ask the running one to show its dashboard."""
    if sys.platform.startswith("win"):
        return _claim_pipe(str(runtime_dir), ask_for_ms)
    import fcntl

    from tokenwallet.files import make_private_dirs

    make_private_dirs(runtime_dir)  # the folder and any parent made for it are the user's alone
    path = socket_path(runtime_dir)
    lock_fd = os.open(runtime_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    deadline = time.monotonic() + ask_for_ms / 1000
    while True:
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if _ask(path):
                os.close(lock_fd)
                return AlreadyRunning()
            if time.monotonic() >= deadline:
                os.close(lock_fd)
                return NotAnswering(path)
            time.sleep(0.02)  # the holder is between taking the lock and listening, or stopping
            continue
        try:
            return Listening(sock=_listen(path), lock_fd=lock_fd, path=path)
        except OSError:
            os.close(lock_fd)
            raise


def _listen(path: str) -> socket.socket:
    import socket

    if not path.startswith("\0"):
        try:
            os.unlink(path)  # we hold the lock: a file here is a dead instance's
        except FileNotFoundError:
            pass
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        old_mask = os.umask(0o077)  # the socket file is the user's alone
        try:
            sock.bind(path)
        finally:
            os.umask(old_mask)
        sock.listen(8)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def _ask(path: str, timeout_ms: int = 500) -> bool:
    """True when an instance listens at ``path`` and was sent ``show``."""
    import socket

    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout_ms / 1000)
            sock.connect(path)
            sock.sendall(SHOW)
    except OSError:  # nobody listens (yet, or any more)
        return False
    return True


def pipe_name(home: str) -> str:
    """A pipe name per user and home folder (Windows)."""
    import getpass
    import zlib

    return f"{APP_ID}-{zlib.crc32(f'{getpass.getuser()}:{home}'.encode()):08x}"


def _claim_pipe(home: str, timeout_ms: int) -> Claim:
    from PySide6.QtNetwork import QLocalServer, QLocalSocket

    name = pipe_name(home)
    asker = QLocalSocket()
    asker.connectToServer(name)
    if asker.waitForConnected(min(timeout_ms, 500)):
        asker.write(SHOW)
        asker.flush()
        asker.waitForBytesWritten(timeout_ms)
        asker.disconnectFromServer()
        return AlreadyRunning()
    server = QLocalServer()
    server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
    if not server.listen(name):
        return NotAnswering(name)
    return Listening(pipe=server)


class InstanceServer(QObject):
    """Turns later launches' requests into :attr:`show_requested` (wired up once the app is built)."""

    show_requested = Signal()

    def __init__(self, listening: Listening, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.listening = listening
        self._readers: dict[int, tuple[socket.socket, QSocketNotifier]] = {}
        self._notifier: QSocketNotifier | None = None
        if listening.sock is not None:
            self._notifier = QSocketNotifier(listening.sock.fileno(), QSocketNotifier.Type.Read, self)
            # Launches that came while the app was starting wait in the backlog: the notifier
            # reports them on the event loop's next turn, once show_requested is connected.
            self._notifier.activated.connect(self._accept)
        elif listening.pipe is not None:
            listening.pipe.setParent(self)
            listening.pipe.newConnection.connect(self._on_pipe_connection)

    @Slot()
    def _accept(self) -> None:
        sock = self.listening.sock
        if sock is None:
            return
        while True:
            try:
                conn, _ = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            conn.setblocking(False)
            notifier = QSocketNotifier(conn.fileno(), QSocketNotifier.Type.Read, self)
            self._readers[conn.fileno()] = (conn, notifier)
            notifier.activated.connect(self._read)
            self._read_from(conn)

    @Slot()
    def _read(self) -> None:
        notifier = self.sender()
        for conn, known in list(self._readers.values()):
            if known is notifier:
                self._read_from(conn)
                return

    def _read_from(self, conn: socket.socket) -> None:
        try:
            data = conn.recv(64)
        except BlockingIOError:
            return  # nothing yet: the notifier calls again when it arrives
        except OSError:
            data = b""
        if data.startswith(SHOW.strip()):
            self.show_requested.emit()
        self._drop(conn)

    def _drop(self, conn: socket.socket) -> None:
        entry = self._readers.pop(conn.fileno(), None)
        if entry is not None:
            entry[1].setEnabled(False)
            entry[1].deleteLater()
        conn.close()

    @Slot()
    def _on_pipe_connection(self) -> None:
        pipe = self.listening.pipe
        while pipe is not None and pipe.hasPendingConnections():
            peer = pipe.nextPendingConnection()
            peer.readyRead.connect(self._on_pipe_ready)
            peer.disconnected.connect(peer.deleteLater)
            if peer.bytesAvailable():
                self._pipe_read(peer)

    @Slot()
    def _on_pipe_ready(self) -> None:
        from PySide6.QtNetwork import QLocalSocket

        peer = self.sender()
        if isinstance(peer, QLocalSocket):
            self._pipe_read(peer)

    def _pipe_read(self, peer: QLocalSocket) -> None:
        if bytes(peer.readAll().data()).startswith(SHOW.strip()):
            self.show_requested.emit()

    def close(self) -> None:
        """Stop listening and give up the instance (socket file removed, lock released)."""
        if self._notifier is not None:
            self._notifier.setEnabled(False)
        for conn, notifier in list(self._readers.values()):
            notifier.setEnabled(False)
            conn.close()
        self._readers.clear()
        self.listening.close()
