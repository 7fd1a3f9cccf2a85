"""Fault injection: a TCP relay a test can switch off in the ways networks fail."""

from __future__ import annotations

import select
import socket
import threading
import time
from typing import Literal

Mode = Literal["forward", "blackhole", "refuse"]


class TcpSwitch:
    """A TCP relay on 127.0.0.1 in front of ``target`` (host, port).

    ``forward`` relays bytes both ways; ``blackhole`` accepts connections and relays nothing,
    on new and already open connections alike (a hung or unreachable server: the client waits
    forever unless it bounds its waits); ``refuse`` closes every new connection at once (a
    server that is down). With no target it can only be a blackhole or refuse.
    """

    def __init__(self, target: tuple[str, int] | None = None, mode: Mode = "forward"):
        self.target = target
        self.mode: Mode = mode if target else "blackhole"
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._open: list[socket.socket] = []
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.mode == "refuse":
                client.close()
                continue
            self._open.append(client)
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        upstream = socket.create_connection(self.target) if self.target else None
        if upstream is not None:
            self._open.append(upstream)
        try:
            while not self._closed.is_set():
                if self.mode != "forward" or upstream is None:
                    time.sleep(0.02)  # hold everything: nothing is read, nothing answered
                    continue
                readable, _, _ = select.select([client, upstream], [], [], 0.05)
                for source in readable:
                    data = source.recv(65536)
                    if not data:
                        return
                    (upstream if source is client else client).sendall(data)
        except OSError:
            return
        finally:
            for sock in (client, upstream):
                if sock is not None:
                    sock.close()

    def close(self) -> None:
        """Stop accepting and drop every open connection."""
        self._closed.set()
        self._listener.close()
        for sock in self._open:
            sock.close()

    def __enter__(self) -> TcpSwitch:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
