"""The screening engine: the overlay kernel shared by single screenings and batches.

- :mod:`gisplan.engine.overlay`: overlaps of sites with one layer (fast paths, exact areas);
- :mod:`gisplan.engine.nearby`: features near a site, geodesic distances and directions.
"""
