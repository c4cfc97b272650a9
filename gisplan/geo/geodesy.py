"""Geodesic measures on the CGCS2000 (GRS80) ellipsoid and how EIA tables word them."""

from __future__ import annotations


__all__ = ["direction_word", "position_phrase"]

_WORDS_ZH = ("北", "东北", "东", "东南", "南", "西南", "西", "西北")
_WORDS_EN = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


def direction_word(azimuth: float, lang: str = "zh") -> str:
    """One of the eight directions EIA tables use (北, 东北, 东 ...) for an azimuth.

    Examples
    --------
    >>> direction_word(270)
    '西'
    >>> direction_word(44, lang="en")
    'NE'
    """
    words = _WORDS_ZH if lang == "zh" else _WORDS_EN
    return words[int(((azimuth % 360.0) + 22.5) // 45.0) % 8]


def position_phrase(azimuth: float, distance_m: float, lang: str = "zh") -> str:
    """The position of a feature relative to the site, e.g. ``西侧 3.8 km``.

    Examples
    --------
    >>> position_phrase(265, 3812)
    '西侧 3.8 km'
    >>> position_phrase(90, 420)
    '东侧 420 m'
    """
    dist = f"{distance_m / 1000:.1f} km" if distance_m >= 1000 else f"{distance_m:.0f} m"
    if lang == "zh":
        return f"{direction_word(azimuth)}侧 {dist}"
    return f"{dist} {direction_word(azimuth, 'en')}"
