"""The ``defkg`` command line: one thin click command per job.

Each command turns its flags into :class:`~defkg.config.Settings` and calls one function of the
module that does the work. Exit codes: 0 success, 1 validation failed, 2 bad usage or unreadable
input (click's own usage errors are 2 as well).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from defkg import __version__
from defkg.config import Settings, settings_from_env
from defkg.errors import DefkgError

root_option = click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The project (its ontology/, data/, shapes/, queries/). Default: the current directory.",
)
base_option = click.option(
    "--base", default=None, help="The canonical base IRI (default https://w3id.org/defkg/)."
)


def reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Print a DefkgError's message (never a traceback) and exit with its code."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except DefkgError as error:
            report = getattr(error, "report", "")
            if report:
                click.echo(report, err=True)
            click.echo(f"defkg: {error}", err=True)
            sys.exit(error.exit_code)

    return wrapper


def make_settings(**overrides: Any) -> Settings:
    return settings_from_env(**overrides)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="defkg")
def main() -> None:
    """defkg: publish defence ministries' reports as a linked-data knowledge graph."""


@main.command("add-source")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--title", required=True, help="The report's headline.")
@click.option("--date", "date_", required=True, help="Publication date, YYYY-MM-DD.")
@click.option(
    "--publisher", required=True, help="Who published it: a known name, kg:slug or <IRI>."
)
@click.option("--url", default=None, help="Where the report is online.")
@click.option("--place", default=None, help="Dateline place: a known name, kg:slug or <IRI>.")
@click.option("--slug", default=None, help="Identifier of the source (default: from FILE).")
@click.option("--lang", default="en", show_default=True, help="Language tag of the title.")
@root_option
@base_option
@reports_errors
def add_source_command(
    file: Path,
    title: str,
    date_: str,
    publisher: str,
    url: str | None,
    place: str | None,
    slug: str | None,
    lang: str,
    root: Path | None,
    base: str | None,
) -> None:
    """Store a report's text under data/ and write its Turtle file with sentence anchors."""
    from defkg.curate.sources import add_source

    settings = make_settings(root=root, base=base)
    added = add_source(
        file,
        title=title,
        date=date_,
        publisher=publisher,
        url=url,
        place=place,
        slug=slug,
        lang=lang,
        data_dir=settings.data_dir,
        iris=settings.iris,
    )
    click.echo(f"added {added.text_file} and {added.turtle_file}")
    click.echo(f"  {added.sentences} sentences: cite them as src:s1 … src:s{added.sentences}")
    for ref in added.new_entities:
        click.echo(f"  new entity <{ref.iri}> ({ref.label}): move it to data/entities.ttl")
    click.echo(f"next: defkg suggest {added.slug}   (what to model, sentence by sentence)")


@main.command("publish")
@click.option("--to", "to", required=True, help="The SPARQL query endpoint of the remote store.")
@click.option(
    "--gsp",
    default=None,
    help="Its Graph Store Protocol endpoint (default: the --to URL with …/query → …/store).",
)
@click.option(
    "--dist",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The release to publish (default: dist/).",
)
@click.option("--force", is_flag=True, help="Put every graph, even those recorded as unchanged.")
@base_option
@reports_errors
def publish_command(
    to: str, gsp: str | None, dist: Path | None, force: bool, base: str | None
) -> None:
    """Load the release into a remote store, replacing each changed graph as a unit."""
    from defkg.gsp import publish_release
    from defkg.store.remote import RemoteStore

    settings = make_settings(dist=dist, base=base, store=to, store_gsp=gsp)
    store = RemoteStore(settings.store, settings.store_gsp, timeout=max(settings.query_timeout, 60))
    report = publish_release(settings.dist, store, settings.base, force=force, progress=click.echo)
    click.echo(f"published {settings.dist} to {settings.store}: {report.summary()}")
