"""`kb serve`'s gunicorn worker: threads wait for slow clients, one request at a time computes.

Gunicorn's sync worker reads a request in the process that answers it: two clients that send
their headers and part of a body, then stall, hold both workers until the watchdog kills
them. This worker is gunicorn's threaded one with three changes:

- a connection's thread reads the whole request (headers and body) before the request may
  compute, so a stalled client holds a cheap reading thread, not the worker's search;
- a client that sends nothing for `read_timeout` seconds (the client_timeout setting) in the
  middle of a request is taken as gone: its connection closes, or its request is answered 408;
- at most `computing` requests run the app at once (1 by default), as with sync workers,
  and the worker takes a new connection only while it holds fewer than `computing` +
  READ_AHEAD requests (computing, read and waiting for a slot, or accepted and not read
  yet unless its client is what the read waits for); the others wait in the listening
  socket's queue, where whichever worker frees first takes them, as sync workers take
  turns. Search is CPU-bound and the GIL lets one thread compute at a time, so one at a
  time answers each soonest. Taking every waiting connection as soon as it could, before
  its threads had read any, a worker held up to 14 under load while the other could have
  answered them.

nginx in front (deploy/nginx.conf) buffers whole requests before they reach kb at all.
"""

from __future__ import annotations

import io
import select
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker

from kb.web.limits import BODY_STALLED, MAX_REQUEST_BYTES

# Threads per worker that may sit reading slow requests, besides the computing ones.
READING_THREADS = 16

# Requests a worker takes beyond those computing: read and ready to run when a slot frees.
# More would queue behind this worker while another sits idle.
READ_AHEAD = 1

# A body declared larger than the app takes is still read (and dropped) up to this size, so
# the client gets its 413; past it the connection is closed unread.
DRAINED_BYTES = 16 * MAX_REQUEST_BYTES

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class StallLimitedSocket(socket.socket):
    """A connection whose blocking reads give up after `read_timeout` seconds of silence.

    A read that times out returns b"", the end of the stream, so gunicorn closes the
    connection as one the client dropped instead of logging a socket error.
    """

    # Called once, the first time a read finds nothing there: the client is slower than the
    # worker (a fresh connection's request still on its way, a stalled upload).
    __slots__ = ("on_wait",)
    read_timeout = 10.0
    on_wait: Callable[[], None] | None

    def setblocking(self, flag: bool) -> None:
        if flag:
            self.settimeout(self.read_timeout)
        else:
            super().setblocking(False)

    def recv(self, size: int, flags: int = 0) -> bytes:
        self.check_waiting()
        try:
            return super().recv(size, flags)
        except TimeoutError:
            return b""

    def check_waiting(self) -> None:
        """Call `on_wait` (once) when nothing is there to read now."""
        waiting = self.on_wait
        if waiting is not None and not select.select([self], [], [], 0)[0]:
            self.on_wait = None
            waiting()


class PortalWorker(ThreadWorker):  # type: ignore[misc]
    """The threaded worker described above; `computing` is requests run at once."""

    computing = 1
    read_timeout = 10.0
    # Set by gunicorn's load_wsgi (gunicorn ships no type hints, so it is declared here).
    wsgi: WsgiApp

    @classmethod
    def configured(cls, computing: int, read_timeout: float) -> type[PortalWorker]:
        """This worker class computing `computing` requests at once, waiting `read_timeout`
        seconds for a paused client (gunicorn takes a class and makes the workers)."""
        return type(cls.__name__, (cls,), {"computing": computing, "read_timeout": read_timeout})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._socket = type(
            StallLimitedSocket.__name__,
            (StallLimitedSocket,),
            {"__slots__": (), "read_timeout": self.read_timeout},
        )
        self._slots = threading.BoundedSemaphore(self.computing)
        self._running = 0
        self._count_lock = threading.Lock()
        # Connections accepted whose request is being read without waiting for the client
        # (main thread only): each counts as a request this worker has taken.
        self._arriving: set[TConn] = set()
        self._reading = threading.local()

    def load_wsgi(self) -> None:
        super().load_wsgi()
        self.wsgi = self._one_at_a_time(self.wsgi)

    def accept(self, listener: socket.socket) -> None:
        try:
            client, address = listener.accept()
        except (BlockingIOError, ConnectionAbortedError, InterruptedError):
            return  # another worker took it, or the client left first
        self.nr_conns += 1
        limited = self._socket(client.family, client.type, client.proto, client.detach())
        connection = TConn(self.cfg, limited, address, listener.getsockname())
        # Until it is read, or its client makes the worker wait: a slow client must not
        # stop the worker from taking the next connection.
        limited.on_wait = lambda: self.method_queue.defer(self._arrived, connection)
        self._arriving.add(connection)
        self._refresh()
        self.enqueue_req(connection)

    def handle(self, conn: TConn) -> Any:
        self._reading.connection = conn
        try:
            conn.sock.check_waiting()  # gunicorn first waits for the request to start
            return super().handle(conn)
        finally:
            self._reading.connection = None

    def finish_request(self, conn: TConn, future: Any) -> None:
        self._arrived(conn)
        super().finish_request(conn, future)

    def set_accept_enabled(self, enabled: bool) -> None:
        # gunicorn's loop asks whenever its own answer differs from the current one; a busy
        # worker keeps saying no, and a request finishing asks again (see _refresh).
        taken = self._running + len(self._arriving)
        super().set_accept_enabled(enabled and taken < self.computing + READ_AHEAD)

    def _arrived(self, connection: TConn) -> None:
        """On the main thread: the connection's request is read, or it ended, or it is slow."""
        if connection in self._arriving:
            self._arriving.discard(connection)
            self._refresh()

    def _refresh(self) -> None:
        """On the main thread: accept again, or stop, as the counts now say."""
        self.set_accept_enabled(self.nr_conns < self.worker_connections)

    def _one_at_a_time(self, application: WsgiApp) -> WsgiApp:
        def gated(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            buffer_body(environ)
            # Counted from here: a request read and waiting for its turn keeps the worker
            # from accepting more, as a running one does.
            connection = getattr(self._reading, "connection", None)
            if connection is not None:
                connection.sock.on_wait = None  # read: the worker waits on it no more
            self._count(+1, connection)
            try:
                with self._slots:
                    # Flask has built the whole answer when the call returns (static files
                    # are read as they are sent, outside the slot).
                    return application(environ, start_response)
            finally:
                self._count(-1, None)

        return gated

    def _count(self, change: int, arrived: TConn | None) -> None:
        with self._count_lock:
            self._running += change
        if arrived is not None:
            self.method_queue.defer(self._arrived, arrived)
        self.method_queue.defer(self._refresh)


def buffer_body(environ: dict[str, Any], limit: int | None = None) -> None:
    """Read the request body whole into memory before the app sees it.

    At most `limit` bytes plus one are read (the app refuses more as too large, from
    Content-Length or from what it reads); a body that stops arriving is marked
    BODY_STALLED with what came.
    """
    ceiling = (limit or MAX_REQUEST_BYTES) + 1
    declared = environ.get("CONTENT_LENGTH") or ""
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    if not declared.isascii() or not declared.isdigit():
        if not chunked:
            return
        wanted = ceiling
    else:
        wanted = int(declared)
        if wanted == 0:
            return
        if wanted >= ceiling:
            # Refused as too large from Content-Length. Closing a connection with its body
            # unread resets it, and the client, still sending, never sees the 413: read and
            # drop a body of up to DRAINED_BYTES first, so the refusal reaches it.
            if wanted <= DRAINED_BYTES:
                discard(environ["wsgi.input"], wanted)
                environ["wsgi.input"] = io.BytesIO(b"")
            return
    source = environ["wsgi.input"]
    parts: list[bytes] = []
    received = 0
    while received < wanted:
        part = source.read(min(wanted - received, 64 * 1024))
        if not part:
            break
        parts.append(part)
        received += len(part)
    body = b"".join(parts)
    if not chunked and received < wanted:
        environ[BODY_STALLED] = True
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))


def discard(source: Any, size: int) -> None:
    """Read and drop `size` bytes of `source`, or until it ends or stalls."""
    left = size
    while left > 0:
        part = source.read(min(left, 64 * 1024))
        if not part:
            return
        left -= len(part)
