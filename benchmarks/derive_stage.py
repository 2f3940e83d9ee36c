"""The cross-source stage alone, this checkout's against another's, on one generated corpus.

    python benchmarks/generate.py --triples 1000000 --out /tmp/derive-1m/corpus
    defkg build --root /tmp/derive-1m/corpus          # once: fills the load and reason caches
    git show <commit>:server/defkg/pipeline/derive.py > /tmp/derive_before.py
    python benchmarks/derive_stage.py --root /tmp/derive-1m/corpus --before /tmp/derive_before.py \\
        --json /tmp/derive-stage.json

The project is loaded and reasoned once (from the build's caches), then each version of
``derive`` runs on the same loaded project, each with a cache folder of its own under
``--scratch``: without a cache (the full build's stage), again with nothing changed (this
checkout only), and after one report was edited as ``run.py`` edits it (the incremental
build's stage). Wall time and CPU time (this process and its worker processes) of each run,
and the load average. Every run must give the same lines and warnings, or the benchmark
fails. The corpus is edited in place (one report's label).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # benchmarks/run.py: machine() and the incremental build's edit
from defkg.config import Settings
from defkg.pipeline import derive as this
from defkg.pipeline.load import Project, load_project
from defkg.pipeline.reason import infer_by_graph


def module_from(path: Path) -> ModuleType:
    """``path`` (another checkout's derive.py) imported as a module of its own."""
    spec = importlib.util.spec_from_file_location("derive_before", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"{path}: not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules["derive_before"] = module
    spec.loader.exec_module(module)
    return module


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, required=True, help="a generated corpus, built once")
    parser.add_argument("--before", type=Path, required=True, help="another checkout's derive.py")
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/defkg-derive-stage"))
    parser.add_argument("--json", type=Path, default=None, help="write the raw results here")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    before = module_from(args.before)
    shutil.rmtree(args.scratch, ignore_errors=True)
    os.chdir(root)
    settings = Settings(root=root, dist=root / "dist")
    results: dict[str, Any] = {
        "machine": run.machine(),
        "root": str(root),
        "before": str(args.before),
    }

    def project_now() -> tuple[Project, dict]:
        project = load_project(settings, write_cache=False)
        return project, infer_by_graph(project, settings, write_cache=False)

    def timed(name: str, stage: Callable[..., Any], folder: str, project: Project, parts: dict):
        own = settings.with_overrides(dist=args.scratch / folder / "dist")
        start, cpu = time.perf_counter(), cpu_seconds()
        derived = stage(project, own, write_cache=True, inferences=parts)
        row = {
            "wall_s": round(time.perf_counter() - start, 2),
            "cpu_s": round(cpu_seconds() - cpu, 2),
            "lines": len(derived.lines),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        }
        for counter in ("summarised", "graphs", "compared", "comparisons"):
            if hasattr(derived, counter):
                row[counter] = getattr(derived, counter)
        results[name] = row
        print(name, row, file=sys.stderr, flush=True)
        if args.json:
            args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        return derived

    project, parts = project_now()
    old = timed("before, no cache", before.derive, "before", project, parts)
    new = timed("this, no cache", this.derive, "this", project, parts)
    warm = timed("this, nothing changed", this.derive, "this", project, parts)
    results["changed"] = str(run.change_one_report(root))
    project, parts = project_now()
    old_again = timed("before, one report changed", before.derive, "before", project, parts)
    new_again = timed("this, one report changed", this.derive, "this", project, parts)
    results["load average at end"] = [round(x, 2) for x in os.getloadavg()]
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    for a, b in ((old, new), (new, warm), (old_again, new_again)):
        if (a.lines, a.warnings) != (b.lines, b.warnings):
            print("BENCHMARK FAILED: the two versions derive different lines", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
