"""SSE events kept for a while, so a client whose connection dropped during a long wait can
reconnect with `Last-Event-ID` and receive what it missed (progress, then the result).

In memory and per process: a resuming client must reach the same replica (sticky sessions,
as stateful sessions need anyway). Bounded by count, oldest dropped first.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict

from mcp.server.streamable_http import EventCallback, EventId, EventMessage, EventStore, StreamId
from mcp_types import JSONRPCMessage

MAX_EVENTS = 10_000


class MemoryEventStore(EventStore):
    def __init__(self, max_events: int = MAX_EVENTS) -> None:
        self._events: OrderedDict[int, tuple[StreamId, JSONRPCMessage | None]] = OrderedDict()
        self._numbers = itertools.count(1)
        self._max_events = max_events

    async def store_event(self, stream_id: StreamId, message: JSONRPCMessage | None) -> EventId:
        number = next(self._numbers)
        self._events[number] = (stream_id, message)
        while len(self._events) > self._max_events:
            self._events.popitem(last=False)
        return str(number)

    async def replay_events_after(
        self, last_event_id: EventId, send_callback: EventCallback
    ) -> StreamId | None:
        after = int(last_event_id) if last_event_id.isdigit() else 0
        if after not in self._events:
            return None
        stream_id = self._events[after][0]
        for number, (stream, message) in list(self._events.items()):
            if number > after and stream == stream_id and message is not None:
                await send_callback(EventMessage(message, str(number)))
        return stream_id
