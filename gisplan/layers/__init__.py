"""Checking a delivered zoning layer and comparing two versions of it.

- :mod:`gisplan.layers.source`: read a store or a delivered layer file into schema frames;
- :mod:`gisplan.layers.check`: the quality checks of ``gisplan layers check``;
- :mod:`gisplan.layers.stats`: the statistics the plans publish (per county and in total);
- :mod:`gisplan.layers.diff`: what changed between two versions (``gisplan layers diff``);
- :mod:`gisplan.layers.diff_maps`: the change map (PNG and HTML);
- :mod:`gisplan.layers.output`: atomic JSON and XLSX writers.
"""
