"""Thresholds every part of the engine shares (one place, so single and batch screenings agree)."""

__all__ = ["MIN_OVERLAP_M2"]

#: Overlaps below this (m², ellipsoidal) are boundary contact, not occupation.
MIN_OVERLAP_M2 = 0.01
