"""The "one list" and the statutory rules: what may be built where.

- :mod:`gisplan.rules.industry`: project types (GB/T 4754-2017, EIA catalogue 2021);
- :mod:`gisplan.rules.statutory`: redline, nature-reserve and water-source rules (YAML);
- :mod:`gisplan.rules.access_list`: access-list clauses (生态环境准入清单) in the store;
- :mod:`gisplan.demo.access_list`: the demo list for the synthetic Yanbian units;
- ``gisplan rules ...`` commands: :mod:`gisplan.cli.rules`.
"""

__all__ = ["match_industry", "default_rules", "load_rules", "import_access_list"]


def __getattr__(name):  # lazy: the CLI imports this package on every start
    if name == "match_industry":
        from .industry import match_industry

        return match_industry
    if name in ("default_rules", "load_rules"):
        from . import statutory

        return getattr(statutory, name)
    if name == "import_access_list":
        from .access_list import import_access_list

        return import_access_list
    raise AttributeError(f"module 'gisplan.rules' has no attribute {name!r}")
