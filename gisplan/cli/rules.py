"""``gisplan rules ...``: import and inspect access lists, look up project types.

Errors are typed (:mod:`gisplan.errors`); the main command group turns them
into one line on stderr and exit code 2.
"""

from __future__ import annotations

import click

from .app import main
from .options import lock_timeout_option

__all__ = ["rules"]


@main.group()
def rules() -> None:
    """Access-list clauses (生态环境准入清单) and project types."""


@rules.command("import")
@click.argument("store", type=click.Path(dir_okay=False))
@click.argument("file")
@click.option("--sheet", help="Sheet of an XLSX workbook (default: the first).")
@click.option("--map", "maps", multiple=True, metavar="FIELD=SRCFIELD",
              help="Map a clause field (unit_code, tier, scope, admin_codes, category, dimension, text, source, "
                   "article, applies_to, decision, or a dimension code for wide tables) to a column.")
@click.option("--clear", is_flag=True, help="Drop every clause of the store's list first.")
@lock_timeout_option
def rules_import(store, file, sheet, maps, clear, lock_timeout) -> None:
    """Import access-list clauses from FILE (XLSX or CSV, as bureaus publish them) into STORE."""
    from ..mapping import parse_map_options
    from ..rules.access_list import import_access_list

    report = import_access_list(store, file, sheet=sheet, mapping=parse_map_options(maps), clear=clear,
                                lock_timeout=lock_timeout)
    for line in report.lines():
        click.echo(line)


@rules.command("list")
@click.argument("store", type=click.Path(dir_okay=False))
@click.option("--unit", help="Show the clauses that apply to this unit code, tier by tier.")
def rules_list(store, unit) -> None:
    """Show how many clauses STORE holds per tier and dimension, or one unit's clauses."""
    from ..errors import InputError
    from ..rules.access_list import DIMENSIONS, TIER_LABELS_ZH, AccessList
    from ..store.spec import open_store_at, shown_store

    s = open_store_at(store)
    store = shown_store(store)
    access = AccessList.from_store(s)
    if access is None:
        click.echo(f"{store}: no access-list clauses (import some with `gisplan rules import`)")
        return
    if not unit:
        frame = access.frame
        click.echo(f"{store}: {len(frame)} clause(s)" + (" (demo)" if frame["demo"].astype(int).any() else ""))
        for (tier, dim), n in frame.groupby(["tier", "dimension"]).size().items():
            click.echo(f"  {tier:<9} {DIMENSIONS.get(dim, dim):<10} {n:>5}")
        return
    if not s.has("control_units"):
        raise InputError(f"{store} has no control_units layer to find unit {unit!r} in")
    units = s.read("control_units")
    row = units[units["code"] == unit]
    if row.empty:
        raise InputError(f"unit {unit!r} is not in {store}")
    attrs = {k: v for k, v in row.iloc[0].items() if isinstance(v, str)}
    clauses = access.for_unit(attrs)
    click.echo(f"{unit} {attrs.get('name', '')}: {len(clauses)} clause(s)")
    for c in clauses:
        click.echo(f"  [{TIER_LABELS_ZH.get(c.tier, c.tier)} {c.scope_name}] {DIMENSIONS.get(c.dimension, c.dimension)}: "
                   f"{c.text} ({c.source} {c.article})".rstrip() + (f" [要素分区 {c.element_zone}]" if c.element_zone else ""))


@rules.command("industries")
@click.argument("query", required=False)
def rules_industries(query) -> None:
    """Look up QUERY as --industry would take it, or list every project type."""
    from ..rules.industry import element_attributes, industries, match_industry

    if query:
        m = match_industry(query)
        i = m.industry
        click.echo(m.describe())
        click.echo(f"  GB codes: {', '.join(i.gb_codes)}; attributes: {', '.join(sorted(i.flags)) or '-'}")
        words = {True: "yes", False: "no", None: "unknown"}
        click.echo("  element-zone attributes: " + ", ".join(f"{a} {words[v]}" for a, v in element_attributes(m).items()))
        return
    for i in industries():
        click.echo(f"{i.code:<9} {i.name}  [{i.scheme}]")
