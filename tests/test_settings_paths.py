"""Every path of the settings is resolved once, when the settings are made, however they are made:
from the environment, by ``Settings(dist=Path("dist"))`` in code, or by a copy with changes.

The app built in code from relative settings serves its downloads over real HTTP even after the
working directory has changed (a relative ``dist`` handed to Flask's ``send_file`` is taken from
the package's folder instead, which made every download a 500)."""

from __future__ import annotations

import shutil
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from werkzeug.serving import BaseWSGIServer, make_server

from defkg.config import Settings, settings_from_env


@pytest.mark.parametrize(
    "make",
    [
        lambda: Settings(dist=Path("dist"), root=Path(".")),
        lambda: Settings(dist="dist", root="."),  # type: ignore[arg-type]
        lambda: Settings().with_overrides(dist=Path("dist")),
        lambda: replace(Settings(dist=Path("/elsewhere")), dist=Path("dist")),
        lambda: settings_from_env({"DEFKG_DIST": "dist", "DEFKG_ROOT": "."}),
    ],
    ids=["constructor", "strings", "overrides", "replace", "environment"],
)
def test_relative_paths_are_absolute_once_the_settings_are_made(
    make, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = make()
    assert settings.dist == tmp_path.resolve() / "dist"
    assert settings.root == tmp_path.resolve()
    assert isinstance(settings.dist, Path) and isinstance(settings.root, Path)
    monkeypatch.chdir(tmp_path.parent)  # later changes of directory change nothing
    assert settings.dist == tmp_path.resolve() / "dist"
    assert settings.ontology_dir == tmp_path.resolve() / "ontology"


@pytest.fixture
def app_from_code(
    fixture_release: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Path]]:
    """An app made in code from ``Settings(dist=Path("dist"))`` in a site folder, served over
    HTTP by werkzeug's server after the working directory moved elsewhere."""
    from defkg.web.app import create_app

    site = tmp_path / "site"
    shutil.copytree(fixture_release, site / "dist")
    monkeypatch.chdir(site)
    settings = Settings(dist=Path("dist"))
    monkeypatch.chdir(tmp_path)
    app = create_app(settings)
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/", site / "dist"
    finally:
        server.shutdown()
        app.extensions["defkg"].close()


def test_an_app_made_in_code_from_relative_settings_serves_its_downloads(
    app_from_code: tuple[str, Path],
) -> None:
    url, dist = app_from_code
    for name in ("SHA256SUMS", "defkg.trig"):
        with urllib.request.urlopen(url + "download/" + name, timeout=30) as answer:
            assert answer.status == 200
            assert answer.read() == (dist / name).read_bytes(), name
