"""uvicorn's h11 protocol with a deadline for each request head (slow-client protection).

uvicorn closes idle keep-alive connections (``timeout_keep_alive``) but any received byte
cancels that timer, so a client that opens a connection and trickles a request head
(slowloris) would hold it forever. Here every connection must deliver a complete request
head within ``head_timeout`` seconds of connecting or of the previous response finishing.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


def timed_protocol(head_timeout: float) -> type[H11Protocol]:
    """An :class:`H11Protocol` subclass enforcing ``head_timeout`` (seconds)."""

    class TimedH11Protocol(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None

        def _arm(self) -> None:
            self._disarm()
            self._head_timer = self.loop.call_later(head_timeout, self._head_expired)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _in_request(self) -> bool:
            return self.cycle is not None and not self.cycle.response_complete

        def _head_expired(self) -> None:
            self._head_timer = None
            if not self._in_request() and not self.transport.is_closing():
                if self.conn.our_state not in {h11.ERROR, h11.CLOSED, h11.MUST_CLOSE}:
                    self.conn.send(h11.ConnectionClosed())
                self.transport.close()

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def handle_events(self) -> None:
            super().handle_events()
            if self._in_request():
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and not self._in_request():
                self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return TimedH11Protocol
