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

from defkg import __version__, formats
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


host_option = click.option(
    "--host", default=None, help="Interface to listen on (default 127.0.0.1)."
)
port_option = click.option(
    "--port", type=int, default=None, help="Port to listen on (default 8000)."
)


def dist_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--dist DIR``: the release a command reads or writes."""
    return click.option(
        "--dist",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=help_text,
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
    if place is None:
        click.echo("  no --place: add schema:locationCreated (the dateline place) to the document")
    click.echo(f"next: defkg suggest {added.slug}   (what to model, sentence by sentence)")


@main.command("publish")
@click.option("--to", "to", required=True, help="The SPARQL query endpoint of the remote store.")
@click.option(
    "--gsp",
    default=None,
    help="Its Graph Store Protocol endpoint (default: the --to URL with …/query → …/store).",
)
@dist_option("The release to publish (default: dist/).")
@click.option("--force", is_flag=True, help="Put every graph, even those recorded as unchanged.")
@base_option
@reports_errors
def publish_command(
    to: str, gsp: str | None, dist: Path | None, force: bool, base: str | None
) -> None:
    """Load the release into a remote store, replacing each changed graph as a unit."""
    from defkg.store.gsp import publish_release
    from defkg.store.remote import RemoteStore

    settings = make_settings(dist=dist, base=base, store=to, store_gsp=gsp)
    store = RemoteStore(settings.store, settings.store_gsp, timeout=max(settings.query_timeout, 60))
    report = publish_release(settings.dist, store, settings.base, force=force, progress=click.echo)
    click.echo(f"published {settings.dist} to {settings.store}: {report.summary()}")


@main.command("serve")
@root_option
@host_option
@port_option
@dist_option("The release to serve (default: dist/; built first if missing).")
@click.option(
    "--store", default=None, help="'embedded' (default) or the URL of a remote SPARQL endpoint."
)
@base_option
@reports_errors
def serve_command(
    root: Path | None,
    host: str | None,
    port: int | None,
    dist: Path | None,
    store: str | None,
    base: str | None,
) -> None:
    """Serve the SPARQL endpoint and the linked-data pages (gunicorn processes, one loop each)."""
    from defkg.serve import serve

    serve(make_settings(root=root, host=host, port=port, dist=dist, store=store, base=base))


@main.command("suggest")
@click.argument("source")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write a draft Turtle file (with comments) instead of printing a report.",
)
@root_option
@base_option
@reports_errors
def suggest_command(source: str, out: Path | None, root: Path | None, base: str | None) -> None:
    """Suggest the figures, dates and entities to model in SOURCE (a slug or data/SLUG.txt)."""
    from defkg.curate import suggest as sg

    settings = make_settings(root=root, base=base)
    slug, found = sg.suggest_source(settings, source)
    base_id = str(settings.iris.resource)
    if out is None:
        click.echo(sg.format_suggestions(found, base_id))
        return
    sg.write_draft(out, sg.draft_turtle(found, base_id, settings.iris.prefixes()))
    click.echo(f"wrote {out}: {len(found.figures)} draft quantities; copy what you keep into")
    click.echo(f"data/{slug}.ttl below the facts marker (docs/curating.md)")


@main.command("build")
@root_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to publish the release (default: dist/). Replaced atomically.",
)
@base_option
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@reports_errors
def build_command(root: Path | None, out: Path | None, base: str | None, quiet: bool) -> None:
    """Load, reason, validate and publish the release (nothing is published on a violation)."""
    from defkg.pipeline.build import build

    release = build(make_settings(root=root, dist=out, base=base), quiet=quiet)
    if not quiet:
        click.echo(f"defkg: release published in {release}", err=True)


@main.command("validate")
@root_option
@base_option
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@reports_errors
def validate_command(root: Path | None, base: str | None, quiet: bool) -> None:
    """Load, reason and validate the project; write nothing. Exit 1 on a violation."""
    from defkg.pipeline.build import check

    check(make_settings(root=root, base=base), quiet=quiet)
    if not quiet:
        click.echo("defkg: the project conforms to its shapes", err=True)


@main.command("query")
@click.argument("query")
@dist_option("The release to query (default: dist/).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(formats.query_output_names()),
    default="table",
    show_default=True,
    help="table (SELECT), a SPARQL results format, or an RDF format (CONSTRUCT/DESCRIBE).",
)
@click.option("--inferred", is_flag=True, help="Include the inferences in the default graph.")
@base_option
@reports_errors
def query_command(
    query: str, dist: Path | None, output_format: str, inferred: bool, base: str | None
) -> None:
    """Run a SPARQL QUERY (text, or @file.rq) against a release and print the answer."""
    from defkg.query import read_query, run_query

    settings = make_settings(dist=dist, base=base)
    answer = run_query(read_query(query), settings, output_format=output_format, inferred=inferred)
    click.echo(answer.rstrip("\n"))


@main.command("preview")
@root_option
@host_option
@port_option
@dist_option("Where each good release is published (default: dist/).")
@click.option(
    "--interval", type=float, default=1.0, show_default=True, help="Seconds between checks."
)
@base_option
@reports_errors
def preview_command(
    root: Path | None,
    host: str | None,
    port: int | None,
    dist: Path | None,
    interval: float,
    base: str | None,
) -> None:
    """Rebuild when data/, ontology/ or shapes/ change; serve the last good release."""
    from defkg.preview import Preview

    settings = make_settings(root=root, host=host, port=port, dist=dist, base=base)
    try:
        Preview(settings, interval=interval).run()
    except KeyboardInterrupt:
        click.echo("defkg preview: stopped", err=True)
