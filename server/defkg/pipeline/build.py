"""Run the pipeline: load → reason → validate → derive → publish, with progress and timings on
stderr."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from defkg.config import Settings
from defkg.curate.hints import format_findings
from defkg.errors import DefkgError, ValidationFailed
from defkg.pipeline import cache
from defkg.pipeline.derive import Derived, derive
from defkg.pipeline.load import Project, load_project
from defkg.pipeline.publish import publish
from defkg.pipeline.reason import infer_by_graph
from defkg.pipeline.rules import rule_findings
from defkg.pipeline.validate import Finding, ValidationOutcome, validate

T = TypeVar("T")


class Progress:
    """One line per stage on stderr: what it did, the counts, and how long it took."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def stage(self, name: str, work: Callable[[], T], describe: Callable[[T], str]) -> T:
        start = time.perf_counter()
        result = work()
        if not self.quiet:
            elapsed = time.perf_counter() - start
            print(f"defkg: {name}: {describe(result)} ({elapsed:.2f} s)", file=sys.stderr)
        return result

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, file=sys.stderr)


def check(settings: Settings, *, quiet: bool = False) -> ValidationOutcome:
    """Load, reason and validate; write nothing. Raise ValidationFailed on a violation."""
    _project, _inferences, outcome, _derived = _checked(
        settings, Progress(quiet), write_cache=False
    )
    return outcome


def build(settings: Settings, *, quiet: bool = False) -> Path:
    """Load, reason, validate, derive and publish the release; return the release directory."""
    progress = Progress(quiet)
    cache.begin_build()
    project, inferences, outcome, derived = _checked(settings, progress)
    release = progress.stage(
        "publish",
        lambda: publish(project, inferences, outcome, settings, derived=derived.lines),
        lambda path: f"release written to {path}",
    )
    # what this build did not use belongs to inputs that are gone
    cache.prune()
    return release


def require_valid_base(settings: Settings) -> None:
    """A usage error (exit 2) for a base IRI the IRI scheme refuses, before any work."""
    try:
        settings.iris  # noqa: B018 (building the scheme is the check)
    except ValueError as error:
        raise DefkgError(f"--base / DEFKG_BASE: {error}") from None


def _checked(settings: Settings, progress: Progress, *, write_cache: bool = True):
    require_valid_base(settings)
    project: Project = progress.stage(
        "load",
        lambda: load_project(settings, write_cache=write_cache),
        lambda p: (
            f"{len(p.files)} graphs, {sum(len(p.lines(n)) for n in p.files)} triples "
            f"({p.read_anew} files parsed, the rest known from the cache), "
            f"{len(p.shapes)} shape triples"
        ),
    )
    parts = progress.stage(
        "reason",
        lambda: infer_by_graph(project, settings, write_cache=write_cache),
        lambda p: f"{sum(len(t) for t in p.values())} inferred triples",
    )
    outcome = progress.stage(
        "validate",
        lambda: with_rules(
            validate(project, None, settings, inferred_by_graph=parts, write_cache=write_cache),
            project,
            settings,
            write_cache=write_cache,
        ),
        lambda o: _counts(o),
    )
    if not outcome.conforms:
        raise ValidationFailed(
            f"validation failed: {len(outcome.violations)} violation(s); nothing was published",
            format_findings(outcome),
        )
    if outcome.findings:
        progress.say(format_findings(outcome))
    # after validation: it compares valid reports; its own warnings never stop a build
    derived: Derived = progress.stage(
        "derive",
        lambda: derive(project, settings, write_cache=write_cache, inferences=parts),
        lambda d: (
            f"{len(d.lines)} triples across reports, {len(d.warnings)} warning(s) "
            f"({d.summarised} of {d.graphs} graphs summarised, {d.compared} of "
            f"{d.comparisons} comparisons drawn, the rest known from the cache)"
        ),
    )
    for warning in derived.warnings:
        progress.say(warning)
    return project, parts, outcome, derived


def with_rules(
    outcome: ValidationOutcome, project: Project, settings: Settings, *, write_cache: bool = False
) -> ValidationOutcome:
    """``outcome`` with the curators' rules' findings (:mod:`defkg.pipeline.rules`) added:
    a rule CI enforces, the build enforces (its cache written only with ``write_cache``)."""
    extra = rule_findings(project, settings, write_cache=write_cache)
    if not extra:
        return outcome
    # what SHACL says of a misspelt term itself ("no English label") follows from the typo,
    # which the rule names: only the rule's finding is shown
    unknown = {f.focus for f in extra if f.severity == "Violation"}
    kept = [f for f in outcome.findings if f.focus not in unknown]
    findings = sorted([*kept, *extra], key=Finding.sort_key)
    conforms = outcome.conforms and all(f.severity != "Violation" for f in extra)
    return ValidationOutcome(conforms, findings, outcome.report)


def _counts(outcome: ValidationOutcome) -> str:
    if not outcome.findings:
        return "conforms"
    severities = [f.severity for f in outcome.findings]
    return ", ".join(f"{severities.count(s)} {s.lower()}(s)" for s in sorted(set(severities)))
