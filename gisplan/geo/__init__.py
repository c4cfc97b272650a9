"""Coordinates and measures: the CRSs gisplan works in (``crs``: CGCS2000, the equal-area plane, Gauss-Kruger
zones), the coordinates reviewers receive (``coords``: angles, GK zone prefixes, legacy datums, the user's source
CRS), Chinese web-map offsets (``chinacoords``: GCJ-02, BD-09), the equal-area plane's geometry helpers
(``geometry``) and how EIA tables word directions (``geodesy``)."""
