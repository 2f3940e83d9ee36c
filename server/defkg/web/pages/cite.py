"""Cite this: a fact or an entity as a reader cites it — in plain text, BibTeX and CSL-JSON.

A citation names the resource (its label and IRI), the release it is read from (a versioned
IRI, ``{base}dataset/{version}``: the data a reader saw stays citable after later releases),
and the sentence it rests on: its words, the source's headline, publisher and date. Nothing in
it depends on the day it is read, so the same release always gives the same citation.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from defkg.iris import IriScheme
from defkg.web.pages.resource import Quote, ResourcePage


@dataclass
class Citation:
    """One resource's citation in each format the page offers."""

    text: str
    bibtex: str
    csl_json: str
    release_iri: str


def release_iri(scheme: IriScheme, version: str | None) -> str:
    """The versioned IRI of a release (``…/dataset/0.1.0``), or the dataset's when unversioned."""
    dataset = str(scheme.dataset).rstrip("/")
    return f"{dataset}/{version}" if version else dataset


def quoted_sentence(quote: Quote) -> str:
    return "".join(text for text, _marked in quote.segments)


def cited_quote(page: ResourcePage) -> Quote | None:
    """The sentence a citation quotes: the one the resource itself comes from, else the first
    sentence of a fact about it."""
    primary = [q for q in page.quotes if q.primary]
    if primary:
        return primary[0]
    return page.quotes[0] if page.quotes else None


def _bibtex_escape(text: str) -> str:
    return re.sub(r"([{}\\&%$#_])", r"\\\1", text)


def _key(iri: str, version: str | None) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", iri.rstrip("/").rsplit("/", 1)[-1]).strip("-")
    return f"defkg-{slug}" + (f"-{re.sub(r'[^0-9A-Za-z]+', '-', version)}" if version else "")


def citation(
    page: ResourcePage, scheme: IriScheme, version: str | None, released: datetime | None
) -> Citation:
    """The citation of ``page``'s resource as read in the release ``version``."""
    permalink = release_iri(scheme, version)
    quote = cited_quote(page)
    release_name = f"defkg release {version}" if version else "defkg"
    year = released.year if released is not None else None
    parts = [f"{page.label}. {release_name}, {permalink}. {page.iri}."]
    source_bits: list[str] = []
    if quote is not None:
        source_bits = [
            b
            for b in (
                quote.article.text if quote.article else None,
                quote.publisher.text if quote.publisher else None,
                quote.published,
            )
            if b
        ]
        parts.append(f"Quoting: “{quoted_sentence(quote)}”")
        if source_bits:
            parts.append("— " + ", ".join(source_bits) + ".")
        if quote.anchor.iri:
            parts.append(f"Sentence: {quote.anchor.iri}.")
    text = " ".join(parts)

    note = f"{release_name}, {permalink}"
    if quote is not None:
        note += f". Quoting ``{quoted_sentence(quote)}''"
        if source_bits:
            note += " (" + ", ".join(source_bits) + ")"
    fields = [
        ("title", page.label),
        ("author", "{defkg}"),
        ("howpublished", f"\\url{{{page.iri}}}"),
        ("url", page.iri),
        ("version", version or ""),
        ("year", str(year) if year else ""),
        ("note", note),
    ]
    lines = [f"@misc{{{_key(page.iri, version)},"]
    for name, value in fields:
        if not value:
            continue
        shown = value if name in ("howpublished", "url", "author") else _bibtex_escape(value)
        lines.append(f"  {name} = {{{shown}}},")
    lines.append("}")

    item: dict[str, object] = {
        "id": _key(page.iri, version),
        "type": "dataset",
        "title": page.label,
        "URL": page.iri,
        "publisher": "defkg",
        "archive": release_name,
        "archive_location": permalink,
    }
    if version:
        item["version"] = version
    if released is not None:
        item["issued"] = {"date-parts": [[released.year, released.month, released.day]]}
    if quote is not None:
        item["note"] = f"Quoting: “{quoted_sentence(quote)}”"
        if quote.article:
            item["container-title"] = quote.article.text
        if quote.publisher:
            item["source"] = quote.publisher.text
    return Citation(
        text=text,
        bibtex="\n".join(lines) + "\n",
        csl_json=json.dumps([item], ensure_ascii=False, indent=2) + "\n",
        release_iri=permalink,
    )
