"""The project's front door: the README's Quick start, the package's console script and test
extra, `.ci/run`, and the curator's guide linked from the README with the topics it must teach."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from defkg import __version__

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    """The body of the ``## {heading}`` section of a Markdown text."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"no '## {heading}' section"
    return match.group(1)


def quick_start_commands() -> list[str]:
    body = section(README, "Quick start")
    blocks = re.findall(r"```\w*\n(.*?)```", body, re.S)
    assert len(blocks) == 1, "Quick start holds one block of commands"
    return [line.strip() for line in blocks[0].splitlines() if line.strip()]


def test_the_readme_opens_with_what_defkg_is_and_a_quick_start() -> None:
    first_heading, *_ = re.findall(r"^## .*$", README, re.M)
    assert first_heading == "## Quick start"
    intro = README[: README.index(first_heading)]
    assert "linked-data" in intro and "knowledge" in intro


def test_quick_start_is_exactly_two_commands_install_and_serve_then_test() -> None:
    install_and_run, run_tests = quick_start_commands()
    assert "pip install" in install_and_run and "'.[test]'" in install_and_run
    assert install_and_run.endswith("defkg serve")  # builds if needed, then serves
    assert run_tests == "python -m pytest"


def test_ci_installs_from_scratch_and_runs_the_readmes_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert (ROOT / ".ci" / "run").stat().st_mode & 0o111, ".ci/run is executable"
    assert "set -euo pipefail" in script  # any failure fails CI
    assert re.search(r"pip install .*-e '\.\[test\]'", script)
    commands = [line.strip() for line in script.splitlines() if line.strip()]
    assert commands[-1] == quick_start_commands()[-1]


def test_the_package_declares_its_console_script_and_test_extra() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["scripts"] == {"defkg": "defkg.cli:main"}
    extra = " ".join(project["optional-dependencies"]["test"])
    for needed in ("pytest", "sparqlwrapper", "playwright"):
        assert needed in extra.lower(), needed


def test_the_installed_console_script_runs() -> None:
    program = shutil.which("defkg")
    if program is None:
        pytest.fail("`defkg` is not on PATH: run the Quick start's first command")
    done = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and __version__ in done.stdout


@pytest.mark.parametrize("folder", ["ontology", "data", "shapes", "queries", "server", "tests"])
def test_the_layout_has_its_folders(folder: str) -> None:
    assert (ROOT / folder).is_dir() and any((ROOT / folder).iterdir())


# --- the curator's guide -------------------------------------------------------------------------

GUIDE = ROOT / "docs" / "curating.md"


def test_the_readme_links_the_curators_guide() -> None:
    assert "](docs/curating.md)" in README and GUIDE.is_file()


@pytest.mark.parametrize(
    ("topic", "words"),
    [
        ("how to add a report, step by step", ["defkg add-source", "defkg suggest", "defkg build"]),
        ("the seed article as the worked example", ["kz-mod-2023-12-27"]),
        ("which classes to use for what", ["Which class for what"]),
        ("how to state bounds", ["defkg:moreThan", "defkg:atLeast"]),
        ("how to state units", ["defkg:unit", "unit:"]),
        ("relative dates", ["next year", "defkg:Interpretation"]),
        ("data-quality findings", ["defkg:DataQualityFinding"]),
        ("reading the errors", ["Reading the errors"]),
    ],
)
def test_the_guide_teaches(topic: str, words: list[str]) -> None:
    text = GUIDE.read_text(encoding="utf-8")
    missing = [w for w in words if w not in text]
    assert not missing, f"docs/curating.md does not cover {topic}: no {missing}"


def test_the_guide_links_wikidata_only_from_two_sources_never_memory() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    wikidata = next(s for s in re.split(r"^## ", text, flags=re.M) if "Wikidata" in s[:40])
    for needed in ("two independent", "Never link from memory", "http://www.wikidata.org/entity/",
                   "defkg:noVerifiedWikidataItem"):  # fmt: skip
        assert needed in wikidata, needed


def test_only_the_settings_read_the_environment() -> None:
    """Every DEFKG_* setting is a field of config.Settings, read there: a module that read
    os.environ itself would have a setting no page documents and no flag overrides."""
    import ast

    server = Path(__file__).resolve().parent.parent / "server" / "defkg"
    readers = []
    for path in sorted(server.rglob("*.py")):
        if path.name == "config.py" and path.parent == server:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "os"
                and node.attr in {"environ", "getenv", "environb", "getenvb"}
            ):
                readers.append(f"{path.relative_to(server)}:{node.lineno}")
    assert readers == [], f"read the environment outside defkg.config: {readers}"
