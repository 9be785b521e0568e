"""Bounds uvicorn's HTTP/1.1 protocol does not set: how long a client may take to send
its request, and how many connections may be open at once.

uvicorn closes idle keep-alive connections, but a connection that sends half a
request line -- or headers and then half a body -- and stalls is held forever. A few
hundred of those exhaust the server. Here every request must arrive whole within
`read_timeout`, and connections beyond `max_connections` are closed on arrival.
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


class GuardedH11Protocol(H11Protocol):
    read_timeout: float = 10.0
    max_connections: int = 256
    _read_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            transport.close()
            return
        self._arm()  # the first request must arrive within read_timeout too

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._request_incomplete():
            self._arm()
        else:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _request_incomplete(self) -> bool:
        if self.conn.their_state is h11.SEND_BODY:
            return True
        buffered, _closed = self.conn.trailing_data
        return self.conn.their_state is h11.IDLE and bool(buffered)

    def _arm(self) -> None:
        if self._read_deadline is None:
            self._read_deadline = self.loop.call_later(self.read_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _too_slow(self) -> None:
        self._read_deadline = None
        # No request yet on a fresh connection, or one still arriving: give the slot back.
        never_asked = self.cycle is None  # pyright: ignore[reportUnnecessaryComparison]  (uvicorn types it non-None)
        if never_asked or self._request_incomplete():
            self.transport.close()


def guarded_protocol(read_timeout: float, max_connections: int) -> type[GuardedH11Protocol]:
    """A protocol class with these bounds (uvicorn takes a class, not an instance)."""
    return type(
        "ConfiguredH11Protocol",
        (GuardedH11Protocol,),
        {"read_timeout": read_timeout, "max_connections": max_connections},
    )
