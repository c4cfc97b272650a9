"""``gisplan demo``: the synthetic Yanbian store and the bundled sample sites."""

from __future__ import annotations

from pathlib import Path

import click

from .app import main

__all__ = ["demo"]


@main.command()
@click.option("--store", default="layers/demo_yanbian.gpkg", show_default=True, type=click.Path(dir_okay=False))
@click.option("--out-dir", default="maps", show_default=True, type=click.Path(file_okay=False))
@click.option("--data-dir", default=None, type=click.Path(file_okay=False), help="Folder of the demo's inputs, admin/ and sites/ (default: the bundled ones).")
def demo(store, out_dir, data_dir) -> None:
    """Build the synthetic Yanbian demo store and screen the bundled sample sites."""
    from ..demo.run import run_demo

    for line in run_demo(Path(store), Path(out_dir), Path(data_dir) if data_dir else None):
        click.echo(line)
