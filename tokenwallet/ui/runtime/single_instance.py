"""Single instance: a second launch asks the first one (over a local socket) to show its window.

The first instance listens with a ``QLocalServer``.  A later launch only needs to know whether
someone listens, and this check runs before the icon is drawn, so on Linux it is a plain
``AF_UNIX`` connect to the socket file Qt creates (no QtNetwork import); elsewhere it uses
``QLocalSocket``.
"""

from __future__ import annotations

import getpass
import os
import sys
import zlib
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot

if TYPE_CHECKING:
    from PySide6.QtNetwork import QLocalSocket

APP_ID = "io.github.tokenwallet.TokenWallet"
_SHOW = b"show\n"


def server_name(home: str) -> str:
    """A socket name per user and home folder, so a --demo or --home instance runs alongside.

    A CRC is enough to tell one user's homes apart (it is no secret) and, unlike hashlib, needs
    no OpenSSL load before the first icon.
    """
    digest = zlib.crc32(f"{getpass.getuser()}:{home}".encode())
    return f"{APP_ID}-{digest:08x}"


def socket_path(name: str) -> str:
    """Where ``QLocalServer.listen(name)`` puts its socket on Unix: Qt's temp folder (``$TMPDIR`` or /tmp)."""
    folder = os.path.normpath(os.environ.get("TMPDIR") or "/tmp")
    return os.path.join(folder, name)


def _ask_unix(name: str, timeout_ms: int) -> bool:
    path = socket_path(name)
    if not os.path.exists(path):
        return False  # no instance has listened here since the last clean exit
    import socket

    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout_ms / 1000)
            sock.connect(path)
            sock.sendall(_SHOW)
    except OSError:  # no socket file, or a stale one nobody listens on
        return False
    return True


def _ask_qt(name: str, timeout_ms: int) -> bool:
    from PySide6.QtNetwork import QLocalSocket

    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(_SHOW)
    socket.flush()
    socket.waitForBytesWritten(timeout_ms)
    socket.disconnectFromServer()
    return True


def ask_running_instance(name: str, timeout_ms: int = 500) -> bool:
    """True when another instance is listening on ``name`` and was asked to show itself."""
    platform = sys.platform  # a plain name, so type checkers do not prune one branch per platform
    if platform.startswith("linux"):
        return _ask_unix(name, timeout_ms)
    return _ask_qt(name, timeout_ms)


class InstanceServer(QObject):
    """Listens for later launches and emits :attr:`show_requested`."""

    show_requested = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        from PySide6.QtNetwork import QLocalServer

        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not self.server.listen(name):
            # A stale socket file after a crash: nobody answered ask_running_instance, so reclaim it.
            QLocalServer.removeServer(name)
            self.server.listen(name)
        self.server.newConnection.connect(self._on_connection)

    @Slot()
    def _on_connection(self) -> None:
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            socket.readyRead.connect(self._on_ready)
            socket.disconnected.connect(socket.deleteLater)
            if socket.bytesAvailable():
                self._on_ready_from(socket)

    @Slot()
    def _on_ready(self) -> None:
        from PySide6.QtNetwork import QLocalSocket

        socket = self.sender()
        if isinstance(socket, QLocalSocket):
            self._on_ready_from(socket)

    def _on_ready_from(self, socket: QLocalSocket) -> None:
        if bytes(socket.readAll().data()).startswith(_SHOW.strip()):
            self.show_requested.emit()

    def close(self) -> None:
        """Stop listening."""
        self.server.close()
