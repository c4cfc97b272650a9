"""The worker pool: engine calls off the event loop, one store per worker, a time limit.

Workers are separate processes (``spawn``), each running
:func:`gisplan.serve.engine.init_worker` once, so the store's frames and
indexes stay in memory between requests. Each worker talks to the server over
its own pipe, watched by the event loop itself (``add_reader``): no helper
threads in the server, so a request costs two small pipe messages and no
thread hand-offs (the standard ``ProcessPoolExecutor`` needs a feeder and a
manager thread per call, which on a busy 2-core machine cost more than the
screening itself).

A call that overruns its time limit gets ``{"error": ..., "status": 504}`` and
its worker is killed and replaced, so one pathological site cannot hold a
worker forever; the other workers' calls are not touched. A worker that dies
(out of memory, killed) answers ``{"error": ..., "status": 503}`` and is
replaced likewise.
"""

from __future__ import annotations

import asyncio
import collections
import multiprocessing
import os
import signal
import threading

from . import engine

__all__ = ["EnginePool"]


def _serve_calls(conn, store_path: str, versions_dir: str | None) -> None:
    """A worker's life: initialise once, then answer ``(fn, args)`` messages until the pipe closes."""
    engine.init_worker(store_path, versions_dir)
    while True:
        try:
            fn, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = ("ok", fn(*args))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, as an executor would
            reply = ("raise", exc)
        engine.after_call()
        try:
            conn.send(reply)
        except Exception as exc:  # an unpicklable result: say so instead of breaking the pipe
            conn.send(("raise", RuntimeError(f"{type(exc).__name__}: {exc}")))


class _Worker:
    """One worker process and the server's end of its pipe."""

    def __init__(self, ctx, store_path: str, versions_dir: str | None):
        self.conn, child = ctx.Pipe(duplex=True)
        self.process = ctx.Process(target=_serve_calls, args=(child, store_path, versions_dir), daemon=True,
                                   name="gisplan-serve-worker")
        self.process.start()
        child.close()
        self.busy: tuple | None = None  # (event loop, reply future) while a call runs

    def kill(self) -> None:
        """End the process now (a stuck call cannot be interrupted any other way) and close the pipe."""
        try:
            os.kill(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, TypeError):
            pass
        self.conn.close()


class EnginePool:
    """A process pool of screening workers.

    Parameters
    ----------
    store_path : str
        The layer store every worker opens.
    workers : int
        Worker processes (each holds the store in memory and runs one call at a time).
    timeout_s : float
        Time limit of one call.
    versions_dir : str, optional
        Where workers keep each store version they screen on (see :mod:`gisplan.serve.engine`).

    Notes
    -----
    Calls may come from any event loop (one at a time per worker); workers are
    started on first use or by :meth:`warm`.
    """

    def __init__(self, store_path: str, workers: int = 2, timeout_s: float = 120.0, versions_dir: str | None = None):
        self.store_path = str(store_path)
        self.versions_dir = versions_dir
        self.workers = max(1, int(workers))
        self.timeout_s = float(timeout_s)
        self._ctx = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._all: list[_Worker] = []
        self._waiters: collections.deque = collections.deque()
        self._closed = False

    # -- workers -------------------------------------------------------------
    def _start(self) -> None:
        with self._lock:
            missing = self.workers - len(self._all)
            for _ in range(max(0, missing)):
                w = _Worker(self._ctx, self.store_path, self.versions_dir)
                self._all.append(w)
                self._idle.append(w)

    def _release(self, worker: _Worker) -> None:
        """Give ``worker`` to the first live waiter, else back to the idle list."""
        with self._lock:
            while self._waiters:
                loop, fut = self._waiters.popleft()
                if not fut.done():
                    loop.call_soon_threadsafe(_hand_over, fut, worker, self)
                    return
            self._idle.append(worker)

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` and start another in its place; a call running on it answers 503."""
        if worker.busy is not None:
            loop, reply = worker.busy
            worker.busy = None
            loop.remove_reader(worker.conn.fileno())
            if not reply.done():
                reply.set_result(("dead", None))
        worker.kill()
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
            if self._closed:
                return
            fresh = _Worker(self._ctx, self.store_path, self.versions_dir)
            self._all.append(fresh)
        self._release(fresh)

    async def _acquire(self) -> _Worker:
        if len(self._all) < self.workers and not self._closed:
            self._start()
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._closed:
                raise RuntimeError("the worker pool is closed")
            if self._idle:
                return self._idle.pop()
            fut = loop.create_future()
            self._waiters.append((loop, fut))
        try:
            return await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self._release(fut.result())
            raise

    # -- calls ---------------------------------------------------------------
    def warm(self) -> list[int]:
        """Start every worker now (not on the first request) and wait until each answers; their process ids."""
        self._start()
        with self._lock:
            workers, self._idle = list(self._idle), []
        pids = []
        try:
            for worker in workers:
                worker.conn.send((engine.ping, ()))
            for worker in workers:
                if not worker.conn.poll(120):
                    raise RuntimeError("a screening worker did not start within 120 s")
                kind, value = worker.conn.recv()
                pids.append(value)
        finally:
            for worker in workers:
                self._release(worker)
        return sorted(pids)

    def recycle(self) -> None:
        """Replace every worker; calls running on them answer 503 (call this on the event loop of those calls)."""
        for worker in list(self._all):
            self._replace(worker)

    async def call(self, fn, *args, timeout_s: float | None = None, grace_s: float = 0.0):
        """Run ``fn(*args)`` in a worker; its result, or ``{"error", "status"}`` on timeout or a dead worker.

        ``fn`` must be a module-level function (it is sent by name). The time
        limit (``timeout_s``, default the pool's) counts from the call, waiting
        for a free worker included; the worker is killed only ``grace_s`` later
        (room for a function that checks the limit itself before committing).
        """
        limit = self.timeout_s if timeout_s is None else float(timeout_s)
        timed_out = {"error": f"the screening took longer than the time limit ({limit:g} s)", "status": 504}
        loop = asyncio.get_running_loop()
        worker = None
        try:
            async with asyncio.timeout(limit + grace_s):
                worker = await self._acquire()
                reply = loop.create_future()
                worker.busy = (loop, reply)
                loop.add_reader(worker.conn.fileno(), self._on_reply, worker, reply)
                os.set_blocking(worker.conn.fileno(), True)  # uvloop's add_reader makes it non-blocking
                worker.conn.send((fn, args))
                kind, value = await reply
        except TimeoutError:
            if worker is not None and worker.busy is not None:
                self._replace(worker)  # stuck: the only way to stop it
            return timed_out
        except OSError:  # the pipe broke while sending: the worker is gone
            self._replace(worker)
            kind, value = "dead", None
        if kind == "raise":
            raise value
        if kind == "dead":
            return {"error": "a screening worker stopped (out of memory or killed); try again", "status": 503}
        return value

    def _on_reply(self, worker: _Worker, reply: asyncio.Future) -> None:
        """The worker's pipe is readable: take its answer and free it (or replace it when it died)."""
        loop, _ = worker.busy
        loop.remove_reader(worker.conn.fileno())
        worker.busy = None
        try:
            os.set_blocking(worker.conn.fileno(), True)  # the whole message, however it is split
            message = worker.conn.recv()
        except (EOFError, OSError):
            worker.busy = (loop, reply)
            self._replace(worker)
            return
        self._release(worker)
        if not reply.done():  # else the caller gave up (disconnected): the answer is dropped
            reply.set_result(message)

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            self._closed = True
            workers, self._all, self._idle = list(self._all), [], []
        for worker in workers:
            worker.kill()
        for worker in workers:
            worker.process.join(timeout=5)


def _hand_over(fut: asyncio.Future, worker: _Worker, pool: EnginePool) -> None:
    """On the waiter's loop: give it ``worker``, or pass the worker on when the waiter gave up meanwhile."""
    if fut.done():
        pool._release(worker)
    else:
        fut.set_result(worker)
