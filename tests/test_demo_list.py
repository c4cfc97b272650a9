"""The demo access list says what the machine does with it."""

from __future__ import annotations

import re

from gisplan.demo.access_list import demo_access_list

#: Words that narrow a clause to a place the store has no layer for.
PLACES = re.compile(r"沿岸|建成区|源头|周边|两侧|河段|库区|湖区")


def test_a_machine_judged_clause_names_no_place_the_data_cannot_locate():
    """A clause with a decision applies to its whole scope (or element zone): its words may not say "along the
    river" or "in the built-up area", or the whole county would be prohibited on the strength of a narrower text."""
    clauses = demo_access_list()
    judged = clauses[clauses["decision"].isin(["prohibited", "restricted", "allowed"]) & (clauses["element_zone"] == "")]
    assert len(judged) >= 5
    narrowed = [(r.clause_id, r.text) for r in judged.itertuples() if PLACES.search(r.text)]
    assert narrowed == []
