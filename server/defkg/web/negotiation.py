"""HTTP content negotiation: parse an ``Accept`` header and choose among offered media types.

Plain functions, no Flask: the SPARQL endpoint and the linked-data pages both call
:func:`choose`, and answer ``406 Not Acceptable`` (listing :func:`offered_list`) when it
returns ``None``.

Rules (RFC 9110 §12.5.1):

- each media range may carry a ``q`` weight in [0, 1] (default 1); ``q=0`` means "not this";
- for each offered type the *most specific* matching range decides its weight
  (``type/subtype`` beats ``type/*`` beats ``*/*``), so ``*/*;q=0.1, text/html`` gives
  HTML 1 and everything else 0.1, and ``text/*, text/csv;q=0`` excludes CSV;
- the offered type with the highest weight wins; ties go to the server's order;
- a missing or empty ``Accept`` header accepts anything (the first offered type wins);
- parameters other than ``q`` (``charset=utf-8`` …) are ignored when matching, because
  every representation defkg serves is UTF-8 and clients often add a charset;
- malformed entries are skipped rather than rejected: a sloppy client still gets an answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "MediaRange",
    "choose",
    "offered_list",
    "parse_accept",
    "weight_of",
]


@dataclass(frozen=True)
class MediaRange:
    """One entry of an ``Accept`` header: ``type/subtype`` (either may be ``*``) and its weight."""

    type: str
    subtype: str
    q: float = 1.0
    position: int = 0  #: its index in the header, for stable ordering

    @property
    def specificity(self) -> int:
        """2 for ``type/subtype``, 1 for ``type/*``, 0 for ``*/*``."""
        if self.type == "*":
            return 0
        if self.subtype == "*":
            return 1
        return 2

    def matches(self, media_type: str) -> bool:
        """True when this range covers the concrete ``media_type`` (parameters ignored)."""
        kind, _, sub = _bare(media_type).partition("/")
        if self.type == "*":
            return True
        if self.type != kind:
            return False
        return self.subtype in ("*", sub)


def _bare(media_type: str) -> str:
    """``Text/Turtle; charset=utf-8`` → ``text/turtle``."""
    return media_type.split(";", 1)[0].strip().lower()


def _parse_q(value: str) -> float | None:
    """A q-value per RFC 9110 (0 to 1, at most three decimals), or None when malformed."""
    try:
        q = float(value)
    except ValueError:
        return None
    if not 0.0 <= q <= 1.0 or q != q:  # q != q rejects NaN
        return None
    return q


def parse_accept(header: str | None) -> list[MediaRange]:
    """Parse an ``Accept`` header into media ranges, best first (stable for equal weights).

    Malformed entries (no ``/``, ``*/subtype``, a q outside [0, 1]) are dropped.
    """
    ranges: list[MediaRange] = []
    if not header:
        return ranges
    for position, entry in enumerate(header.split(",")):
        parts = [p.strip() for p in entry.split(";")]
        kind, slash, sub = parts[0].lower().partition("/")
        kind, sub = kind.strip(), sub.strip()
        if not slash or not kind or not sub or (kind == "*" and sub != "*"):
            continue
        q: float | None = 1.0
        for param in parts[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                q = _parse_q(value.strip())
                # Parameters after q are accept-extensions, not media-type parameters.
                break
        if q is None:
            continue
        ranges.append(MediaRange(kind, sub, q, position))
    ranges.sort(key=lambda r: (-r.q, -r.specificity, r.position))
    return ranges


def weight_of(media_type: str, ranges: Sequence[MediaRange]) -> float:
    """The weight the client gives ``media_type``: q of the most specific matching range, or 0."""
    best: MediaRange | None = None
    for candidate in ranges:
        if candidate.matches(media_type) and (
            best is None
            or candidate.specificity > best.specificity
            # Among equally specific ranges (a repeated type) the higher weight counts.
            or (candidate.specificity == best.specificity and candidate.q > best.q)
        ):
            best = candidate
    return best.q if best is not None else 0.0


def choose(accept: str | None, offered: Sequence[str]) -> str | None:
    """The offered media type the client prefers, or ``None`` when it accepts none of them.

    ``offered`` is in the server's order of preference; it breaks ties. The returned value is
    the offered string itself (with any parameters the server wrote on it).
    """
    if not offered:
        return None
    ranges = parse_accept(accept)
    if not ranges:
        # No header, or one whose every entry was malformed: no usable preference, so the
        # server's first choice rather than a 406 the client could not have avoided.
        return offered[0]
    best_type: str | None = None
    best_q = 0.0
    for media_type in offered:
        q = weight_of(media_type, ranges)
        if q > best_q:  # strictly greater: earlier offers win ties
            best_type, best_q = media_type, q
    return best_type


def offered_list(offered: Iterable[str]) -> str:
    """The offered types as a human list for a 406 body: ``text/turtle, application/ld+json``."""
    return ", ".join(_bare(t) for t in offered)
