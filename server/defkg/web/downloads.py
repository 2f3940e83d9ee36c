"""Blueprint: the release files at ``/download/<file>``, and what the pages say about them.

:func:`release_info` reads the served release once (its ``SHA256SUMS``, file sizes, the
release date and licence from ``void.ttl``) and gives every view the same ETag and
Last-Modified. :func:`release_file` is the only way a request name becomes a path: it must be
the exact name of a regular file directly inside the release directory, so no spelling of
``../`` (plain, percent-encoded, absolute, backslashed) can reach anything else.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from flask import Blueprint, abort, current_app, request, send_file
from flask.typing import ResponseReturnValue
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF

from defkg import formats
from defkg.config import Settings
from defkg.iris import DCAT, VOID
from defkg.release import FILE_DESCRIPTIONS, SUMS, VOID_FILE, Release

blueprint = Blueprint("downloads", __name__)


@dataclass
class ReleaseFile:
    """One file of the release as the home page lists it."""

    name: str
    size: int
    sha256: str
    media_type: str
    description: str


@dataclass
class ReleaseInfo:
    """What the web layer needs to know about the release it serves."""

    directory: Path
    checksums: dict[str, str]  #: file name -> SHA-256, from SHA256SUMS
    tag: str  #: a short digest of SHA256SUMS: changes whenever any file changes
    modified: datetime  #: the release date (for Last-Modified)
    version: str | None
    license: str | None
    void: Graph = field(default_factory=Graph)
    files: list[ReleaseFile] = field(default_factory=list)


def media_type_for(name: str) -> str:
    """The media type a release file is served with (text types in UTF-8)."""
    media_type = formats.media_type_for_file(name)
    return f"{media_type}; charset=utf-8" if media_type == "text/plain" else media_type


def _release_date(void: Graph, sums_path: Path) -> datetime:
    """The newest ``dcterms:modified``/``issued`` date in the VoID, else SHA256SUMS's mtime."""
    dates = []
    for prop in (DCTERMS.modified, DCTERMS.issued):
        for value in void.objects(None, prop):
            if isinstance(value, Literal):
                try:
                    parsed = datetime.fromisoformat(str(value)[:19])
                except ValueError:
                    continue
                dates.append(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))
    if dates:
        return max(dates)
    return datetime.fromtimestamp(int(sums_path.stat().st_mtime), tz=UTC)


def read_release_info(release: Release) -> ReleaseInfo:
    """What the pages say about a release. Raises ``FileNotFoundError`` when it has no
    SHA256SUMS."""
    directory = release.directory
    sums_path = release.path(SUMS)
    checksums = release.checksums
    void = Graph()
    if release.path(VOID_FILE).is_file():
        void.parse(release.path(VOID_FILE), format="turtle")
    version = None
    license_ = None
    for dataset in sorted(void.subjects(RDF.type, VOID.Dataset), key=str):
        version = version or _str(
            void.value(dataset, URIRef("http://www.w3.org/2002/07/owl#versionInfo"))
        )
        license_ = license_ or _str(void.value(dataset, DCTERMS.license))
    for dated in sorted(void.subjects(RDF.type, DCAT.Dataset), key=str):  # dataset/{version}
        license_ = license_ or _str(void.value(dated, DCTERMS.license))
    files = []
    for name in sorted({*checksums, SUMS}):
        path = release.path(name)
        if "/" not in name and path.is_file():  # queries/… are not downloads
            files.append(
                ReleaseFile(
                    name=name,
                    size=path.stat().st_size,
                    sha256=checksums.get(name, ""),
                    media_type=media_type_for(name).split(";")[0],
                    description=FILE_DESCRIPTIONS.get(name.removesuffix(".gz"), "")
                    + (" — gzip" if name.endswith(".gz") else ""),
                )
            )
    return ReleaseInfo(
        directory=directory,
        checksums=checksums,
        tag=release.tag,
        modified=_release_date(void, sums_path),
        version=version,
        license=license_,
        void=void,
        files=files,
    )


def _str(node: object) -> str | None:
    return str(node) if node is not None else None


def current_release() -> Release:
    """The release the app serves (the Publication's)."""
    return current_app.extensions["defkg"].release


def current_settings() -> Settings:
    """The app's settings (the Publication's)."""
    settings: Settings = current_app.extensions["defkg"].settings
    return settings


def release_info() -> ReleaseInfo | None:
    """The served release, read once and re-read when its SHA256SUMS changes; None if absent."""
    release = current_release()
    directory = release.directory
    sums = release.path(SUMS)
    try:
        stat = sums.stat()
    except OSError:
        return None
    key = (str(directory), stat.st_mtime_ns, stat.st_size)
    cache = current_app.extensions.setdefault("defkg.release_info", {})
    if cache.get("key") != key:
        cache["info"] = read_release_info(release)
        cache["key"] = key
    return cache["info"]


def release_file(directory: Path, name: str) -> Path | None:
    """The file ``name`` inside ``directory``, or None unless it is exactly the name of a
    regular file listed directly in it (no separators, no dot-files, no symlinks out)."""
    if not name or "/" in name or "\\" in name or "\x00" in name or name.startswith("."):
        return None
    try:
        listed = {entry.name for entry in directory.iterdir()}
    except OSError:
        return None
    if name not in listed:
        return None
    path = directory / name
    if path.is_symlink() or not path.is_file():
        return None
    return path


def accepts_gzip(header: str | None) -> bool:
    """True when an ``Accept-Encoding`` header allows gzip (``gzip;q=0`` does not)."""
    for entry in (header or "").split(","):
        coding, _, params = entry.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            q = (
                params.strip().removeprefix("q=").strip()
                if params.strip().startswith("q=")
                else "1"
            )
            try:
                return float(q) > 0
            except ValueError:
                return False
    return False


@blueprint.get("/download/<path:name>")
def download(name: str) -> ResponseReturnValue:
    """A release file as an attachment; the ``.gz`` twin with ``Content-Encoding: gzip`` when
    the client accepts it; ETag from SHA256SUMS; 404 for anything not in the release."""
    info = release_info()
    if info is None:
        abort(404, description="No release has been published yet: run `defkg build`.")
    path = release_file(info.directory, name)
    if path is None:
        abort(404, description=f"There is no release file named {name!r}.")
    encoded = None
    if not name.endswith(".gz") and accepts_gzip(request.headers.get("Accept-Encoding")):
        encoded = release_file(info.directory, name + ".gz")
    source = encoded or path
    digest = info.checksums.get(source.name) or hashlib.sha256(source.read_bytes()).hexdigest()
    response = send_file(
        source,
        mimetype=media_type_for(name),
        as_attachment=True,
        download_name=name,
        etag=digest,
        last_modified=info.modified,
        max_age=3600,
        conditional=True,
    )
    if encoded is not None:
        response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    response.cache_control.public = True
    return response
