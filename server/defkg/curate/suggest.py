"""Suggest what a curator should model in a source, sentence by sentence, by rules alone.

For each sentence it lists the figures (digits, number words, scales such as "1.8 million",
money with its currency, units, bound words such as "over" or "at least"), the dates and
relative dates resolved against the source's date, the entities the graph already knows (by
label or alternative label, with their Wikidata link) and names that look like new entities.
Everything is offline and deterministic: regular expressions and word lists, no model.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from rdflib import Graph

from defkg.config import Settings
from defkg.curate.sources import Sentence, split_sentences, turtle_string
from defkg.errors import DefkgError

# --- word lists --------------------------------------------------------------------------------

_UNITS_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
_TENS_WORDS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES = {
    "hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000,
    "trillion": 1_000_000_000_000, "dozen": 12,
}  # fmt: skip

#: Words before a figure and the bound they state (defkg:Bound individuals).
BOUND_WORDS = {
    "more than": "moreThan", "over": "moreThan", "above": "moreThan",
    "in excess of": "moreThan", "upwards of": "moreThan",
    "at least": "atLeast", "no fewer than": "atLeast", "no less than": "atLeast",
    "not less than": "atLeast", "a minimum of": "atLeast",
    "less than": "lessThan", "fewer than": "lessThan", "under": "lessThan", "below": "lessThan",
    "at most": "atMost", "up to": "atMost", "no more than": "atMost", "not more than": "atMost",
    "a maximum of": "atMost",
    "about": "approximately", "around": "approximately", "approximately": "approximately",
    "roughly": "approximately", "some": "approximately", "nearly": "approximately",
    "almost": "approximately", "circa": "approximately", "an estimated": "approximately",
}  # fmt: skip

#: Unit words after a figure → QUDT unit local name (http://qudt.org/vocab/unit/).
UNIT_WORDS = {
    "tons": "TONNE", "ton": "TONNE", "tonnes": "TONNE", "tonne": "TONNE", "t": "TONNE",
    "kilograms": "KiloGM", "kilogram": "KiloGM", "kg": "KiloGM",
    "kilometres": "KiloM", "kilometers": "KiloM", "kilometre": "KiloM", "kilometer": "KiloM",
    "km": "KiloM", "metres": "M", "meters": "M", "metre": "M", "meter": "M", "m": "M",
    "hectares": "HA", "hectare": "HA", "ha": "HA",
    "litres": "L", "liters": "L", "litre": "L", "liter": "L",
    "hours": "HR", "hour": "HR", "days": "DAY", "day": "DAY",
    "square kilometres": "KiloM2", "square kilometers": "KiloM2", "sq km": "KiloM2",
    "km2": "KiloM2", "km²": "KiloM2",
}  # fmt: skip

#: Currency words and symbols → ISO 4217 code.
CURRENCY_WORDS = {
    "tenge": "KZT", "dollars": "USD", "dollar": "USD", "us dollars": "USD", "usd": "USD",
    "euros": "EUR", "euro": "EUR", "eur": "EUR", "rubles": "RUB", "roubles": "RUB",
    "rub": "RUB", "kzt": "KZT",
}  # fmt: skip
CURRENCY_SYMBOLS = {"US$": "USD", "$": "USD", "€": "EUR", "£": "GBP", "₸": "KZT", "₽": "RUB"}
#: Only currencies whose Wikidata items are verified (docs/wikidata-qids.md) get a QID.
CURRENCY_QIDS = {"KZT": "Q173751", "USD": "Q4917"}

_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip

#: Words that end the phrase naming what a figure counts ("607 military personnel, …").
_COUNT_STOP_WORDS = """
    a an the from in at for with by on to into onto during since until till after before
    have has had are is was were be been being will would could should may might can did do
    does who whom which that this these those including include includes such as than per
    were while whereas but or nor so yet he she it they we you i his her its their our my
    serve served serving hosted engaged received receive set reported said noted over under
    remain remained remains helped help took take came went left fled joined arrived continue
    about around each every across between among through throughout within without"""
_COUNT_STOP = frozenset(_COUNT_STOP_WORDS.split())
#: posts a person holds (a defkg:Post): "President", "Deputy Minister of Defence"
_POSTS = (
    "Deputy Minister of Defence", "Deputy Minister of Defense", "Minister of Defence",
    "Minister of Defense", "Deputy Minister", "Prime Minister", "Minister", "President",
    "Vice President", "Chief of the General Staff", "Chief of General Staff",
    "Commander-in-Chief", "Commander",
)  # fmt: skip
#: military ranks (a defkg:MilitaryRank): "Lieutenant-General"
_RANKS = (
    "Lieutenant-General", "Lieutenant General",
    "Major-General", "Major General", "Colonel-General", "Colonel General", "Army General",
    "Lieutenant-Colonel", "Lieutenant Colonel", "General", "Colonel", "Major", "Captain",
    "Lieutenant", "Sergeant", "Admiral", "Vice Admiral", "Rear Admiral", "Brigadier General",
    "Brigadier", "Lt. Gen.", "Maj. Gen.", "Gen.", "Col.", "Lt.", "Maj.", "Capt.", "Sgt.",
)  # fmt: skip
_RANK_TITLES = _POSTS + _RANKS
_SENTENCE_START_TEXT = """
    The A An He She It They We This That These Those His Her Its Their During Since At In
    On To For With From By Over More Efforts Military Presently Currently Today Yesterday As
    After Before When While However Also And But Other Some Many All Each Every No Yes"""
_SENTENCE_START_WORDS = frozenset(_SENTENCE_START_TEXT.split())
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_NOT_NAMES = frozenset({m.capitalize() for m in _MONTHS} | set(_WEEKDAYS))
#: Words naming the event at which statements were made ("a Dec. 26 briefing").
_EVENT_WORDS = (
    "briefing", "press conference", "conference", "meeting", "session", "interview", "speech",
    "statement", "address",
)  # fmt: skip

# --- what suggest finds ------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A stated figure: its value, bound, unit or currency, and what it counts."""

    sentence: int
    start: int
    end: int
    text: str  #: the figure as written, with its bound word, currency and unit
    value: int | Decimal
    bound: str  #: a defkg:Bound local name: exactly, moreThan, atLeast, …
    unit: str | None = None  #: a QUDT unit local name (TONNE)
    currency: str | None = None  #: ISO 4217 code (KZT, USD)
    counted: str | None = None  #: what is counted or measured ("military personnel", "water")
    label: str = ""  #: the figure as a person reads it: "over 500 military personnel"
    #: for a count that leaves out what it counts ("six officers …, two in …"): the figure
    #: whose kind it is read with
    elided_from: str | None = None


@dataclass(frozen=True)
class DateMention:
    """A date or relative date, resolved: ``value`` is an ISO literal of ``datatype``."""

    sentence: int
    start: int
    end: int
    text: str
    value: str  #: "2023-12-26", "2023-07", "2024"; for spans, the end ("as of")
    datatype: str  #: xsd:date, xsd:gYearMonth, xsd:gYear, or "interval" / "as-of"
    note: str = ""


@dataclass(frozen=True)
class KnownEntity:
    """An entity of the graph with the names it is known by."""

    iri: str
    label: str
    names: tuple[str, ...]
    wikidata: tuple[str, ...] = ()


@dataclass(frozen=True)
class EntityMention:
    sentence: int
    start: int
    end: int
    text: str
    entity: KnownEntity


@dataclass(frozen=True)
class Candidate:
    """A name that looks like an entity the graph does not know yet."""

    sentence: int
    start: int
    end: int
    text: str
    kind: str  #: "name", "post", "rank", "acronym"


@dataclass
class SentenceSuggestions:
    sentence: Sentence
    figures: list[Figure] = field(default_factory=list)
    dates: list[DateMention] = field(default_factory=list)
    entities: list[EntityMention] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)


@dataclass
class Suggestions:
    """Everything suggested for one source."""

    slug: str
    published: dt.date
    reference: dt.date  #: the date relative expressions are resolved against
    reference_note: str
    sentences: list[SentenceSuggestions]

    @property
    def figures(self) -> list[Figure]:
        return [f for s in self.sentences for f in s.figures]

    @property
    def dates(self) -> list[DateMention]:
        return [d for s in self.sentences for d in s.dates]

    @property
    def entities(self) -> list[EntityMention]:
        return [e for s in self.sentences for e in s.entities]

    @property
    def candidates(self) -> list[Candidate]:
        return [c for s in self.sentences for c in s.candidates]


# --- dates -------------------------------------------------------------------------------------

_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")),
    ("month-day-year", re.compile(
        rf"\b(?P<m>{_MONTH_RE})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d\d)\b",
        re.I)),
    ("day-month-year", re.compile(
        rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m>{_MONTH_RE})\.?,?\s+(?P<y>(?:19|20)\d\d)\b",
        re.I)),
    ("month-day", re.compile(
        rf"\b(?P<m>{_MONTH_RE})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?!,?\s*\d)", re.I)),
    ("day-month", re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m>{_MONTH_RE})\b\.?",
                             re.I)),
    ("month-year", re.compile(rf"\b(?P<m>{_MONTH_RE})\.?\s+(?:of\s+)?(?P<y>(?:19|20)\d\d)\b",
                              re.I)),
    ("since", re.compile(
        r"\b[Ss]ince\s+(?:its|the|their)\s+(?:establishment|creation|founding|foundation|"
        r"inception|formation|beginning|start)\b")),
    ("since-year", re.compile(r"\b[Ss]ince\s+(?P<y>(?:19|20)\d\d)\b")),
    ("relative-year", re.compile(r"\b(?P<w>next|this|last|past|the coming|the previous)\s+year\b",
                                 re.I)),
    ("relative-month", re.compile(r"\b(?P<w>next|this|last)\s+month\b", re.I)),
    ("now", re.compile(r"\b(?:presently|currently|at present|at the moment|now|to date|"
                       r"so far|as of today|today)\b", re.I)),
    ("yesterday", re.compile(r"\byesterday\b", re.I)),
    ("month", re.compile(rf"\b(?P<m>{'|'.join(m for m in _MONTHS if len(m) > 3)})\b", re.I)),
    ("year", re.compile(r"(?<![\d,.$])\b(?P<y>(?:19|20)\d\d)\b(?!\d|[,.]\d)")),
]  # fmt: skip


def _last_on_or_before(month: int, day: int | None, ref: dt.date) -> tuple[int, int]:
    """The year of the latest ``month``(/``day``) not after ``ref``: "Dec. 26" said on 27 Dec."""
    year = ref.year
    if (month, day or 1) > (ref.month, ref.day):
        year -= 1
    return year, month


def _find_dates(sentence: Sentence, published: dt.date, reference: dt.date) -> list[DateMention]:
    text, base, n = sentence.exact, sentence.start, sentence.n
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []

    def add(m: re.Match[str], value: str, datatype: str, note: str = "") -> None:
        s, e = m.span()
        if any(s < te and ts < e for ts, te in taken):
            return
        # "May" is a month only when a day or year goes with it; that pattern ran already.
        if m.group().lower() == "may" and datatype == "xsd:gYearMonth":
            return
        taken.append((s, e))
        found.append(DateMention(n, base + s, base + e, m.group(), value, datatype, note))

    for kind, pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            try:
                if kind == "iso":
                    d = dt.date(int(m[1]), int(m[2]), int(m[3]))
                    add(m, d.isoformat(), "xsd:date")
                elif kind in ("month-day-year", "day-month-year"):
                    d = dt.date(int(m["y"]), _MONTHS[m["m"].lower()], int(m["d"]))
                    add(m, d.isoformat(), "xsd:date")
                elif kind in ("month-day", "day-month"):
                    month, day = _MONTHS[m["m"].lower()], int(m["d"])
                    year, _ = _last_on_or_before(month, day, published)
                    d = dt.date(year, month, day)
                    add(m, d.isoformat(), "xsd:date", f"year from the source date {published}")
                elif kind == "month-year":
                    add(m, f"{int(m['y']):04d}-{_MONTHS[m['m'].lower()]:02d}", "xsd:gYearMonth")
                elif kind == "since":
                    add(
                        m,
                        reference.isoformat(),
                        "interval",
                        f"a time:Interval from the establishment (no date stated) to {reference}",
                    )
                elif kind == "since-year":
                    add(
                        m,
                        reference.isoformat(),
                        "interval",
                        f"a time:Interval from {m['y']} to {reference}",
                    )
                elif kind == "relative-year":
                    shift = {"next": 1, "the coming": 1, "this": 0}.get(m["w"].lower(), -1)
                    add(m, str(reference.year + shift), "xsd:gYear", f"relative to {reference}")
                elif kind == "relative-month":
                    shift = {"next": 1, "this": 0}.get(m["w"].lower(), -1)
                    month_index = reference.year * 12 + reference.month - 1 + shift
                    add(
                        m,
                        f"{month_index // 12:04d}-{month_index % 12 + 1:02d}",
                        "xsd:gYearMonth",
                        f"relative to {reference}",
                    )
                elif kind == "now":
                    add(m, reference.isoformat(), "as-of", f"as of {reference}")
                elif kind == "yesterday":
                    add(
                        m,
                        (published - dt.timedelta(days=1)).isoformat(),
                        "xsd:date",
                        f"the day before the source date {published}",
                    )
                elif kind == "month":
                    year, month = _last_on_or_before(_MONTHS[m["m"].lower()], None, reference)
                    add(
                        m,
                        f"{year:04d}-{month:02d}",
                        "xsd:gYearMonth",
                        f"the latest such month up to {reference}",
                    )
                elif kind == "year":
                    add(m, m["y"], "xsd:gYear")
            except ValueError:
                continue  # "Feb. 30" is not a date: leave it to the curator
    return sorted(found, key=lambda d: d.start)  # fmt: skip


def _statement_date(text: str, published: dt.date) -> tuple[dt.date, str]:
    """The date the statements were made, when the text names the event ("a Dec. 26 briefing").

    Relative expressions ("presently", "next year") are relative to when they were said.
    """
    for sentence in split_sentences(text)[:3]:
        for mention in _find_dates(sentence, published, published):
            if mention.datatype != "xsd:date":
                continue
            after = text[mention.end : mention.end + 30].lower()
            before = text[max(0, mention.start - 30) : mention.start].lower()
            event = next((w for w in _EVENT_WORDS if after.lstrip().startswith(w)), None)
            event = event or next((w for w in _EVENT_WORDS if f"{w} on" in before), None)
            said = re.search(r"\b(said|stated|announced|reported|told \w+)\s+on\s*$", before)
            event = event or (f"statement ({said.group(1)} on that day)" if said else None)
            day = dt.date.fromisoformat(mention.value)
            if event and day <= published and (published - day).days <= 31:
                return day, (
                    f"the {event} on {day} (sentence {sentence.n}); the source is dated {published}"
                )
    return published, f"the source's date {published}"


# --- figures -----------------------------------------------------------------------------------

_DIGIT_WORDS = "|".join(k for k, v in _UNITS_WORDS.items() if 0 < v < 10)
_NUMBER_WORD_RE = (
    rf"(?:(?:{'|'.join(_TENS_WORDS)})(?:-(?:{_DIGIT_WORDS}))?"
    rf"|{'|'.join(sorted(_UNITS_WORDS, key=len, reverse=True))})"
)
_BOUND_RE = "|".join(sorted((re.escape(w) for w in BOUND_WORDS), key=len, reverse=True))
_SYMBOL_RE = "|".join(re.escape(s) for s in sorted(CURRENCY_SYMBOLS, key=len, reverse=True))
_SCALE_RE = "|".join(_SCALES)
_UNIT_RE = "|".join(sorted((re.escape(u) for u in UNIT_WORDS), key=len, reverse=True))
_CURRENCY_RE = "|".join(sorted((re.escape(c) for c in CURRENCY_WORDS), key=len, reverse=True))
_FIGURE = re.compile(
    rf"(?:(?P<bound>\b(?:{_BOUND_RE}))\s+)?"
    rf"(?P<symbol>{_SYMBOL_RE})?\s?"
    rf"(?P<number>(?<![\w.,-])\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?(?![\d,]\d)|(?<![\w.,-])\d+(?:\.\d+)?(?![\w]|[.,]\d)"
    rf"|\b{_NUMBER_WORD_RE}\b)"
    rf"(?:[\s-](?P<scale>{_SCALE_RE})\b)?"
    rf"(?:\s(?P<currency>{_CURRENCY_RE})\b)?"
    rf"(?:\s(?P<unit>{_UNIT_RE})\b(?!-))?",
    re.I,
)  # fmt: skip
_PHRASE_WORD = re.compile(r"\s+([a-z][a-z-]*)")
_PERCENT = re.compile(r"\s?%|\s+per\s?cent\b|\s+percent\b", re.I)


def _number_value(token: str) -> int | Decimal:
    token = token.lower()
    if token[0].isdigit():
        number = Decimal(token.replace(",", ""))
        return int(number) if number == number.to_integral_value() else number
    if "-" in token:
        tens, units = token.split("-")
        return _TENS_WORDS[tens] + _UNITS_WORDS[units]
    return _TENS_WORDS.get(token, _UNITS_WORDS.get(token, 0))


_MASS_NOUNS = frozenset(
    [
        "people",
        "personnel",
        "staff",
        "equipment",
        "water",
        "fuel",
        "cargo",
        "aid",
        "women",
        "men",
        "children",
        "police",
        "troops",
    ]
)


def _is_head_noun(word: str) -> bool:
    """A plural ("helicopters") or a noun that is counted as is ("personnel", "water")."""
    plural = len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is"))
    plural = plural or (len(word) > 4 and word.endswith("men"))  # servicemen, firemen
    return plural or word in _MASS_NOUNS


def _continues(text: str, pos: int) -> bool:
    """True when the phrase goes on with "of"/"and" and another word ("pieces of equipment")."""
    return re.match(r"\s+(?:of|and)\s+[a-z]", text[pos:]) is not None


def _counted_phrase(text: str, pos: int, after_unit: bool) -> tuple[str | None, int]:
    """The words after a figure that say what it counts ("military personnel"), and their end."""
    words: list[str] = []
    i = pos
    if after_unit:
        m = re.match(r"\s+of\b", text[i:])
        if not m:
            return None, pos
        i += m.end()
    if not after_unit:
        # "67 Kazakh officers": a capitalised word (a demonym) before what is counted
        cap = re.match(r"\s+([A-Z][a-z]+)(?=\s+[a-z])", text[i:])
        if cap and cap.group(1) not in _SENTENCE_START_WORDS:
            rest, end = _counted_phrase(text, i + cap.end(), False)
            if rest:
                return f"{cap.group(1)} {rest}", end
    while len(words) < 4:
        m = _PHRASE_WORD.match(text, i)
        if not m:
            break
        word = m.group(1)
        nxt = _PHRASE_WORD.match(text, m.end())
        if word in {"of", "and"}:
            # "pieces of equipment", "exercises and competitions"; not "personnel and six".
            joins = nxt is not None and nxt.group(1) not in _COUNT_STOP
            if joins and word == "and" and nxt is not None:
                joins = _is_head_noun(nxt.group(1)) and nxt.group(1) not in _UNITS_WORDS
            if words and joins and nxt is not None:
                words += [word, nxt.group(1)]
                i = nxt.end()
                if _is_head_noun(nxt.group(1)) and not _continues(text, i):
                    break
                continue
            break
        # A verb ends the phrase: a listed one, or an "-ed" word with no noun after it.
        if word in _COUNT_STOP or (word.endswith("ed") and not nxt):
            break
        words.append(word)
        i = m.end()
        if _is_head_noun(word) and not _continues(text, i):
            break  # "cadets graduated": the plural noun is the head, what follows is the verb
    return (" ".join(words), i) if words else (None, pos)


def _find_figures(sentence: Sentence, dates: list[DateMention]) -> list[Figure]:
    text, base, n = sentence.exact, sentence.start, sentence.n
    figures: list[Figure] = []
    for m in _FIGURE.finditer(text):
        s_num, e_num = m.span("number")
        if any(d.start <= base + s_num < d.end for d in dates):
            continue  # the day or year of a date, not a figure
        token = m["number"]
        low = token.lower()
        if low == "one" and re.match(r"\s+(?:of|another|and only)\b", text[e_num:]):
            continue
        value = _number_value(token)
        if m["scale"]:
            value = Decimal(value) * _SCALES[m["scale"].lower()]
            value = int(value) if value == value.to_integral_value() else value
        currency = None
        if m["symbol"]:
            currency = CURRENCY_SYMBOLS[m["symbol"]]
        if m["currency"]:
            currency = CURRENCY_WORDS[m["currency"].lower()]
        unit = UNIT_WORDS[m["unit"].lower()] if m["unit"] and not currency else None
        # "t" and "m" alone are units only right after digits ("400 t"), not words ("6 m…")
        if unit and len(m["unit"]) == 1 and not token[0].isdigit():
            unit = None
        start = m.start("bound") if m["bound"] else (m.start("symbol") if m["symbol"] else s_num)
        end = m.end()
        if m["unit"] and not unit:
            end = m.end("currency") if m["currency"] else (m.end("scale") if m["scale"] else e_num)
        percent = _PERCENT.match(text, end) if not (unit or currency) else None
        if percent:
            unit, end = "PERCENT", percent.end()
        bound = BOUND_WORDS[m["bound"].lower()] if m["bound"] else "exactly"
        counted, phrase_end = (None, end) if currency else _counted_phrase(text, end, bool(unit))
        label = " ".join(text[start:phrase_end].split())
        figure = Figure(
            n,
            base + start,
            base + end,
            text[start:end],
            value,
            bound,
            unit,
            currency,
            counted,
            label,
        )
        figures.append(figure)
    return _elided_kinds(_share_head_nouns(figures, text, base), text, base)


def _elided_kinds(figures: list[Figure], text: str, base: int) -> list[Figure]:
    """ "six officers serve in Western Sahara, two in the Central African Republic": the two
    leave out what they count; read them with the kind of the count before them."""
    out = list(figures)
    for i, figure in enumerate(out):
        if figure.counted or figure.unit or figure.currency or i == 0:
            continue
        if not re.match(r"\s+(?:in|at|to|with|for|from|on)\b", text[figure.end - base :]):
            continue
        earlier = next((f for f in reversed(out[:i]) if f.counted and not f.unit), None)
        if earlier is None:
            continue
        source = earlier.elided_from or earlier.label
        out[i] = Figure(**{**figure.__dict__, "counted": earlier.counted, "elided_from": source})
    return out


def _share_head_nouns(figures: list[Figure], text: str, base: int) -> list[Figure]:
    """ "171 gold, 82 silver, and 87 bronze medals": each of the three counts medals."""
    out = list(figures)
    for i in range(len(out) - 1, 0, -1):
        last = out[i]
        if not last.counted or " " not in last.counted:
            continue
        head = last.counted.rsplit(" ", 1)[1]
        j = i - 1
        while j >= 0:
            prev = out[j]
            between = text[prev.end - base : out[j + 1].start - base]
            if not prev.counted or " " in prev.counted:
                break
            if not re.fullmatch(r"\s*" + re.escape(prev.counted) + r"\s*(?:,\s*(?:and\s+)?|and\s+)",
                                between):  # fmt: skip
                break
            out[j] = Figure(**{**prev.__dict__, "counted": f"{prev.counted} {head}",
                               "label": f"{prev.label} {head}"})  # fmt: skip
            j -= 1
    return out


# --- entities ----------------------------------------------------------------------------------


def _normalise(text: str) -> str:
    """Same length as ``text`` (offsets survive): folds case and apostrophes."""
    return text.replace("\u2019", "'").replace("\u2018", "'").lower()


def _find_entities(sentence: Sentence, known: list[KnownEntity]) -> list[EntityMention]:
    text, base = sentence.exact, sentence.start
    folded = _normalise(text)
    hits: list[tuple[int, int, KnownEntity, str]] = []
    for entity in known:
        for name in entity.names:
            short = len(name) <= 3
            needle = re.escape(name if short else _normalise(name))
            # A lower-case name is a kind ("helicopter"): match its plural too.
            plural = "(?:s|es)?" if name[:1].islower() else ""
            for m in re.finditer(rf"(?<!\w){needle}{plural}(?!\w)", text if short else folded):
                hits.append((m.start(), m.end(), entity, name))
    hits.sort(key=lambda h: (h[0], -(h[1] - h[0]), h[2].iri))
    mentions: list[EntityMention] = []
    last_end = -1
    for s, e, entity, _ in hits:
        if s < last_end:
            continue
        mentions.append(EntityMention(sentence.n, base + s, base + e, text[s:e], entity))
        last_end = e
    return mentions


_CAP_WORD = r"(?:[A-Z][\w'\u2019.-]*[\w]|[A-Z]|[dl]['\u2019][A-Z][\w-]*)"
_NAME_RUN = re.compile(rf"{_CAP_WORD}(?:\s+(?:(?:of|the|and|for|de)\s+)*{_CAP_WORD})*")
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]{1,7}\b")


def _find_candidates(
    sentence: Sentence, taken: list[tuple[int, int]], capitalised_elsewhere: set[str]
) -> list[Candidate]:
    text, base, n = sentence.exact, sentence.start, sentence.n
    found: list[Candidate] = []

    def free(s: int, e: int) -> bool:
        return not any(s < te and ts < e for ts, te in taken)

    # Known entities and dates are masked so a run like "Abai and Zhambyl Regions" still
    # yields the unknown part.
    masked = list(text)
    for ts, te in taken:
        masked[ts:te] = "#" * (te - ts)
    for m in _NAME_RUN.finditer("".join(masked)):
        s = m.start()
        run = m.group()
        # Titles and ranks at the start of the run are their own candidates.
        moved = True
        while moved:
            moved = False
            for title in sorted(_RANK_TITLES, key=len, reverse=True):
                if run.startswith(title) and (
                    len(run) == len(title) or not run[len(title)].isalnum()
                ):
                    if free(s, s + len(title)):
                        kind = "post" if title in _POSTS else "rank"
                        found.append(Candidate(n, base + s, base + s + len(title), title, kind))
                    skip = len(title) + (len(run) - len(run[len(title) :].lstrip()) - len(title))
                    s, run = s + skip, run[skip:]
                    moved = bool(run)
                    break
        if not run:
            continue
        # Trim trailing connectors ("of the") and leading sentence words ("The").
        run = re.sub(r"(?:\s+(?:of|the|and|for|de))+$", "", run)
        first, _, rest = run.partition(" ")
        if first in _SENTENCE_START_WORDS and rest:
            s, run = s + len(first) + 1, rest
        elif first in _SENTENCE_START_WORDS:
            continue
        for start, name in _coordinated_names(s, run, text):
            end = start + len(name)
            if " " not in name:
                if name in _NOT_NAMES or (start == 0 and name not in capitalised_elsewhere):
                    continue
                if _ACRONYM.fullmatch(name):
                    continue  # reported below as an acronym
            if free(start, end):
                found.append(Candidate(n, base + start, base + end, name, "name"))
    for m in _ACRONYM.finditer(text):
        if m.group() not in _NOT_NAMES and free(*m.span()) and not m.group().isdigit():
            found.append(Candidate(n, base + m.start(), base + m.end(), m.group(), "acronym"))
    found.sort(key=lambda c: c.start)
    return found


_AND = re.compile(r"\s+and\s+")
_LIST_BEFORE = re.compile(r",\s*(?:the\s+)?$")


def _coordinated_names(start: int, run: str, text: str) -> list[tuple[int, str]]:
    """``run`` (at ``start`` of ``text``) split into the names its "and" joins, each with its
    start: "Central African Republic and Lebanon" is two names, "Bosnia and Herzegovina" and
    "Ministry of Defence and Aerospace Industry" one.

    "and" ends a name when the run is the last item of a list ("Mali, the Central African
    Republic and Lebanon"), or when a side has several words and the first names nothing "of"
    or "for" something (a ministry's or department's two fields stay one name) and the two do
    not share a plural head ("Abai and Zhambyl Regions").
    """
    joins = list(_AND.finditer(run))
    if not joins:
        return [(start, run)]
    pieces, cursor = [], 0
    for join in joins:
        pieces.append((cursor, run[cursor : join.start()]))
        cursor = join.end()
    pieces.append((cursor, run[cursor:]))
    in_list = bool(_LIST_BEFORE.search(text[:start]))
    several_words = any(" " in piece for _offset, piece in pieces)
    of_something = re.search(r"\s(?:of|for)\s", pieces[0][1]) is not None
    # "Abai and Zhambyl Regions": two names sharing their plural head, kept as written
    shared_head = " " not in pieces[0][1] and run.endswith("s")
    if not in_list and (shared_head or not several_words or of_something):
        return [(start, run)]
    return [(start + offset, piece) for offset, piece in pieces if piece]


def _capitalised_mid_sentence(sentences: list[Sentence]) -> set[str]:
    """Capitalised words that appear other than at a sentence start: names, not grammar."""
    words: set[str] = set()
    for s in sentences:
        for m in re.finditer(rf"(?<=\s){_CAP_WORD}", s.exact):
            words.add(m.group())
    return words


# --- putting it together -----------------------------------------------------------------------


def suggest(text: str, slug: str, published: dt.date, known: list[KnownEntity]) -> Suggestions:
    """Everything a curator should model in ``text``, sentence by sentence."""
    reference, note = _statement_date(text, published)
    sentences = split_sentences(text)
    elsewhere = _capitalised_mid_sentence(sentences)
    out: list[SentenceSuggestions] = []
    for sentence in sentences:
        dates = _find_dates(sentence, published, reference)
        figures = _find_figures(sentence, dates)
        entities = _find_entities(sentence, known)
        taken = [(m.start - sentence.start, m.end - sentence.start) for m in entities]
        taken += [(d.start - sentence.start, d.end - sentence.start) for d in dates]
        candidates = _find_candidates(sentence, taken, elsewhere)
        out.append(SentenceSuggestions(sentence, figures, dates, entities, candidates))
    return Suggestions(slug, published, reference, note, out)


def known_entities_from(graphs: list[tuple[Graph, bool]]) -> list[KnownEntity]:
    """The entities of ``graphs`` with their labels and Wikidata links.

    Each graph comes with a flag: True for the entities graph, where every labelled subject
    counts. Elsewhere an entity is a subject with an ``owl:sameAs`` to Wikidata or a
    ``defkg:wikidataStatus`` (facts and anchors have labels too, but matching "sentence 7" or
    a fact's label in the text would be noise).
    """
    from rdflib import OWL, RDFS, SKOS, URIRef

    from defkg.iris import SCHEMA, WD

    entities: dict[str, KnownEntity] = {}
    for graph, all_labelled in graphs:
        for subject in set(graph.subjects()):
            if not isinstance(subject, URIRef):
                continue
            same = tuple(sorted(str(o) for o in graph.objects(subject, OWL.sameAs)
                                if str(o).startswith(str(WD))))  # fmt: skip
            has_status = any(str(p).endswith("/wikidataStatus") for p in graph.predicates(subject))
            if not (all_labelled or same or has_status):
                continue
            names = sorted(
                {
                    str(o)
                    for p in (RDFS.label, SKOS.altLabel, SCHEMA.name)
                    for o in graph.objects(subject, p)
                    if len(str(o).strip()) > 1
                }
            )
            if not names:
                continue
            label = str(graph.value(subject, RDFS.label) or names[0])
            previous = entities.get(str(subject))
            if previous:
                names = sorted(set(names) | set(previous.names))
                same = tuple(sorted(set(same) | set(previous.wikidata)))
            entities[str(subject)] = KnownEntity(str(subject), label, tuple(names), same)
    return [entities[k] for k in sorted(entities)]


def suggest_source(settings: Settings, source: str) -> tuple[str, Suggestions]:
    """The suggestions for SOURCE (a slug or data/SLUG.txt) of the project: (slug, found)."""
    slug = resolve_source(source)
    text, published = source_metadata(settings, slug)
    return slug, suggest(text, slug, published, load_known_entities(settings))


def load_known_entities(settings: Settings) -> list[KnownEntity]:
    """The known entities of the project's ``data/`` files (entities graph and sources).

    Parses the files directly rather than loading the whole project, so suggestions work
    while the ontology or shapes are still being written.
    """
    from rdflib import Dataset

    entities_graph = settings.iris.graph("entities")
    graphs: list[tuple[Graph, bool]] = []
    for path in sorted(settings.data_dir.glob("*.ttl")) + sorted(settings.data_dir.glob("*.trig")):
        try:
            if path.suffix == ".trig":
                dataset = Dataset()
                dataset.parse(path, format="trig")
                for graph in dataset.graphs():
                    graphs.append((graph, graph.identifier == entities_graph))
            else:
                graph = Graph().parse(path, format="turtle")
                graphs.append((graph, settings.iris.graph(path.stem) == entities_graph))
        except Exception as error:  # rdflib raises many types; the curator needs the message
            raise DefkgError(
                f"{path}: cannot be parsed ({error}); `defkg validate` shows the exact line"
            ) from None
    return known_entities_from(graphs)


def source_metadata(settings: Settings, slug: str) -> tuple[str, dt.date]:
    """The stored text and publication date of source ``slug`` (from ``data/{slug}.ttl``)."""
    from rdflib import URIRef

    from defkg.iris import SCHEMA

    text_file = settings.data_dir / f"{slug}.txt"
    turtle_file = settings.data_dir / f"{slug}.ttl"
    if not text_file.is_file():
        known = sorted(p.stem for p in settings.data_dir.glob("*.txt"))
        raise DefkgError(
            f"{text_file}: no such source; known sources: {', '.join(known) or 'none'}. "
            "Add one first with `defkg add-source`"
        )
    text = text_file.read_bytes().decode("utf-8")
    if not turtle_file.is_file():
        raise DefkgError(f"{turtle_file}: missing; it is written by `defkg add-source`")
    graph = Graph()
    try:
        graph.parse(turtle_file, format="turtle")
    except Exception as error:  # rdflib raises many types; the curator needs the message
        raise DefkgError(f"{turtle_file}: cannot be parsed ({error})") from None
    doc = URIRef(str(settings.iris.resource) + slug)
    published = graph.value(doc, SCHEMA.datePublished)
    if published is None:
        raise DefkgError(f"{turtle_file}: <{doc}> has no schema:datePublished")
    try:
        return text, dt.date.fromisoformat(str(published)[:10])
    except ValueError:
        raise DefkgError(f"{turtle_file}: schema:datePublished {published} is not a date") from None


def resolve_source(source: str) -> str:
    """A source given as a slug, ``data/{slug}.txt`` or ``data/{slug}.ttl`` → its slug."""
    path = Path(source)
    return path.stem if path.suffix in {".txt", ".ttl"} else source


# --- output: a report to read, or a draft Turtle file to edit ---------------------------------


def _short(iri: str, base_id: str) -> str:
    if iri.startswith(base_id):
        return "kg:" + iri[len(base_id) :]
    if iri.startswith("http://www.wikidata.org/entity/"):
        return "wd:" + iri.rsplit("/", 1)[1]
    return f"<{iri}>"


def _excerpt(text: str, width: int = 90) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _figure_summary(f: Figure) -> str:
    parts = [f"value {f.value}", f"bound defkg:{f.bound}"]
    if f.unit:
        parts.append(f"unit unit:{f.unit}")
    if f.currency:
        qid = CURRENCY_QIDS.get(f.currency)
        parts.append(f"currency {f.currency}" + (f" (wd:{qid})" if qid else " (no verified QID)"))
    if f.counted:
        parts.append(("of" if f.unit else "counts") + f' "{f.counted}"')
    if f.elided_from:
        parts.append(f'left out: read as in "{f.elided_from}" (record the reading)')
    return ", ".join(parts)


def _date_summary(d: DateMention) -> str:
    if d.datatype == "interval":
        value = f"defkg:timeSpan [time:Interval ending {d.value}]"
    elif d.datatype == "as-of":
        value = f'defkg:asOf "{d.value}"^^xsd:date'
    else:
        value = f'defkg:period "{d.value}"^^{d.datatype}'
    return value + (f"  ({d.note})" if d.note else "")


def _entity_summary(e: EntityMention, base_id: str) -> str:
    links = ", ".join(_short(w, base_id) for w in e.entity.wikidata)
    return _short(e.entity.iri, base_id) + (
        f"  owl:sameAs {links}" if links else "  (no Wikidata link)"
    )


def format_suggestions(s: Suggestions, base_id: str) -> str:
    """A plain-text report: for each sentence, its figures, dates, entities and new names."""
    lines = [
        f"Suggestions for source {s.slug} (published {s.published})",
        f"Relative dates are resolved against {s.reference}: {s.reference_note}.",
        f"{len(s.figures)} figures, {len(s.dates)} dates, {len(s.entities)} known entities, "
        f"{len(s.candidates)} possible new entities.",
        "",
    ]
    for ss in s.sentences:
        lines.append(f"s{ss.sentence.n}  {_excerpt(ss.sentence.exact)}")
        rows: list[tuple[str, str, str]] = []
        rows += [("figure", f.label, _figure_summary(f)) for f in ss.figures]
        rows += [("date", d.text, _date_summary(d)) for d in ss.dates]
        rows += [("entity", e.text, _entity_summary(e, base_id)) for e in ss.entities]
        rows += [("new?", c.text, c.kind) for c in ss.candidates]
        if not rows:
            lines.append("    (nothing found)")
        for kind, text, what in rows:
            lines.append(f'    {kind:<7} "{text}" → {what}')
        lines.append("")
    return "\n".join(lines)


def draft_turtle(s: Suggestions, base_id: str, prefixes: dict[str, str]) -> str:
    """A draft Turtle file: a quantity node per figure and comments for the rest.

    The draft is valid Turtle; curators copy what they keep into ``data/{slug}.ttl``, give the
    quantities better names, and attach them to facts (see docs/curating.md).
    """
    wanted = ("defkg", "kg", "wd", "prov", "schema", "unit", "time", "rdfs", "xsd")
    lines = [
        f"# Draft facts for source {s.slug}, written by `defkg suggest`. Nothing here is",
        "# published: copy what you keep into the source's own file, rename the kg: IRIs,",
        "# attach each quantity to its fact with defkg:quantity, and check every line.",
        f"# Relative dates are resolved against {s.reference}: {s.reference_note}.",
        "",
    ]
    lines += [f"@prefix {p}: <{prefixes[p]}> ." for p in wanted]
    lines.append(f"@prefix src: <{base_id}{s.slug}/> .")
    lines.append("")
    for ss in s.sentences:
        if not (ss.figures or ss.dates or ss.entities or ss.candidates):
            continue
        lines.append(f"# --- s{ss.sentence.n}: {_excerpt(ss.sentence.exact, 80)}")
        for d in ss.dates:
            lines.append(f'#   date "{d.text}": {_date_summary(d)}')
        for e in ss.entities:
            lines.append(f'#   entity "{e.text}": {_entity_summary(e, base_id)}')
        for c in ss.candidates:
            lines.append(f'#   new entity? "{c.text}" ({c.kind}): add it to data/entities.ttl')
        lines.append("")
        for i, f in enumerate(ss.figures, start=1):
            money = f.currency is not None
            lines.append(
                f"kg:{s.slug}-s{ss.sentence.n}-q{i} a "
                f"{'defkg:MonetaryAmount' if money else 'defkg:Quantity'} ;"
            )
            lines.append(f"    rdfs:label {turtle_string(f.label)}@en ;")
            lines.append(f"    defkg:numericValue {f.value} ;")
            lines.append(f"    defkg:bound defkg:{f.bound} ;")
            if f.unit:
                lines.append(f"    defkg:unit unit:{f.unit} ;")
                if f.counted:
                    lines.append(f'    # defkg:substance kg:… ;  # "{f.counted}"')
            elif money:
                qid = CURRENCY_QIDS.get(f.currency or "")
                if qid:
                    lines.append(f"    defkg:currency wd:{qid} ;")
                else:
                    lines.append("    # defkg:currency: no verified Wikidata item; see curating.md")
                lines.append(f'    schema:currency "{f.currency}" ;')
            elif f.counted:
                lines.append(f'    # defkg:countOf kg:… ;  # "{f.counted}"')
            lines.append("    # prov:wasAttributedTo kg:… ;  # who said it")
            lines.append(f"    prov:wasDerivedFrom src:s{ss.sentence.n} .")
            lines.append("")
    return "\n".join(lines)


def write_draft(path: Path, content: str) -> None:
    """Write a draft file, refusing to overwrite a project file or an existing draft."""
    if path.exists():
        raise DefkgError(f"{path} exists already; choose another --out (a draft never overwrites)")
    from defkg.files import write_file_atomically

    write_file_atomically(path, content.encode("utf-8"))
