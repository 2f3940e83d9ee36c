"""Downloads of the release files through a real `defkg serve`: media types, attachments,
gzip, ETag/304 from SHA256SUMS, and no way out of the release directory."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from defkg.release import parse_checksums
from defkg.web.downloads import accepts_gzip, release_file
from test_pages_support import fetch, serve, write_pages_release


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("downloads")
    dist = write_pages_release(root / "dist")
    # A file beside the release that no request may reach.
    (root / "secret.txt").write_text("not for download\n")
    for url in serve(dist, root):
        yield url, dist


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("defkg.trig", "application/trig"),
        ("defkg.ttl", "text/turtle"),
        ("defkg.ttl.gz", "application/gzip"),
        ("void.ttl", "text/turtle"),
        ("SHA256SUMS", "text/plain"),
    ],
)
def test_each_release_file_downloads_as_itself(
    release: tuple[str, Path], name: str, media_type: str
) -> None:
    url, dist = release
    answer = fetch(f"{url}download/{name}")
    assert answer.status == 200
    assert answer.headers["content-type"].startswith(media_type)
    assert answer.headers["content-disposition"] == f"attachment; filename={name}"
    assert answer.body == (dist / name).read_bytes()
    assert "content-encoding" not in answer.headers


def test_etag_is_the_files_checksum_and_revalidates_to_304(release: tuple[str, Path]) -> None:
    url, dist = release
    sums = parse_checksums((dist / "SHA256SUMS").read_text())
    answer = fetch(f"{url}download/defkg.trig")
    assert answer.headers["etag"] == f'"{sums["defkg.trig"]}"'
    assert sums["defkg.trig"] == hashlib.sha256(answer.body).hexdigest()
    assert answer.headers["last-modified"] == "Thu, 28 Dec 2023 00:00:00 GMT"
    assert "max-age" in answer.headers["cache-control"]
    again = fetch(f"{url}download/defkg.trig", {"If-None-Match": answer.headers["etag"]})
    assert again.status == 304 and again.body == b""
    since = fetch(
        f"{url}download/defkg.trig", {"If-Modified-Since": answer.headers["last-modified"]}
    )
    assert since.status == 304


def test_a_client_that_accepts_gzip_gets_the_gz_twin(release: tuple[str, Path]) -> None:
    url, dist = release
    answer = fetch(f"{url}download/defkg.ttl", {"Accept-Encoding": "gzip"})
    assert answer.status == 200
    assert answer.headers["content-encoding"] == "gzip"
    assert answer.headers["content-type"].startswith("text/turtle")
    assert "Accept-Encoding" in answer.headers["vary"]
    assert gzip.decompress(answer.body) == (dist / "defkg.ttl").read_bytes()
    plain = fetch(f"{url}download/defkg.ttl", {"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in plain.headers
    assert answer.headers["etag"] != fetch(f"{url}download/defkg.ttl").headers["etag"]


@pytest.mark.parametrize(
    "path",
    [
        "download/../pyproject.toml",
        "download/..%2fsecret.txt",
        "download/..%2Fsecret.txt",
        "download/%2e%2e%2fsecret.txt",
        "download/%2e%2e/secret.txt",
        "download/..%5csecret.txt",
        "download/%2fetc%2fpasswd",
        "download//etc/passwd",
        "download/%252e%252e%252fsecret.txt",
        "download/.defkg-cache",
        "download/./SHA256SUMS",
        "download/",
        "download/no-such-file.ttl",
        "download/defkg.trig%00.txt",
    ],
)
def test_nothing_outside_the_release_is_reachable(release: tuple[str, Path], path: str) -> None:
    url, _ = release
    answer = fetch(url + path)
    if answer.status in (301, 308):
        # Werkzeug merges doubled slashes with a redirect; where it leads must be a 404 too.
        assert answer.headers["location"].split("/download/", 1)[0] in (url.rstrip("/"), "")
        answer = fetch(
            url + answer.headers["location"].split(url.rstrip("/") + "/")[-1].lstrip("/")
        )
    assert answer.status in (404, 400), (path, answer.status)
    assert b"not for download" not in answer.body
    assert b"root:" not in answer.body


def test_release_file_accepts_only_plain_names_listed_in_the_directory(tmp_path: Path) -> None:
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "a.ttl").write_text("x")
    (tmp_path / "outside.ttl").write_text("y")
    (tmp_path / "dist" / "link.ttl").symlink_to(tmp_path / "outside.ttl")
    dist = tmp_path / "dist"
    assert release_file(dist, "a.ttl") == dist / "a.ttl"
    for name in ("../outside.ttl", "link.ttl", "/etc/passwd", "..", ".", "", "a.ttl/", "..\\a"):
        assert release_file(dist, name) is None, name


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("deflate, gzip;q=0.5", True),
        ("gzip;q=0", False),
        ("identity", False),
        (None, False),
        ("*", True),
    ],
)
def test_accepts_gzip(header: str | None, expected: bool) -> None:
    assert accepts_gzip(header) is expected
