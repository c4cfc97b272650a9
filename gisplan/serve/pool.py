"""The worker pool: engine calls off the event loop, one store per worker, a time limit.

Workers are separate processes (``spawn``), each running
:func:`gisplan.serve.engine.init_worker` once, so the store's frames and
indexes stay in memory between requests. A call that overruns its time limit
gets ``{"error": ..., "status": 504}`` and the pool is replaced (the stuck
process is terminated), so one pathological site cannot hold a worker forever.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from . import engine

__all__ = ["EnginePool"]


class EnginePool:
    """A process pool of screening workers.

    Parameters
    ----------
    store_path : str
        The layer store every worker opens.
    workers : int
    timeout_s : float
        Time limit of one call.
    versions_dir : str, optional
        Where workers keep each store version they screen on (see :mod:`gisplan.serve.engine`).
    """

    def __init__(self, store_path: str, workers: int = 2, timeout_s: float = 120.0, versions_dir: str | None = None):
        self.store_path = str(store_path)
        self.versions_dir = versions_dir
        self.workers = max(1, int(workers))
        self.timeout_s = float(timeout_s)
        self._lock = threading.Lock()
        self._executor = self._new()

    def _new(self) -> ProcessPoolExecutor:
        ctx = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx, initializer=engine.init_worker,
                                   initargs=(self.store_path, self.versions_dir))

    def warm(self) -> list[int]:
        """Start every worker now (not on the first request); returns their process ids."""
        futures = [self._executor.submit(engine.ping) for _ in range(self.workers * 2)]
        return sorted({f.result(timeout=120) for f in futures})

    def recycle(self) -> None:
        """Replace the pool (after a timeout or a store import); running calls of the old pool are ended."""
        with self._lock:
            old, self._executor = self._executor, self._new()
        _terminate(old)

    async def call(self, fn, *args, timeout_s: float | None = None) -> dict:
        """Run ``fn(*args)`` in a worker; its dict, or ``{"error", "status"}`` on timeout or a dead worker."""
        limit = self.timeout_s if timeout_s is None else timeout_s
        loop = asyncio.get_running_loop()
        executor = self._executor
        try:
            future = loop.run_in_executor(executor, fn, *args)
            return await asyncio.wait_for(future, timeout=limit)
        except TimeoutError:
            if executor is self._executor:
                self.recycle()
            return {"error": f"the screening took longer than the time limit ({limit:g} s)", "status": 504}
        except BrokenProcessPool:
            if executor is self._executor:
                self.recycle()
            return {"error": "a screening worker stopped (out of memory or killed); try again", "status": 503}

    def close(self) -> None:
        """Stop every worker."""
        _terminate(self._executor)


def _terminate(executor: ProcessPoolExecutor) -> None:
    procs = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        try:
            if p.is_alive():
                p.terminate()
        except (OSError, ValueError, AttributeError):
            pass
    for p in procs:
        try:
            p.join(timeout=5)
            if p.is_alive():
                os.kill(p.pid, 9)
        except (OSError, ValueError, AttributeError, AssertionError):
            pass
