"""Validation findings for people: each with plain-words fixes, so a curator knows what to type
and where. The validator (``defkg.pipeline.validate``) only finds; this module words.

:func:`hint_lines` reads one :class:`~defkg.pipeline.validate.Finding` (file, line, focus, path,
value,
message) and returns the lines printed under it by :func:`format_findings`: what is wrong in plain
words when the message is pyshacl's generic one, and a concrete fix. For a fact without a
source sentence it reads the source's text and names the sentence(s) that state the fact's
figure or words ("add prov:wasDerivedFrom src:s9").
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from defkg.curate.sources import split_sentences
from defkg.pipeline.validate import SEVERITY_ORDER

if TYPE_CHECKING:
    from defkg.pipeline.validate import Finding, ValidationOutcome

_EXAMPLES = {
    "xsd:integer": "a whole number without quotes, e.g. 607",
    "xsd:decimal": "a number without quotes, e.g. 1.8 (or an integer such as 1800000)",
    "xsd:date": 'a date, e.g. "2023-12-26"^^xsd:date',
    "xsd:gYear": 'a year, e.g. "2024"^^xsd:gYear',
    "xsd:gYearMonth": 'a month, e.g. "2023-07"^^xsd:gYearMonth',
    "xsd:string": 'a plain string in quotes, e.g. "KZT" (no @en, no ^^)',
    "rdf:langString": 'a string with a language tag, e.g. "helicopters"@en',
    "xsd:anyURI": 'an address typed as such, e.g. "https://…"^^xsd:anyURI',
    "xsd:boolean": "true or false, without quotes",
    "xsd:nonNegativeInteger": "a whole number ≥ 0 without quotes",
}
_BOUND_ADVICE = (
    'defkg:exactly (a plain figure), defkg:moreThan ("over", "more than"), defkg:atLeast '
    '("at least"), defkg:lessThan, defkg:atMost ("up to") or defkg:approximately ("about")'
)
_DEFAULT_MESSAGES = [
    ("min-count", re.compile(r"^Less than (\d+) values? on")),
    ("max-count", re.compile(r"^More than (\d+) values? on")),
    ("datatype", re.compile(r"^Value is not Literal with datatype (\S+)")),
    ("class", re.compile(r"^Value does not have class (\S+)")),
    ("node-kind", re.compile(r"^Value is not of Node Kind (\S+)")),
    ("pattern", re.compile(r"^Value does not match (?:every )?pattern")),
    ("in", re.compile(r"^Value .* not in list (.*)$")),
    ("has-value", re.compile(r"^Node .* does not contain a value in the set")),
    ("closed", re.compile(r"^Node .* is closed\. It cannot have value: (.*)$")),
    ("range", re.compile(r"^Value is not (?:>|>=|<|<=) (.*)$")),
    ("length", re.compile(r"^String length not (?:>=|<=) (\d+)")),
    ("language", re.compile(r"^String language is not in|^More than one String shares")),
    (
        "shape",
        re.compile(
            r"^(?:Value does not conform to|Value must conform|Focus node does not"
            r" conform|Node .* must not conform)"
        ),
    ),
]


def unknown_term(term: str, closest: str | None) -> str:
    """A ``defkg:`` term the ontology does not define (a typo, or a term not yet added)."""
    if closest:
        return f"not a term of the ontology: did you mean {closest}?"
    return "not a term of the ontology: define it in ontology/ (with rdfs:label and rdfs:comment)"


def unconstrained_property(prop: str) -> str:
    """A property of the data no shape constrains: nothing checks its values."""
    return (
        f"no shape constrains {prop}: nothing checks its values; add a property shape for it "
        "in shapes/ (or make it a sub-property of one that has one)"
    )


#: a figure written in quotes, as findings show values: "430" or "430"^^xsd:string
_NUMBER_IN_QUOTES = re.compile(r'"([+-]?[\d,]*\.?\d+)"(?:\^\^xsd:string)?')


def datatype_slip(finding: Finding) -> str | None:
    """The message for a figure written as a string (``"430"``) where a number belongs, or
    None: whatever constraint it failed (a range, a datatype), its datatype is the mistake, and
    the shape's own message ("a count cannot be negative") would mislead."""
    found = _NUMBER_IN_QUOTES.fullmatch(finding.value or "")
    if found is None:
        return None
    where = f" of {finding.path}" if finding.path else ""
    return (
        f'the value "{found.group(1)}"{where} is a string (it is in quotes), not a number: '
        "a literal of the wrong datatype"
    )


def classify(message: str) -> tuple[str, str | None]:
    """The kind of a pyshacl generic message and its argument, or ("custom", None)."""
    for kind, pattern in _DEFAULT_MESSAGES:
        m = pattern.search(message)
        if m:
            return kind, (m.group(1) if m.groups() else None)
    return "custom", None


def _what(finding: Finding) -> str:
    who = finding.focus_text or "this node"
    if finding.focus_label:
        who += f' ("{finding.focus_label}")'
    return who


def hint_lines(finding: Finding) -> list[str]:
    """Lines to print under a finding: the problem in plain words, then ``fix: …``."""
    kind, arg = classify(finding.message)
    path = finding.path or "the property"
    value = finding.value
    what: str | None = None
    fix: str | None = None
    if path == "prov:wasDerivedFrom" and kind in ("min-count", "custom", "class"):
        what = f"{_what(finding)} does not cite the sentence that states it"
        fix = _sentence_fix(finding)
    elif path == "prov:wasAttributedTo" and kind in ("min-count", "custom"):
        what = f"{_what(finding)} does not say who said it"
        fix = _speaker_fix(finding)
    elif kind == "min-count":
        what = f"{_what(finding)} has no {path}"
        fix = f"add  {path} … ;  to the block that starts on this line"
        if path == "defkg:bound":
            fix = f"add  defkg:bound defkg:exactly ;  (or {_BOUND_ADVICE})"
        elif path == "rdfs:label":
            fix = 'add  rdfs:label "…"@en ;  (how a person reads it: "over 500 military personnel")'
    elif kind == "max-count":
        what = f"{_what(finding)} has more than {arg} value(s) for {path}"
        fix = (
            f"keep {arg} and delete the others; two different figures or dates are two facts "
            "(give each its own node)"
        )
    elif kind == "datatype":
        what = f"the value {value} of {path} is not {arg}"
        example = _EXAMPLES.get(arg or "", f"a literal typed {arg}")
        fix = f"write it as {example}"
    elif kind == "class":
        what = f"the value {value} of {path} is not a {arg}"
        fix = f"point {path} at a {arg}, or declare  {value} a {arg} .  where it is defined"
        if arg == "defkg:Bound":
            fix = f"use one of {_BOUND_ADVICE}"
        elif arg == "oa:SpecificResource":
            fix = "point it at a sentence anchor of the source, e.g. src:s7"
    elif kind == "node-kind":
        what = f"the value {value} of {path} has the wrong kind ({arg})"
        fix = (
            "use an IRI (kg:…, wd:Q…) instead of a string"
            if arg and "IRI" in arg
            else "use a literal (a string, number or date) instead of an IRI"
        )
    elif kind == "pattern":
        what = f"the value {value} of {path} does not have the expected form"
        fix = "compare it with the other values of the same property in the project"
    elif kind == "in":
        what = f"{value} is not an allowed value of {path}"
        fix = f"use one of {arg}"
    elif kind == "closed":
        what = f"{path} is not allowed on {_what(finding)}"
        fix = "check the property name for a typo (see ontology/defkg.ttl for the terms)"
    elif kind == "range":
        what = f"the value {value} of {path} is out of range (it must be {arg} or beyond)"
        fix = "check the figure against the source sentence"
    elif kind == "length":
        what = f"the value {value} of {path} has the wrong length"
        fix = f"make it {arg} characters at most/least as the message says"
    elif kind == "language":
        what = f"the language tags of {path} are wrong"
        fix = 'give each string one tag, e.g. "…"@en, and at most one string per language'
    elif kind == "shape":
        what = f"the value {value} of {path} does not have what it needs"
        fix = f"look at the findings for {value} itself (they say which property it lacks)"
    if value and re.fullmatch(r'"[\d.,]+"(?:\^\^xsd:string)?', value):
        # The commonest slip: a figure typed as a string ("500") instead of a number.
        number = value.split('"')[1].replace(",", "")
        fix = f"write the number without quotes (and without commas): {number}"
    lines = []
    if what and kind != "custom":
        lines.append(f"means: {what}")
    if fix:
        lines.append(f"fix: {fix}")
    return lines


def _text_of(finding: Finding) -> tuple[str, str] | None:
    """The source text (and slug) behind the Turtle file a finding is in, if any."""
    file = finding.file
    if file is None:
        return None
    text_file = Path(file).with_suffix(".txt")
    if not text_file.is_file():
        return None
    try:
        return text_file.read_text(encoding="utf-8"), text_file.stem
    except (OSError, UnicodeDecodeError):
        return None


def _number_forms(token: str) -> set[str]:
    digits = token.replace(",", "")
    forms = {token, digits}
    if digits.isdigit() and len(digits) > 3:
        forms.add(f"{int(digits):,}")
    return forms


def _sentence_fix(finding: Finding) -> str:
    """``add prov:wasDerivedFrom src:sN`` with N the sentence that states the fact, if found."""
    found = _text_of(finding)
    generic = "add  prov:wasDerivedFrom src:s… ;  (the sentence that states it; "
    if found is None:
        return generic + "the source's .ttl file lists the anchors)"
    text, slug = found
    sentences = split_sentences(text)
    label = finding.focus_label or ""
    lowered = label.lower()
    matches = [s for s in sentences if lowered and lowered in s.exact.lower()]
    if not matches:
        numbers = re.findall(r"\d[\d,]*(?:\.\d+)?", label)
        if numbers:
            matches = [
                s for s in sentences
                if all(any(re.search(rf"(?<![\d,.]){re.escape(f)}(?![\d,]\d)", s.exact)
                           for f in _number_forms(n)) for n in numbers)
            ]  # fmt: skip
    if len(matches) == 1:
        s = matches[0]
        quote = s.exact if len(s.exact) <= 70 else s.exact[:69] + "…"
        return f'add  prov:wasDerivedFrom src:s{s.n} ;  (sentence {s.n}: "{quote}")'
    if matches:
        options = ", ".join(f"src:s{s.n}" for s in matches)
        return f"add  prov:wasDerivedFrom src:s… ;  with the sentence that states it: {options}"
    return generic + f"`defkg suggest {slug}` lists the sentences)"


def _speaker_fix(finding: Finding) -> str:
    """``add prov:wasAttributedTo kg:…``, naming the speaker the file's other facts cite."""
    file = finding.file
    speakers: dict[str, int] = {}
    if file is not None and Path(file).is_file():
        for m in re.finditer(r"prov:wasAttributedTo\s+([\w:-]+)", Path(file).read_text("utf-8")):
            speakers[m.group(1)] = speakers.get(m.group(1), 0) + 1
    if speakers:
        best = max(sorted(speakers), key=lambda k: speakers[k])
        return (
            f"add  prov:wasAttributedTo {best} ;  (the speaker the other facts of this file cite)"
        )
    return "add  prov:wasAttributedTo kg:… ;  (the person or press office who said it)"


def format_findings(outcome: ValidationOutcome) -> str:
    """The findings grouped by file, one line each with its plain-words hints under it, then a
    count by severity (what ``defkg build`` and ``defkg validate`` print)."""
    if not outcome.findings:
        return "validation: no findings"
    lines: list[str] = []
    current: object = object()
    for finding in outcome.findings:
        if finding.file != current:
            current = finding.file
            lines.append(f"{finding.file or '(no file)'}:")
        slip = datatype_slip(finding)
        shown = finding if slip is None else replace(finding, message=slip)
        lines.append("  " + shown.format())
        lines.extend("      " + hint for hint in hint_lines(finding))
    counts: defaultdict[str, int] = defaultdict(int)
    for finding in outcome.findings:
        counts[finding.severity] += 1
    summary = ", ".join(f"{counts[s]} {s.lower()}(s)" for s in SEVERITY_ORDER if counts[s])
    lines.append(f"validation: {summary}")
    return "\n".join(lines)
