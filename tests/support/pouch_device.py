"""Drive an unmodified PouchDB "device" (tests/js/device.js) from Python tests.

A device is a LevelDB-backed PouchDB kept in a state directory, so its data
survives between runs like a phone's. Each run feeds device.js a list of ops
and reads back one JSON event per line; ``run`` collects them all, ``start``
lets a test react to events (the first replicated batch, a live pull being up)
while the device is still running.
"""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

JS_DIR = Path(__file__).resolve().parents[1] / "js"
NODE_MODULES = JS_DIR / "node_modules"
DEVICE_JS = JS_DIR / "device.js"

RUN_TIMEOUT = 120.0
EVENT_TIMEOUT = 30.0


class DeviceError(RuntimeError):
    """device.js failed: non-zero exit, an "error" event, no "done" line, or a timeout."""

    def __init__(self, message: str, lines: list[dict], stderr: str) -> None:
        super().__init__(f"{message}\n--- events: {lines[-5:]}\n--- stderr:\n{stderr[-4000:]}")
        self.lines = lines
        self.stderr = stderr


def require_node_modules() -> None:
    """Fail with the fix in the message when the Node test clients are not installed."""
    if not (NODE_MODULES / "pouchdb").is_dir() or not (NODE_MODULES / "pouchdb-server").is_dir():
        raise RuntimeError(
            f"PouchDB test clients are missing from {NODE_MODULES}: run `make test` "
            "(it runs `npm ci --prefix tests/js`), or `make node` to install only them."
        )
    if shutil.which("node") is None:
        raise RuntimeError("`node` is not on PATH: the PouchDB device tests need Node.js 20+.")


def attachment_text(doc_id: str, size: int) -> str:
    """The body bulk_create gives photo.txt: "<id>;" repeated, cut to ``size`` bytes."""
    unit = f"{doc_id};"
    return (unit * (size // len(unit) + 1))[:size]


def results(lines: list[dict]) -> list[dict]:
    """The per-op result lines, in op order."""
    return [line for line in lines if line.get("event") == "result"]


class RunningDevice:
    """A device.js process in flight; iterate it (or ``wait_for``) to read its events."""

    def __init__(self, proc: subprocess.Popen[str], event_timeout: float) -> None:
        self.proc = proc
        self.event_timeout = event_timeout
        self.lines: list[dict] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._stderr: list[str] = []
        self._eof = False
        # Reader threads keep both pipes drained, so node never blocks on a
        # full pipe and each read below can have its own timeout.
        threading.Thread(target=self._pump_stdout, daemon=True).start()
        self._stderr_thread = threading.Thread(target=self._pump_stderr, daemon=True)
        self._stderr_thread.start()

    def _pump_stdout(self) -> None:
        assert self.proc.stdout is not None
        with self.proc.stdout:
            for line in self.proc.stdout:
                self._queue.put(line)
        self._queue.put(None)

    def _pump_stderr(self) -> None:
        assert self.proc.stderr is not None
        with self.proc.stderr:
            for line in self.proc.stderr:
                self._stderr.append(line)

    @property
    def stderr(self) -> str:
        return "".join(self._stderr)

    def _fail(self, message: str) -> DeviceError:
        self.kill()
        self._stderr_thread.join(timeout=5)
        return DeviceError(message, self.lines, self.stderr)

    def events(self, timeout: float | None = None) -> Iterator[dict]:
        """Yield events as they arrive; each read waits at most ``timeout`` seconds."""
        timeout = self.event_timeout if timeout is None else timeout
        while not self._eof:
            try:
                raw = self._queue.get(timeout=timeout)
            except queue.Empty:
                raise self._fail(f"no event from device.js within {timeout} s") from None
            if raw is None:
                self._eof = True
                return
            try:
                event = json.loads(raw)
            except json.JSONDecodeError:
                raise self._fail(f"device.js wrote a line that is not JSON: {raw!r}") from None
            self.lines.append(event)
            if event.get("event") == "error":
                raise self._fail(f"device.js failed: {event.get('message')}")
            yield event

    __iter__ = events

    def wait_for(self, event: str, timeout: float | None = None, **fields: Any) -> dict:
        """Read until an event named ``event`` whose given fields match, and return it."""
        for line in self.events(timeout):
            if line.get("event") == event and all(line.get(k) == v for k, v in fields.items()):
                return line
        raise self._fail(f"device.js ended without a {event!r} event matching {fields}")

    def wait(self, timeout: float = RUN_TIMEOUT) -> list[dict]:
        """Read the remaining events, wait for exit, and return every event of the run."""
        deadline = time.monotonic() + timeout
        for _ in self.events(timeout):
            if time.monotonic() > deadline:
                raise self._fail(f"device.js still running after {timeout} s")
        try:
            returncode = self.proc.wait(timeout=max(deadline - time.monotonic(), 1.0))
        except subprocess.TimeoutExpired:
            raise self._fail(f"device.js did not exit within {timeout} s") from None
        self._stderr_thread.join(timeout=5)
        if returncode != 0:
            raise DeviceError(f"device.js exited with {returncode}", self.lines, self.stderr)
        if not self.lines or self.lines[-1].get("event") != "done":
            raise DeviceError("device.js ended without a done line", self.lines, self.stderr)
        return self.lines

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def __enter__(self) -> RunningDevice:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()


class PouchDevice:
    """A PouchDB database in ``state_dir``, driven by lists of ops (see tests/js/device.js)."""

    script = DEVICE_JS  # the Node script that runs the ops

    def __init__(self, state_dir: str | Path) -> None:
        require_node_modules()
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)

    def start(self, ops: list[dict], event_timeout: float = EVENT_TIMEOUT) -> RunningDevice:
        """Start running ``ops``; read events from the returned RunningDevice."""
        proc = subprocess.Popen(
            ["node", str(self.script), str(self.state_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(ops))
        proc.stdin.close()
        return RunningDevice(proc, event_timeout)

    def run(self, ops: list[dict], timeout: float = RUN_TIMEOUT) -> list[dict]:
        """Run ``ops`` to the end and return every event line; raise DeviceError on failure."""
        with self.start(ops, event_timeout=timeout) as running:
            return running.wait(timeout)

    def result(self, op: dict, timeout: float = RUN_TIMEOUT) -> dict:
        """Run one op and return its result line."""
        (line,) = results(self.run([op], timeout))
        return line
