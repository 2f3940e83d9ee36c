"""The benchmarks' corpus generator, for tests that need a project of many reports."""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent


@functools.cache
def load_generator() -> ModuleType:
    """benchmarks/ is not a package: load generate.py by path (once)."""
    spec = importlib.util.spec_from_file_location(
        "defkg_bench_generate", REPO / "benchmarks" / "generate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def generated_project(root: Path, reports: int) -> Path:
    """A project of ``reports`` synthetic reports (without the real article) at ``root``."""
    load_generator().generate(root, reports, include_real=False)
    return root
