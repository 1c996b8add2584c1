"""The named constraints of a text: places, countries, people, organisations, years, periods,
numbers with their unit, acronyms and legal references.

The near-miss bench (``nearmiss``) swaps one of these in a question for another of the same
kind that the article states elsewhere. Each comes from the project's own detectors where one
exists: ``places.find_places`` (places and countries of the maintained list), ``kinds.spans``
(people; capitalised names that read as places), ``kinds.YEAR``, ``RANGE`` (here also "từ năm
1914 đến năm 1945"), ``NUMBER`` and ``ACRONYM``. Two are added here: legal references ("Điều
5", "Luật Đầu tư 2020", "Nghị định 31/2021/NĐ-CP") and organisations, which are capitalised
runs of words (over pyvi's word segmentation, so that "Bộ Ngoại giao" is one name) that no
other detector claims.

Where two detections overlap, the more specific kind wins (a law before its year, a known
place before a person run that swallowed it) and the other keeps only what is left of it.
``kinds`` reads any foreign word as a name of a person and of a place; a name of one word is
therefore dropped here (a person, a team, a river?), and a name not on the list of places is
a place only when it is Vietnamese ("tại Lạch Huyện").
Deliberately not here: choosing a swap or judging whether a passage answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ..question.kinds import ACRONYM, NUMBER, YEAR, spans
from ..question.places import find_places
from ..vietnamese import STOPWORDS, fold, is_syllable, normalize
from ..wordseg import tokenize

KINDS = ("law", "period", "year", "number", "acronym", "country", "place", "person", "organisation")
# the order in which they win an overlap: a capitalised run that only reads as a place
# ("tại Weimar") comes after people, a place of the list before them
_PRIORITY = ("law", "period", "year", "number", "acronym", "country", "place", "person", "named", "organisation")

_MAGNITUDE = r"(?:nghìn|ngàn|vạn|trăm|triệu|tỷ|tỉ)"
# a figure, an optional magnitude and the word it counts: "35 dự án", "420 triệu USD", "7,5%"
_QUANTITY = re.compile(rf"(?<![\w.,/])(?:{NUMBER.pattern})(?:\s*%|\s+(?:{_MAGNITUDE}\s+)?[^\W\d_]+)")
_DESIGNATOR = r"Bộ luật|Đạo luật|Luật|Pháp lệnh|Hiến pháp|Nghị định|Nghị quyết|Thông tư|Quyết định|Chỉ thị"
_LAW = re.compile(
    r"\b(?:Điều|Khoản|Chương|Article|Section) \d+[a-z]?\b"
    rf"|\b(?P<doc>{_DESIGNATOR})(?P<name>(?: [^\W\d]\w*){{0,5}}?) (?:năm |số )?\d+(?:/[\w.-]*\w)*"
)
# kinds.RANGE, with "năm" allowed before either end: "từ năm 1914 đến năm 1945"
_PERIOD = re.compile(r"(?<!\d)((?:1[89]|20)\d{2})\s*(?:-|–|—|đến|tới|to)\s*(?:năm\s+)?((?:1[89]|20)\d{2})(?!\d)")
_FOLDED_STOPWORDS = frozenset(fold(w) for w in STOPWORDS)
_NUMBERED = re.compile(r"\s+(?:\d|[IVXLCDM]+\b)")
_ROMAN = re.compile(r"[IVXLCDM]+")  # "XLIX" is a numeral, not an acronym


@dataclass(frozen=True)
class Constraint:
    kind: str  # one of KINDS
    start: int
    end: int
    text: str  # as written
    forms: tuple[str, ...]  # folded lower-case ways of writing it: what "a text states it" means
    group: str = ""  # what a replacement must share: a number's unit, a law's designator, a place's class

    def fits(self, other: Constraint) -> bool:
        """``other`` could stand in this one's place: same kind and group, and a different thing."""
        if (other.kind, other.group) != (self.kind, self.group):
            return False
        if set(self.forms) & set(other.forms):
            return False  # "Mỹ" is "Hoa Kỳ"
        mine, theirs = set(folded_words(self.text)), set(folded_words(other.text))
        return not (mine <= theirs or theirs <= mine)  # "Kuechly" is "Luke Kuechly"


def fold_lower(text: str) -> str:
    """NFC, no diacritics, lower case, single spaces: how constraints and passages are compared."""
    return " ".join(fold(normalize(text)).lower().split())


def folded_words(text: str) -> list[str]:
    return re.findall(r"\w+", fold_lower(text))


def states(folded_text: str, constraint: Constraint) -> bool:
    """``folded_text`` (see :func:`fold_lower`) names the constraint, on word boundaries."""
    return any(re.search(rf"(?<!\w){re.escape(f)}(?!\w)", folded_text) for f in constraint.forms)


def find_constraints(text: str) -> list[Constraint]:
    """The constraints of ``text`` (normalised first, so offsets are into ``normalize(text)``).

    A place must be whole words of pyvi's segmentation: "Ấn Độ" is not named in "Ấn Độ giáo"
    (Hinduism), nor "Pháp" in "Tân Pháp" (New France). (Not so for people: pyvi may join a
    name to the verb after it, "Hòa_thiết_kế".)"""
    text = normalize(text)
    words = _located_words(text)
    starts, ends = {s for _, s, _ in words}, {e for _, _, e in words}
    found = (_laws(text) + _patterned(text, ends) + _places(text) + _people_and_names(text)
             + _organisations(text, words))
    found = [c for c in found if c.kind not in ("country", "place") or (c.start in starts and c.end in ends)]
    return [c for c in (_settled(text, c) for c in _resolve(text, found)) if c is not None]


def _make(kind: str, text: str, start: int, end: int, group: str = "",
          forms: tuple[str, ...] = ()) -> Constraint:
    return Constraint(kind, start, end, text[start:end], forms or (fold_lower(text[start:end]),), group)


def _laws(text: str) -> list[Constraint]:
    out = []
    for m in _LAW.finditer(text):
        if m.group("name") and any(w.lower() in STOPWORDS for w in m.group("name").split()):
            continue  # "Luật này được ban hành năm 2020" names no law
        out.append(_make("law", text, *m.span(), group=fold_lower(m.group("doc") or m.group(0).split()[0])))
    return out


def _patterned(text: str, word_ends: set[int]) -> list[Constraint]:
    out = [_make("period", text, *m.span()) for m in _PERIOD.finditer(text)]
    out += [_make("year", text, *m.span()) for m in YEAR.finditer(text)]
    for m in _QUANTITY.finditer(text):
        unit = folded_words(m.group(0))[-1] if not m.group(0).endswith("%") else "%"
        if unit not in _FOLDED_STOPWORDS:
            out.append(_make("number", text, m.start(), _word_end(text, m.end(), word_ends), group=unit))
    out += [_make("acronym", text, *m.span()) for m in ACRONYM.finditer(text) if not _ROMAN.fullmatch(m.group(0))]
    return out


def _word_end(text: str, pos: int, word_ends: set[int]) -> int:
    """The end of the word ``pos`` is in ("dự" -> "dự án"), its punctuation left out."""
    end = min((e for e in word_ends if e >= pos), default=pos)
    return pos + len(re.split(r"[^\w ]", text[pos:end], maxsplit=1)[0].rstrip())


def _places(text: str) -> list[Constraint]:
    out = []
    for f in find_places(text, accented=True):
        kind = "country" if f.place.country else "place"
        group = "" if f.place.country else "vn" if f.place.vietnamese else "world"
        forms = tuple(dict.fromkeys(fold_lower(v) for v in (f.text, *f.place.variants)))
        out.append(_make(kind, text, f.start, f.end, group, forms))
    return out


def _people_and_names(text: str) -> list[Constraint]:
    """People, and names read as places for the word before them ("tại Lạch Huyện")."""
    out = [_make("person", text, s, e) for s, e in spans("person", text)]
    return out + [_make("place", text, s, e, group="named") for s, e in spans("place", text)]


def _settled(text: str, c: Constraint) -> Constraint | None:
    """People and named places of two words or more, once overlaps are settled: a lone foreign
    word may be a person, a team, a river or a city (``kinds`` reads any foreign word as both a
    person and a place). Not a Vietnamese word before a foreign name ("Chợ Grainger"); not a
    name with a number ("Super Bowl 50", "Super Bowl XLIX": an event, a model); a named place
    is Vietnamese ("Lạch Huyện"), as a foreign name is read as a place for being foreign. A
    person's replacement is a Vietnamese name for a Vietnamese name, a foreign one for a foreign."""
    if c.kind not in ("person", "place") or c.group not in ("", "named"):
        return c
    origin = _origin(c.text)
    if len(c.text.split()) < 2 or origin == "mixed" or _NUMBERED.match(text, c.end):
        return None
    if c.kind == "person":
        return replace(c, group=origin)
    return c if origin == "vn" else None


def _origin(name: str) -> str:
    """ "vn" when every word is a Vietnamese syllable, "foreign" when none is, else "mixed"."""
    native = [is_syllable(w) for w in re.findall(r"\w+", name)]
    return "vn" if all(native) else "foreign" if not any(native) else "mixed"


def _organisations(text: str, words: list[tuple[str, int, int]]) -> list[Constraint]:
    """Runs of capitalised words (pyvi's words: "Bộ Ngoại_giao"), without the word opening the
    text (capitalised anyway), that hold two capitalised syllables or more ("Sở Ngoại vụ", not
    the title "Chủ tịch"). Their first word says what they are ("Sở", "Đại học", "Tập đoàn"):
    a replacement must share it."""
    runs: list[list[tuple[str, int, int]]] = []
    run: list[tuple[str, int, int]] = []
    for word, start, end in words:
        name = start > 0 and word[:1].isupper() and not any(c.isdigit() for c in word) and not word.isupper()
        if name and run and not text[run[-1][2] : start].strip():
            run.append((word, start, end))
            continue
        runs.append(run)
        run = [(word, start, end)] if name else []
    runs.append(run)
    return [_make("organisation", text, r[0][1], r[-1][2], group=fold_lower(r[0][0].replace("_", " ")))
            for r in runs if r and _capitals(text[r[0][1] : r[-1][2]]) >= 2]


def _capitals(text: str) -> int:
    return sum(w[:1].isupper() for w in text.split())


def _located_words(text: str) -> list[tuple[str, int, int]]:
    """pyvi's words of ``text`` with their offsets (up to where the segmenter changed the text)."""
    out: list[tuple[str, int, int]] = []
    cursor = 0
    for word in tokenize(text).split():
        start = end = text.find(word.split("_")[0], cursor)
        for syllable in word.split("_"):
            found = text.find(syllable, end)
            if found < 0 or start < 0:
                return out
            end = found + len(syllable)
        out.append((word, start, end))
        cursor = end
    return out


def _resolve(text: str, found: list[Constraint]) -> list[Constraint]:
    """Keep the constraints by kind order; one overlapping a kept one keeps its longest free piece."""
    kept: list[Constraint] = []
    for c in sorted(found, key=lambda c: (_PRIORITY.index(c.group if c.group == "named" else c.kind),
                                          c.start, -c.end)):
        piece = _free_piece(text, c, kept)
        if piece is not None:
            kept.append(piece)
    return sorted(kept, key=lambda c: c.start)


def _free_piece(text: str, c: Constraint, kept: list[Constraint]) -> Constraint | None:
    taken = sorted((k.start, k.end) for k in kept if k.start < c.end and c.start < k.end)
    if not taken:
        return c
    pieces, start = [], c.start
    for s, e in taken + [(c.end, c.end)]:
        pieces.append((start, max(start, s)))
        start = max(start, e)
    s, e = max(pieces, key=lambda p: p[1] - p[0])
    while s < e and not text[s].isalnum():
        s += 1
    while e > s and not text[e - 1].isalnum():
        e -= 1
    if e - s < 2 or not text[s].isupper() or c.kind not in ("person", "place", "organisation"):
        return None  # only a name can lose a part and remain itself
    if c.kind == "organisation" and (s != c.start or _capitals(text[s:e]) < 2):
        return None  # an organisation without its first word is not one
    return _make(c.kind, text, s, e, c.group)
