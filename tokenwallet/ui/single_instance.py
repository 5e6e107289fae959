"""Single instance: a second launch asks the first one (over a QLocalSocket) to show its window."""

from __future__ import annotations

import getpass
import hashlib

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtNetwork import QLocalServer, QLocalSocket

APP_ID = "io.github.tokenwallet.TokenWallet"
_SHOW = b"show\n"


def server_name(home: str) -> str:
    """A socket name per user and home folder, so a --demo or --home instance runs alongside."""
    digest = hashlib.sha256(f"{getpass.getuser()}:{home}".encode()).hexdigest()[:16]
    return f"{APP_ID}-{digest}"


def ask_running_instance(name: str, timeout_ms: int = 500) -> bool:
    """True when another instance is listening on ``name`` and was asked to show itself."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(_SHOW)
    socket.flush()
    socket.waitForBytesWritten(timeout_ms)
    socket.disconnectFromServer()
    return True


class InstanceServer(QObject):
    """Listens for later launches and emits :attr:`show_requested`."""

    show_requested = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
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
        socket = self.sender()
        if isinstance(socket, QLocalSocket):
            self._on_ready_from(socket)

    def _on_ready_from(self, socket: QLocalSocket) -> None:
        if bytes(socket.readAll().data()).startswith(_SHOW.strip()):
            self.show_requested.emit()

    def close(self) -> None:
        """Stop listening."""
        self.server.close()
