"""A loopback TCP proxy that behaves like a bad uplink: cuts, stalls, refusals, delay, bandwidth.

``tc netem`` is missing from this kernel (docs/library-notes.md, "Network emulation"), so
the faults come from here, which also runs unchanged on any developer's machine. One thread
accepts; each connection gets one pump thread per direction, so a one-way delay and a
rate limit apply to each direction on its own, as on a real 2G/EDGE link where the
uplink and the downlink differ.

    with LinkProxy("127.0.0.1", upstream_port) as link:
        url = f"http://127.0.0.1:{link.port}/db"
        link.cut_after(5000, partition=True)   # the link dies after 5,000 more bytes
        ...
        link.heal()

Directions are named from the client's side: ``"up"`` is client -> server, ``"down"``
server -> client. Byte counters are per direction and for the proxy's whole life.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from dataclasses import dataclass

UP, DOWN = "up", "down"
CHUNK = 16 * 1024


@dataclass
class Shaping:
    """One direction's link: a fixed one-way delay and a rate limit (0: unlimited)."""

    delay_s: float = 0.0
    bytes_per_s: float = 0.0


def _reset(sock: socket.socket) -> None:
    """Close with an RST, as a link that drops does (no orderly FIN reaches the peer).

    ``shutdown(SHUT_RD)`` first: closing a socket another thread is blocked reading does
    not wake that thread on Linux, and the RST would wait for its recv to return.
    """
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RD)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class _Connection:
    def __init__(self, proxy: LinkProxy, client: socket.socket, server: socket.socket) -> None:
        self.proxy = proxy
        self.client, self.server = client, server
        self.closed = False
        self._pumps_done = 0

    def start(self) -> None:
        for src, dst, direction in (
            (self.client, self.server, UP),
            (self.server, self.client, DOWN),
        ):
            threading.Thread(target=self._pump, args=(src, dst, direction), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, direction: str) -> None:
        try:
            while not self.closed:
                data = src.recv(CHUNK)
                if not data or self.closed:
                    if not self.closed:
                        dst.shutdown(socket.SHUT_WR)  # pass the orderly close on
                    return
                self._forward(dst, direction, data, time.monotonic())
        except OSError:
            self.cut()
        finally:
            self._pump_done()

    def _pump_done(self) -> None:
        with self.proxy._lock:
            self._pumps_done += 1
            last = self._pumps_done == 2
        if last and not self.closed:  # both directions ended in order: close quietly
            self.closed = True
            self.client.close()
            self.server.close()
            self.proxy._forget(self)

    def _forward(self, dst: socket.socket, direction: str, data: bytes, received: float) -> None:
        proxy = self.proxy
        shaping = proxy.shaping[direction]
        if shaping.delay_s:
            # Latency, not a queue: the delay counts from when the bytes arrived.
            time.sleep(max(0.0, received + shaping.delay_s - time.monotonic()))
        while data:
            proxy._wait_while_stalled(self)
            if self.closed:
                return
            allowed = proxy._take_budget(direction, len(data))
            piece, data = data[:allowed], data[allowed:]
            if shaping.bytes_per_s:
                # Send in small slices so the rate is smooth at the scale of a round trip.
                for start in range(0, len(piece), 512):
                    dst.sendall(piece[start : start + 512])
                    time.sleep(len(piece[start : start + 512]) / shaping.bytes_per_s)
            elif piece:
                dst.sendall(piece)
            proxy._count(direction, len(piece))
            if data:  # the budget ran out inside this chunk: the link fails here
                proxy._budget_spent(self)
                return

    def cut(self) -> None:
        if self.closed:
            return
        self.closed = True
        _reset(self.client)
        _reset(self.server)
        self.proxy._forget(self)


class LinkProxy:
    """Listen on a free loopback port and forward to ``upstream``, with faults on demand."""

    def __init__(self, upstream_host: str, upstream_port: int, host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.host = host
        self.port = 0
        self.shaping = {UP: Shaping(), DOWN: Shaping()}
        self.bytes = {UP: 0, DOWN: 0}
        self.connections_accepted = 0
        self._lock = threading.Condition()
        self._conns: set[_Connection] = set()
        self._listener: socket.socket | None = None
        self._budget: dict[str, int | None] = {UP: None, DOWN: None}
        self._partition_when_spent = False
        self._stalled = False
        self._stopped = False

    # life cycle

    def start(self) -> LinkProxy:
        self._listen()
        return self

    def __enter__(self) -> LinkProxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            self._stalled = False
            self._lock.notify_all()
        self._close_listener()
        self.drop_connections()

    def _listen(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))  # port 0 the first time; the same port after
            sock.listen(64)
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        self._listener = sock
        threading.Thread(target=self._accept_loop, args=(sock,), daemon=True).start()

    def _close_listener(self) -> None:
        with self._lock:
            sock, self._listener = self._listener, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
            except OSError:
                pass
            sock.close()

    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed: refusing, or stopped
            try:
                server = socket.create_connection(self.upstream, timeout=10)
                server.settimeout(None)
            except OSError:
                _reset(client)
                continue
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = _Connection(self, client, server)
            with self._lock:
                self.connections_accepted += 1
                self._conns.add(conn)
            conn.start()

    # faults

    def refuse(self) -> None:
        """New connections are refused (ECONNREFUSED); open ones carry on."""
        self._close_listener()

    def accept(self) -> None:
        """Accept connections again, on the same port."""
        with self._lock:
            if self._listener is not None or self._stopped:
                return
            self._listen()

    def drop_connections(self) -> None:
        """Cut every open connection now (an RST to both ends)."""
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            conn.cut()

    def partition(self) -> None:
        """The link is down: open connections are cut and new ones refused."""
        self.refuse()
        self.drop_connections()

    def cut_after(self, nbytes: int, direction: str | None = None, partition: bool = False) -> None:
        """Cut the connection carrying the byte that goes past ``nbytes`` more bytes.

        ``direction`` None counts both directions together. With ``partition`` the
        link then stays down (refusing) until :meth:`heal`, so a client's immediate
        retry cannot slip through.
        """
        with self._lock:
            if direction is None:
                self._budget = {"both": nbytes}  # type: ignore[dict-item]
            else:
                self._budget = {direction: nbytes}
            self._partition_when_spent = partition

    def stall(self) -> None:
        """Hold every byte in flight without closing anything (a link that hangs)."""
        with self._lock:
            self._stalled = True

    def heal(self) -> None:
        """Undo every fault: no budget, no stall, accepting connections."""
        with self._lock:
            self._budget = {UP: None, DOWN: None}
            self._partition_when_spent = False
            self._stalled = False
            self._lock.notify_all()
        self.accept()

    def shape(self, direction: str, delay_ms: float = 0, kbit_per_s: float = 0) -> None:
        """One-way delay and bandwidth for one direction (e.g. 2G: 1300 ms RTT, 35/32 kbps)."""
        self.shaping[direction] = Shaping(delay_ms / 1000, kbit_per_s * 1000 / 8)

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._conns)

    # called by the pumps

    def _take_budget(self, direction: str, wanted: int) -> int:
        with self._lock:
            key = "both" if "both" in self._budget else direction
            left = self._budget.get(key)
            if left is None:
                return wanted
            allowed = min(left, wanted)
            self._budget[key] = left - allowed
            return allowed

    def _budget_spent(self, conn: _Connection) -> None:
        with self._lock:
            partition = self._partition_when_spent
            self._budget = {UP: None, DOWN: None}
        if partition:
            self.partition()
        else:
            conn.cut()

    def _wait_while_stalled(self, conn: _Connection) -> None:
        with self._lock:
            self._lock.wait_for(lambda: not self._stalled or conn.closed or self._stopped)

    def _count(self, direction: str, nbytes: int) -> None:
        with self._lock:
            self.bytes[direction] += nbytes

    def _forget(self, conn: _Connection) -> None:
        with self._lock:
            self._conns.discard(conn)
            self._lock.notify_all()
