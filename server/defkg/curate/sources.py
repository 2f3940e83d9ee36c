"""Add a source: store its text, split it into sentences, and write its Turtle file of anchors.

A source is a text file ``data/{slug}.txt`` (UTF-8, ``\\n`` line endings) and a Turtle file
``data/{slug}.ttl`` (loaded as graph ``{base}graph/{slug}``) holding the document node and one
Web Annotation anchor per sentence, ``{base}id/{slug}/s{n}``, so that a fact cites "sentence 7"
(``prov:wasDerivedFrom src:s7``) instead of copying text and counting characters.

Offsets are Python ``str`` indices, i.e. Unicode code points, which is what the Web Annotation
TextPositionSelector counts. The Turtle is written as text from a fixed template (not by an RDF
serialiser) so that the same inputs always give byte-identical files a curator can read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from defkg.errors import DefkgError, not_utf8
from defkg.files import write_files_atomically
from defkg.iris import IriScheme

# --- sentences -------------------------------------------------------------------------------

#: Words that end with a full stop without ending the sentence ("Dec. 26", "Lt. Gen. Smith").
#: Case matters: "No." is an abbreviation of "number", "no." at a sentence end is not.
_ABBREVIATION_WORDS = """
    Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec
    Lt Lieut Gen Col Maj Capt Cpt Cmdr Cdr Adm Brig Sgt Cpl Pvt Gov Pres Sen Rep
    Mr Mrs Ms Dr Prof Rev Hon St Mt No Nos Nr Art Vol Fig approx vs cf
"""
ABBREVIATIONS = frozenset(_ABBREVIATION_WORDS.split())

_TERMINATOR = re.compile("[.?!]+[\"\u201d\u2019')\\]]*")
_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")
_WORD_BEFORE = re.compile(r"([\w.]+)$")
_DOTTED_LETTERS = re.compile(r"(?:[A-Za-z]\.){2,}")  # U.S., e.g., i.e.


@dataclass(frozen=True)
class Sentence:
    """One sentence of a source: its 1-based number and where it lies in the text.

    ``start``/``end`` are code-point offsets (end exclusive), so ``text[start:end] == exact``.
    """

    n: int
    start: int
    end: int
    exact: str


def _is_abbreviation(text: str, dot: int, floor: int) -> bool:
    """True when the full stop at ``text[dot]`` closes an abbreviation, not a sentence.

    ``floor`` is where the paragraph starts: the word before the dot is looked for after it.
    """
    match = _WORD_BEFORE.search(text, floor, dot + 1)
    if not match:
        return False
    word = match.group(1)
    bare = word.rstrip(".")
    if bare in ABBREVIATIONS:
        return True
    if _DOTTED_LETTERS.fullmatch(word):
        return True
    # A single capital letter: an initial ("John F. Kennedy") or a list label ("Annex B.").
    return len(bare) == 1 and bare.isupper()


def _split_paragraph(text: str, start: int, end: int) -> Iterable[tuple[int, int]]:
    """Yield the (start, end) of each sentence of ``text[start:end]``, trimmed of whitespace."""
    pos = start
    for match in _TERMINATOR.finditer(text, start, end):
        stop = match.end()
        if stop < end and not text[stop].isspace():
            continue  # "1.8", "example.com", "?!" inside a word: not a sentence end
        # Only a bare full stop can close an abbreviation; "Dec.”" or "?" end the sentence.
        if match.group() == "." and _is_abbreviation(text, match.start(), start):
            continue
        yield from _trimmed(text, pos, stop)
        pos = stop
    yield from _trimmed(text, pos, end)


def _trimmed(text: str, start: int, end: int) -> Iterable[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        yield start, end


def split_sentences(text: str) -> list[Sentence]:
    """Split ``text`` into sentences, numbered from 1, with exact code-point offsets.

    A sentence ends after ``.``, ``?`` or ``!`` (optionally followed by closing quotes or
    brackets) when whitespace follows, except after an abbreviation ("Dec.", "Lt.", "U.S.",
    single capital letters); a paragraph break (a blank line) always ends one. Sentences never
    include the whitespace around them.
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    for brk in _PARAGRAPH_BREAK.finditer(text):
        spans.extend(_split_paragraph(text, pos, brk.start()))
        pos = brk.end()
    spans.extend(_split_paragraph(text, pos, len(text)))
    return [Sentence(n, s, e, text[s:e]) for n, (s, e) in enumerate(spans, start=1)]


# --- the source's Turtle file ----------------------------------------------------------------

#: Prefixes every source file declares, so curators can write facts without adding any.
_FILE_PREFIXES = (
    "defkg", "kg", "wd", "oa", "prov", "schema", "qudt", "unit", "org", "time", "skos",
    "owl", "rdfs", "xsd", "dcterms",
)  # fmt: skip

#: The line after which curators write the facts the source states.
FACTS_MARKER = "# --- Facts stated by this source: add them below this line. ---"

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
#: Graph names the build already uses; a source with one of these slugs would shadow them.
RESERVED_SLUGS = frozenset({"ontology", "entities", "inferred", "shapes", "dataset"})


@dataclass(frozen=True)
class EntityRef:
    """What ``schema:publisher`` or the dateline place points at.

    ``iri`` is absolute. ``new`` means the entity was minted from a name the graph did not
    know: the source file then declares it (type, label, no verified Wikidata item yet).
    """

    iri: str
    label: str
    new: bool = False


@dataclass(frozen=True)
class SourceInfo:
    """The metadata of one source, as given to ``defkg add-source``."""

    slug: str
    title: str
    date: dt.date
    publisher: EntityRef
    sha256: str
    url: str | None = None
    place: EntityRef | None = None
    lang: str = "en"
    doc_type: str = "schema:NewsArticle"


def turtle_string(value: str) -> str:
    """``value`` as a Turtle short string literal (double quotes, escapes for controls)."""
    out = []
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _iri_term(iri: str, iris: IriScheme) -> str:
    """A short form of ``iri``: ``kg:slug`` when it is a plain minted id, else ``<iri>``."""
    local = iri[len(iris.resource) :] if iri.startswith(str(iris.resource)) else None
    if local is not None and _SLUG.fullmatch(local):
        return f"kg:{local}"
    return f"<{iri}>"


def anchors_turtle(slug: str, sentences: list[Sentence], iris: IriScheme) -> str:
    """The anchor section of a source file: one SpecificResource and two selectors a sentence.

    Assumes the prefixes ``src:`` (``{base}id/{slug}/``), ``kg:``, ``oa:`` and ``rdfs:``.
    """
    blocks = []
    for s in sentences:
        blocks.append(
            f"src:s{s.n} a oa:SpecificResource ;\n"
            f'    rdfs:label "sentence {s.n}"@en ;\n'
            f"    oa:hasSource kg:{slug} ;\n"
            f"    oa:hasSelector src:s{s.n}-quote, src:s{s.n}-position .\n"
            f"src:s{s.n}-quote a oa:TextQuoteSelector ;\n"
            f"    oa:exact {turtle_string(s.exact)} .\n"
            f"src:s{s.n}-position a oa:TextPositionSelector ;\n"
            f"    oa:start {s.start} ;\n"
            f"    oa:end {s.end} .\n"
        )
    return "\n".join(blocks)


def _entity_block(ref: EntityRef, rdf_type: str, iris: IriScheme) -> str:
    return (
        f"{_iri_term(ref.iri, iris)} a {rdf_type} ;\n"
        f"    rdfs:label {turtle_string(ref.label)}@en ;\n"
        f"    defkg:wikidataStatus defkg:noVerifiedWikidataItem .\n"
    )


def source_turtle(info: SourceInfo, text: str, iris: IriScheme) -> str:
    """The whole Turtle file of a new source: header, prefixes, document node, anchors.

    ``text`` is the stored (normalised) text; the anchors' offsets index into it. The result
    ends with :data:`FACTS_MARKER`, after which curators add the source's facts.
    """
    prefixes = iris.prefixes()
    doc = f"kg:{info.slug}"
    lines = [
        f"# Source {info.slug}: {info.title}",
        f"# Written by `defkg add-source` from data/{info.slug}.txt; loaded as the named graph",
        f"# <{iris.graph(info.slug)}>.",
        "# The document node and the sentence anchors are generated: do not edit them (their",
        "# offsets index into the text file). Add the facts below the marker at the end and",
        "# cite a sentence with  prov:wasDerivedFrom src:s7 .  See docs/curating.md.",
        "",
    ]
    lines += [f"@prefix {p}: <{prefixes[p]}> ." for p in _FILE_PREFIXES]
    lines.append(f"@prefix src: <{iris.resource}{info.slug}/> .")
    lines.append("")
    props = [
        f"{doc} a {info.doc_type} ;",
        f"    rdfs:label {turtle_string(info.title)}@{info.lang} ;",
        f"    schema:name {turtle_string(info.title)}@{info.lang} ;",
        f'    schema:datePublished "{info.date.isoformat()}"^^xsd:date ;',
        f"    schema:publisher {_iri_term(info.publisher.iri, iris)} ;",
    ]
    if info.url:
        props.append(f"    schema:url <{info.url}> ;")
    if info.place:
        props.append(f"    schema:locationCreated {_iri_term(info.place.iri, iris)} ;")
    props.append(f'    defkg:textFile "data/{info.slug}.txt" ;')
    props.append(f'    defkg:sha256 "{info.sha256}" .')
    lines += props
    lines.append("")
    for ref, rdf_type in ((info.publisher, "defkg:Organization"), (info.place, "defkg:Place")):
        if ref is not None and ref.new:
            lines.append("# Minted from the name given to add-source; move it to data/entities.ttl")
            lines.append("# and link Wikidata once verified (docs/curating.md).")
            lines.append(_entity_block(ref, rdf_type, iris))
    sentences = split_sentences(text)
    lines.append(f"# --- Sentence anchors ({len(sentences)} sentences; generated, do not edit) ---")
    lines.append("")
    lines.append(anchors_turtle(info.slug, sentences, iris))
    lines.append(FACTS_MARKER)
    return "\n".join(lines) + "\n"


# --- add-source: checks, entity lookup, atomic writes ----------------------------------------

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_URL = re.compile(r"https?://[^\s<>\"{}|\\^`]+")


def read_source_text(path: Path) -> str:
    """Read a report as UTF-8 text with ``\\n`` line endings, or refuse saying why and where.

    Nothing else is changed (a leading byte-order mark is dropped: it is not text).
    """
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DefkgError(f"{path}: cannot read the file ({error.strerror})") from None
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        # Same file:line:col form as the loader's parse errors.
        advice = "save the report as plain UTF-8 text (e.g. 'Save as… Text, UTF-8') and try again"
        raise not_utf8(path, data, error, advice) from None
    if "\x00" in text:
        raise DefkgError(
            f"{path}: contains NUL bytes, so it is not plain text (a PDF or Word file?);"
            " export the report as plain UTF-8 text first"
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise DefkgError(f"{path}: the file is empty; there is nothing to add")
    return text


def parse_date(value: str) -> dt.date:
    """``YYYY-MM-DD`` as a date, or a DefkgError that says what was wrong."""
    if _DATE.fullmatch(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise DefkgError(f"--date {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2023-12-27")


def slugify(name: str) -> str:
    """Lower-case ASCII words joined by ``-`` (``"Astana"`` → ``astana``)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_name.lower()))


def content_hash(text: str) -> str:
    """The SHA-256 of the stored text (UTF-8 bytes), hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _label_index(data_dir: Path) -> dict[str, set[str]]:
    """Normalised label → entity IRIs, from ``data/entities.ttl`` (labels and alt labels)."""
    from rdflib import Graph
    from rdflib.namespace import RDFS, SKOS

    from defkg.iris import SCHEMA

    entities = data_dir / "entities.ttl"
    index: dict[str, set[str]] = {}
    if not entities.is_file():
        return index
    graph = Graph()
    try:
        graph.parse(entities, format="turtle")
    except Exception as error:  # rdflib raises many types; the curator needs the message
        raise DefkgError(
            f"{entities}: cannot be parsed, so names cannot be looked up ({error}); "
            "run `defkg validate` for the exact line"
        ) from None
    for prop in (RDFS.label, SKOS.altLabel, SCHEMA.name):
        for subject, label in graph.subject_objects(prop):
            index.setdefault(" ".join(str(label).lower().split()), set()).add(str(subject))
    return index


def resolve_entity(value: str, data_dir: Path, iris: IriScheme) -> EntityRef:
    """Turn ``--publisher``/``--place`` into an entity: an IRI, ``kg:slug``, or a known name.

    A name no entity carries as a label mints ``kg:{slugify(name)}``, marked ``new``.
    """
    value = value.strip()
    if not value:
        raise DefkgError("an empty name was given for --publisher or --place")
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    if _URL.fullmatch(value):
        return EntityRef(value, value)
    if value.startswith("kg:"):
        local = value[3:]
        if not _SLUG.fullmatch(local):
            raise DefkgError(f"{value!r} is not a valid kg: name (lower-case words joined by -)")
        return EntityRef(str(iris.resource) + local, local)
    matches = _label_index(data_dir).get(" ".join(value.lower().split()), set())
    if len(matches) > 1:
        raise DefkgError(
            f"the name {value!r} is a label of several entities ({', '.join(sorted(matches))}); "
            "give the one you mean as kg:slug or <IRI>"
        )
    if matches:
        return EntityRef(matches.pop(), value)
    slug = slugify(value)
    if not slug:
        raise DefkgError(f"cannot make an identifier from the name {value!r}; give kg:slug")
    return EntityRef(str(iris.resource) + slug, value, new=True)


@dataclass(frozen=True)
class AddedSource:
    """What add-source wrote."""

    slug: str
    text_file: Path
    turtle_file: Path
    sentences: int
    new_entities: tuple[EntityRef, ...]


def add_source(
    file: Path,
    *,
    title: str,
    date: str,
    publisher: str,
    data_dir: Path,
    iris: IriScheme,
    url: str | None = None,
    place: str | None = None,
    slug: str | None = None,
    lang: str = "en",
) -> AddedSource:
    """Store ``file`` as ``data/{slug}.txt`` and write ``data/{slug}.ttl``; refuse bad input.

    Refuses (DefkgError, exit 2) text that is not UTF-8, an empty file, a bad date, a text
    already added (same SHA-256 as an existing ``data/*.txt``) and a slug whose files exist.
    """
    text = read_source_text(file)
    published = parse_date(date)
    if not title.strip():
        raise DefkgError("--title is empty; give the report's headline")
    if url is not None and not _URL.fullmatch(url.strip()):
        raise DefkgError(f"--url {url!r} is not an http(s) URL")
    if not re.fullmatch(r"[a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{1,8})*", lang):
        raise DefkgError(f"--lang {lang!r} is not a language tag such as en, ru, kk")
    slug = slug if slug is not None else slugify(file.stem)
    if not _SLUG.fullmatch(slug):
        raise DefkgError(
            f"slug {slug!r} is not lower-case ASCII words joined by '-'; "
            "choose one with --slug, e.g. --slug kz-mod-2024-01-15"
        )
    if slug in RESERVED_SLUGS:
        raise DefkgError(f"slug {slug!r} is the name of a built-in graph; choose another --slug")
    if not data_dir.is_dir():
        raise DefkgError(f"{data_dir}: no such directory; is --root the project?")
    digest = content_hash(text)
    for existing in sorted(data_dir.glob("*.txt")):
        if content_hash(existing.read_bytes().decode("utf-8", "replace")) == digest:
            raise DefkgError(
                f"{file}: this text was already added as {existing} (same SHA-256 {digest[:12]}…);"
                " nothing to do"
            )
    for ext in ("txt", "ttl", "trig"):
        if (data_dir / f"{slug}.{ext}").exists():
            raise DefkgError(
                f"{data_dir / f'{slug}.{ext}'} exists already; adding would overwrite it. "
                "Choose another slug with --slug"
            )
    publisher_ref = resolve_entity(publisher, data_dir, iris)
    place_ref = resolve_entity(place, data_dir, iris) if place else None
    info = SourceInfo(
        slug=slug,
        title=" ".join(title.split()),
        date=published,
        publisher=publisher_ref,
        sha256=digest,
        url=url.strip() if url else None,
        place=place_ref,
        lang=lang,
    )
    turtle = source_turtle(info, text, iris)
    text_file, turtle_file = data_dir / f"{slug}.txt", data_dir / f"{slug}.ttl"
    write_files_atomically(
        [(text_file, text.encode("utf-8")), (turtle_file, turtle.encode("utf-8"))]
    )
    new = tuple(r for r in (publisher_ref, place_ref) if r is not None and r.new)
    return AddedSource(slug, text_file, turtle_file, len(split_sentences(text)), new)
