"""Raster layers of a store: import (Cloud-Optimized GeoTIFF beside the store) and per-site statistics."""
