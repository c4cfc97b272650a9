"""The serve worker pool and the worker-side commit: time limits, dead workers, cancelled calls, no cross-talk."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from _serve_helpers import REPO, Server, local_client
from gisplan.serve import engine
from gisplan.serve.pool import EnginePool
from gisplan.serve.record import Record

SITES = [p for p in sorted((REPO / "data" / "sites").glob("*.geojson")) if p.stem != "batch_sites"]


def run(coro, loop_factory=None):
    """In its own thread and loop (Playwright's sync API may hold this thread's event loop)."""
    def go():
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            return runner.run(coro)

    with ThreadPoolExecutor(1) as ex:
        return ex.submit(go).result(timeout=300)


def _uvloop():
    uvloop = pytest.importorskip("uvloop")
    return uvloop.new_event_loop


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_large_messages_both_ways_on_either_event_loop(pool, loop):
    """Messages larger than a pipe buffer arrive whole (uvloop makes watched pipes non-blocking)."""
    factory = _uvloop() if loop == "uvloop" else None
    big = bytes(range(256)) * 40_000  # 10 MB

    async def many():
        return await asyncio.gather(*(pool.call(bytes, big) for _ in range(6)), pool.call(len, big))

    out = run(many(), factory)
    assert out[:6] == [big] * 6 and out[6] == len(big)


@pytest.fixture
def pool():
    p = EnginePool("/nonexistent/store.gpkg", workers=2, timeout_s=60)
    p.warm()
    yield p
    p.close()


def test_a_stuck_call_is_ended_and_only_its_worker_replaced(pool):
    before = sorted(w.process.pid for w in pool._all)

    async def both():
        slow = pool.call(time.sleep, 30, timeout_s=1.5)
        quick = pool.call(engine.ping)
        return await asyncio.gather(slow, quick)

    t = time.monotonic()
    slow, quick_pid = run(both())
    assert time.monotonic() - t < 20
    assert slow["status"] == 504 and "time limit (1.5 s)" in slow["error"]
    assert quick_pid in before  # the other worker was not touched
    after = sorted(w.process.pid for w in pool._all)
    assert len(after) == 2 and len(set(after) & set(before)) == 1  # one replaced
    assert run(pool.call(abs, -4)) == 4


def test_a_worker_killed_mid_call_answers_503_and_is_replaced(pool):
    async def killed():
        task = asyncio.ensure_future(pool.call(time.sleep, 30))
        await asyncio.sleep(0.5)
        busy = [w for w in pool._all if w.busy is not None]
        assert len(busy) == 1
        os.kill(busy[0].process.pid, signal.SIGKILL)
        return await asyncio.wait_for(task, 20)

    out = run(killed())
    assert out["status"] == 503 and "worker stopped" in out["error"]

    async def after():
        return await asyncio.gather(*(pool.call(abs, -i) for i in range(6)))

    assert run(after()) == list(range(6))


def test_a_cancelled_call_does_not_leak_its_worker():
    pool = EnginePool("/nonexistent/store.gpkg", workers=1, timeout_s=60)
    try:
        pool.warm()

        async def cancel_then_call():
            task = asyncio.ensure_future(pool.call(time.sleep, 1.0))
            await asyncio.sleep(0.2)
            task.cancel()  # the client went away: the worker finishes, its answer is dropped
            with pytest.raises(asyncio.CancelledError):
                await task
            return await pool.call(abs, -7, timeout_s=20)

        assert run(cancel_then_call()) == 7
    finally:
        pool.close()


def test_exceptions_come_back_as_raised():
    pool = EnginePool("/nonexistent/store.gpkg", workers=1, timeout_s=60)
    try:
        with pytest.raises(ZeroDivisionError):
            run(pool.call(divmod, 1, 0))
        assert run(pool.call(divmod, 7, 2)) == (3, 1)
    finally:
        pool.close()


def test_no_commit_after_the_deadline(demo_store, tmp_path):
    """The worker refuses to record a screening whose time limit has run out (the server answers 504)."""
    saved = dict(engine._STATE)
    data = tmp_path / "data"
    try:
        engine.init_worker(str(demo_store), str(data / "stores"))
        Record(data).close()  # the server opened the record first
        upload = data / "uploads" / "0123456789abcdef.geojson"
        upload.write_bytes(SITES[0].read_bytes())
        late = engine.screen_and_record("0123456789abcdef", str(upload), SITES[0].name, {"buffer": 5000.0}, "local",
                                        "127.0.0.1", str(data), time.monotonic() - 1, 7.0)
        assert late == {"error": "the screening took longer than the time limit (7 s)", "status": 504}
        db = sqlite3.connect(data / "record.sqlite")
        assert db.execute("SELECT COUNT(*) FROM screenings").fetchone()[0] == 0
        on_time = engine.screen_and_record("0123456789abcdef", str(upload), SITES[0].name, {"buffer": 5000.0},
                                           "local", "127.0.0.1", str(data), time.monotonic() + 60, 7.0)
        body = json.loads(on_time["body"])
        assert body["id"] == "0123456789abcdef"
        stored = db.execute("SELECT result_json, user FROM screenings WHERE id = ?", (body["id"],)).fetchone()
        assert json.loads(stored[0]) == {k: v for k, v in body.items() if k != "id"} and stored[1] == "local"
    finally:
        for record in engine._STATE.get("records", {}).values():
            record.close()
        engine._STATE.clear()
        engine._STATE.update(saved)


def test_concurrent_screenings_each_get_their_own_answer(demo_store, tmp_path):
    """Many requests at once over several workers: every answer belongs to the site sent, every row to its id."""
    srv = Server(demo_store, tmp_path / "data", extra=["--workers", "3"])
    srv.start()
    try:
        def one(i: int) -> tuple[Path, dict]:
            site = SITES[i % len(SITES)]
            with local_client(srv) as c:
                r = c.post("/api/screen", files={"file": (site.name, site.read_bytes())},
                           data={"radius": "300", "width": "40"})
            assert r.status_code == 200, r.text
            return site, r.json()

        with ThreadPoolExecutor(8) as ex:
            answers = list(ex.map(one, range(24)))
        with local_client(srv) as c:
            for site, answer in answers:
                expected = json.loads(site.read_text(encoding="utf-8"))["features"][0]["properties"]["name"]
                assert answer["project"]["name"] == expected, site.name
                stored = json.loads(c.get(f"/api/screenings/{answer['id']}/report.json").text)
                assert stored == {k: v for k, v in answer.items() if k != "id"}
        assert len({a["id"] for _, a in answers}) == 24
    finally:
        srv.stop()
