"""``gisplan guide``: siting guidance (选址引导), where a project type may go, as a map of verdicts."""

from __future__ import annotations

import click

from ..errors import InputError
from .app import check_outputs, main, protect_inputs
from .options import national_major_option

__all__ = ["guide_cmd"]


def _industries(industry: tuple[str, ...], industries_file: str | None) -> list[str]:
    names = [i for i in industry if i and i.strip()]
    if industries_file:
        from pathlib import Path

        try:
            text = Path(industries_file).read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(f"--industries {industries_file}: not UTF-8 text (one project type per line)") from None
        except OSError as exc:
            raise InputError(f"--industries {industries_file}: cannot read it ({exc.strerror or exc})") from None
        names += [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not names:
        raise InputError("give a project type with --industry (e.g. 化工, 公路, 光伏) or a file of them with --industries")
    return list(dict.fromkeys(n.strip() for n in names))


@main.command("guide")
@click.option("--store", required=True, type=click.Path(dir_okay=False), help="The layer store (GeoPackage).")
@click.option("--industry", multiple=True, help="Project type (GB/T 4754 code/name or EIA catalogue category, "
              "e.g. 化工, 公路, 光伏); repeat it for several.")
@click.option("--industries", "industries_file", type=click.Path(dir_okay=False),
              help="A UTF-8 text file of project types, one per line.")
@national_major_option
@click.option("--county", help="Only this county: its 6-digit code (as in the unit codes) or its name as stored.")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="The faces with their verdicts (.gpkg; one layer per project type).")
@click.option("--png", type=click.Path(dir_okay=False), help="Write a static map (PNG) of the first project type here.")
@click.option("--html-map", type=click.Path(dir_okay=False), help="Write an interactive HTML map here.")
@click.option("--xlsx", type=click.Path(dir_okay=False), help="Write the area totals (XLSX) here.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Write the area totals (JSON) here.")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def guide_cmd(store, industry, industries_file, national_major, county, out, png, html_map, xlsx, json_out,
              quiet) -> None:
    """Siting guidance: the store's control-unit area cut into faces, each with the verdict a project type
    would get there (prohibited / restricted / review / allowed), and the area totals per county."""
    from pathlib import Path

    from ..engine.guide import guide_many, select_units
    from ..render.guide_tables import guide_totals, totals_text, write_guide_gpkg, write_totals_json, write_totals_xlsx
    from ..rules.industry import match_industry
    from ..store.spec import as_store

    names = _industries(industry, industries_file)
    if Path(out).suffix.lower() != ".gpkg":
        raise InputError(f"--out must end in .gpkg, got {Path(out).name!r}")
    for path, suffix, option in ((png, ".png", "--png"), (html_map, ".html", "--html-map"), (xlsx, ".xlsx", "--xlsx"),
                                 (json_out, ".json", "--json")):
        if path and Path(path).suffix.lower() != suffix:
            raise InputError(f"{option} must end in {suffix}, got {Path(path).name!r}")
    protect_inputs(store, industries_file)
    check_outputs(out, png, html_map, xlsx, json_out)
    for name in names:
        match_industry(name)  # an unknown type fails before any cutting
    snapshot = as_store(store)
    select_units(snapshot, county)  # no units, or a county not in the store: one line before the work
    frames = guide_many(snapshot, names, national_major=national_major, county=county)
    store_info = {"layers": snapshot.versions()}
    demo = any("synthetic" in str(v) for v in store_info["layers"].values())
    write_guide_gpkg(frames, out, protect=[store])
    totals = guide_totals(frames)
    if xlsx:
        write_totals_xlsx(totals, xlsx, demo=demo, protect=[store])
    if json_out:
        write_totals_json(totals, json_out, store=str(store), national_major=national_major, demo=demo,
                          protect=[store])
    first = next(iter(frames))
    if png:
        from ..render.guide_map import write_guide_png

        write_guide_png(frames[first], png, industry=first, store_info=store_info, protect=[store])
    if html_map:
        from ..render.guide_map import write_guide_html

        write_guide_html(frames, html_map, store_info=store_info, protect=[store])
    if not quiet:
        for line in totals_text(totals):
            click.echo(line)
        if demo:
            click.echo("注：示例数据（合成），非官方。")
