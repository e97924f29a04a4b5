"""A shaped link for the benchmarks: one bottleneck per direction shared by all connections.

tests/support/link_proxy.py (the one proxy module, also used for cuts and stalls) shapes each
connection on its own and sleeps its delay once per chunk read, which is right for
fault tests but not for measuring: PouchDB opens several connections at once, and they
share one radio link. This subclass models the link as a phone sees it:

- serialisation: each direction has one rate; a segment waits until the link is free
  and then occupies it for ``len / rate`` seconds, whatever connection it belongs to;
- propagation: a fixed one-way delay is added after serialisation (half the RTT each
  way), pipelined, so a long answer pays it once, not per chunk;
- a new connection pays one round trip (the TCP handshake) before its first byte.

Not modelled: loss, TCP slow start, radio wake-up. netem would do them but is missing
from the kernel here (docs/library-notes.md). Profiles: WebPageTest's "Edge" and "3G".
"""

from __future__ import annotations

import queue
import socket
import threading
import time
from dataclasses import dataclass

from tests.support.link_proxy import DOWN, UP, LinkProxy

SEGMENT = 1460  # one Ethernet-sized TCP segment: the unit the link serialises


@dataclass(frozen=True)
class Network:
    name: str
    down_kbps: float  # 0: unlimited
    up_kbps: float
    rtt_ms: float


LOOPBACK = Network("loopback", 0, 0, 0)
THREE_G = Network("3G", 1600, 768, 300)
EDGE = Network("EDGE", 240, 200, 840)
NETWORKS = {n.name.lower(): n for n in (LOOPBACK, THREE_G, EDGE)}


class _Direction:
    """One direction of the bottleneck: when it is next free."""

    def __init__(self) -> None:
        self.bytes_per_s = 0.0
        self.delay_s = 0.0
        self.next_free = 0.0
        self.lock = threading.Lock()

    def schedule(self, size: int) -> float:
        """When a segment of ``size`` bytes that is sent now reaches the other end."""
        with self.lock:
            start = max(time.monotonic(), self.next_free)
            if self.bytes_per_s:
                self.next_free = start + size / self.bytes_per_s
            else:
                self.next_free = start
            return self.next_free + self.delay_s


class _ShapedConnection:
    def __init__(self, link: ShapedLink, client: socket.socket, server: socket.socket) -> None:
        self.link = link
        self.client, self.server = client, server
        self.closed = False
        self.ready_at = time.monotonic() + link.rtt_s()  # the handshake's round trip
        self._finished = 0
        self._lock = threading.Lock()

    def start(self) -> None:
        pairs = ((self.client, self.server, UP), (self.server, self.client, DOWN))
        for src, dst, direction in pairs:
            pipe: queue.Queue = queue.Queue()
            threading.Thread(target=self._read, args=(src, direction, pipe), daemon=True).start()
            threading.Thread(target=self._write, args=(dst, pipe), daemon=True).start()

    def _read(self, src: socket.socket, direction: str, pipe: queue.Queue) -> None:
        shaper = self.link.directions[direction]
        try:
            while True:
                data = src.recv(64 * 1024)
                if not data:
                    break
                handshake = self.ready_at - time.monotonic()
                if handshake > 0:
                    # The sender cannot send before the handshake completes; the link is
                    # free for the other connections meanwhile.
                    time.sleep(handshake)
                for start in range(0, len(data), SEGMENT):
                    piece = data[start : start + SEGMENT]
                    pipe.put((shaper.schedule(len(piece)), piece))
                self.link._count(direction, len(data))
        except OSError:
            pass
        pipe.put(None)

    def _write(self, dst: socket.socket, pipe: queue.Queue) -> None:
        try:
            while (item := pipe.get()) is not None:
                due, piece = item
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)  # the emulated link's delay, not synchronisation
                dst.sendall(piece)
            dst.shutdown(socket.SHUT_WR)  # pass the orderly close on, in order
        except OSError:
            self.cut()
            return
        with self._lock:
            self._finished += 1
            both_closed = self._finished == 2
        if both_closed:  # both directions ended in order: release the sockets
            self.cut()

    def cut(self) -> None:
        if self.closed:
            return
        self.closed = True
        for sock in (self.client, self.server):
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes the reader blocked on it
            except OSError:
                pass  # already shut down by the peer
            sock.close()
        self.link._forget(self)  # type: ignore[arg-type]


class ShapedLink(LinkProxy):
    """A LinkProxy whose shaping is one shared bottleneck per direction (see above)."""

    def __init__(self, upstream_host: str, upstream_port: int, network: Network = LOOPBACK):
        super().__init__(upstream_host, upstream_port)
        self.directions = {UP: _Direction(), DOWN: _Direction()}
        self.network = network
        self.use(network)

    def use(self, network: Network) -> None:
        self.network = network
        for direction, kbps in ((UP, network.up_kbps), (DOWN, network.down_kbps)):
            shaper = self.directions[direction]
            shaper.bytes_per_s = kbps * 1000 / 8
            shaper.delay_s = network.rtt_ms / 2000

    def rtt_s(self) -> float:
        return self.network.rtt_ms / 1000

    def counters(self) -> tuple[int, int]:
        return self.bytes[UP], self.bytes[DOWN]

    def _accept_loop(self, listener: socket.socket) -> None:
        # LinkProxy's loop, with the shared-bottleneck connection instead of its own.
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=10)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = _ShapedConnection(self, client, server)
            with self._lock:
                self.connections_accepted += 1
                self._conns.add(conn)  # type: ignore[arg-type]
            conn.start()
