"""The query UI's page: the editor, the competency questions as examples, the prefixes.

``/sparql`` (``defkg.web.sparql``) renders ``query.html`` for a browser; the context processor
here gives that template ``query_ui()``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, request

from defkg.web.downloads import current_settings

blueprint = Blueprint("query_ui", __name__)


@dataclass
class Example:
    """One competency query as the query UI offers it."""

    name: str  #: the file stem, ``cq01-…``
    question: str  #: the first comment line
    query: str
    inferred: bool  #: needs the OWL RL inferences


#: A comment by which a query says it must not see the inferences.
_ASSERTED_ONLY = re.compile(r"\b(asserted (data |triples )?only|without (the )?inferences)\b", re.I)


def load_examples(queries_dir: Path) -> list[Example]:
    """The project's ``queries/*.rq`` in name order.

    The question is the first comment line, continued over the next comment lines until one
    ends with ``?`` (``# cq05: How many …`` / ``# established, …?``), without its ``cqNN:``
    label. The competency queries are written for the asserted data plus the OWL RL
    inferences (the competency tests run them so, and some rely on inferences without saying
    so), so each runs against ``/sparql/inferred`` unless a comment says "asserted only" or
    "without inferences".
    """
    examples = []
    for path in sorted(queries_dir.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        comments = [line.lstrip("#").strip() for line in text.splitlines() if line.startswith("#")]
        question_lines: list[str] = []
        for line in comments:
            question_lines.append(line)
            if line.endswith("?") or len(question_lines) == 3:
                break
        question = " ".join(question_lines) or path.stem
        question = re.sub(r"^[a-z]+\d+\s*:\s*", "", question, flags=re.I)
        asserted_only = any(_ASSERTED_ONLY.search(c) for c in comments)
        examples.append(Example(path.stem, question, text, inferred=not asserted_only))
    return examples


@blueprint.app_context_processor
def query_ui_context() -> dict[str, Any]:
    """Gives every template ``query_ui()``: the prefixes and examples of the query editor."""

    def query_ui() -> dict[str, Any]:
        settings = current_settings()
        return {
            "prefixes": settings.iris.prefixes(),
            "examples": [asdict(e) for e in load_examples(settings.queries_dir)],
            "initial": request.args.get("edit", ""),
        }

    return {"query_ui": query_ui}
