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
