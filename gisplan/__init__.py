"""gisplan: screen project sites against China's "three lines, one list" zoning."""

__version__ = "0.1.0"
