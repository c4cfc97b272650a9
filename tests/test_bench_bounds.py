"""The streamed batch's memory bound as bench/bench_stream.py checks it (the benchmark itself runs outside CI)."""

from __future__ import annotations

import sys

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
from bench_stream import check_memory_bound  # noqa: E402


def test_flat_memory_under_the_bound_passes(capsys):
    check_memory_bound({20_000: 300.0, 200_000: 400.0}, 2048.0, 1.5)
    assert "memory bound met" in capsys.readouterr().out


@pytest.mark.parametrize("peaks,words", [
    ({20_000: 300.0, 200_000: 2100.0}, "bound 2048 MiB"),  # over the bound
    ({20_000: 300.0, 200_000: 500.0}, "more than 1.5x"),  # grows with N
])
def test_memory_over_the_bound_or_growing_with_n_fails(peaks, words):
    with pytest.raises(SystemExit, match="memory bound FAILED") as err:
        check_memory_bound(peaks, 2048.0, 1.5)
    assert words in str(err.value)
