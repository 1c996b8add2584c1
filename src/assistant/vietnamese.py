"""Vietnamese text primitives: normalisation, diacritics, syllables, sentences, tokens.

Everything that must treat "hòa", "hoà", "hoa\u0300" and "hoa" consistently lives here,
so that the loader, the index and the question side can never disagree.

Deliberately not here: the word segmentation model (``wordseg``, loaded on first use by
:func:`segment`) and anything corpus-specific.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền sắc ngã hỏi nặng


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# --- tone placement -------------------------------------------------------------------
# Old ("hòa", "thủy") and new ("hoà", "thuỷ") conventions differ only for open syllables
# ending in oa/oe/uy. We keep the old one, which the seed articles and most of the press use.
def _build_tone_table() -> dict[str, str]:
    table = {}
    for first, second in (("o", "a"), ("o", "e"), ("u", "y")):
        for tone in _TONES:
            for f, s in ((first, second), (first.upper(), second.upper()), (first.upper(), second)):
                new = f + unicodedata.normalize("NFC", s + tone)
                old = unicodedata.normalize("NFC", f + tone) + s
                table[new] = old
    return table


_TONE_TABLE = _build_tone_table()
_TONE_RE = re.compile(
    r"(?<![qQ\w])([a-zA-Z]{0,3}?)(" + "|".join(map(re.escape, _TONE_TABLE)) + r")(?![\w])"
)


def normalize_tones(text: str) -> str:
    """'hoà' -> 'hòa', 'thuỷ' -> 'thủy'; leaves 'hoàng', 'quý', 'khuya' alone."""

    def fix(m: re.Match) -> str:
        onset = m.group(1)
        # subtle: in "qu"+"y" the u belongs to the onset, so the tone stays on y.
        if onset.lower().endswith("q"):
            return m.group(0)
        return onset + _TONE_TABLE[m.group(2)]

    return _TONE_RE.sub(fix, text)


def normalize(text: str) -> str:
    """The one canonical form used for storage, hashing and matching: NFC + old tone style."""
    # subtle: NFC before tone moves (the table is NFC), and again after (moves keep NFC).
    return nfc(normalize_tones(nfc(text)))


# --- text from outside ------------------------------------------------------------------
# Terminal escape sequences (CSI "\x1b[31m", OSC "\x1b]0;title\x07") and every control
# character but tab and line feed; C1 controls and the bidirectional overrides too, which
# can make a terminal or a page show text in another order than it is stored.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b\n]{0,256}(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def strip_controls(text: str) -> str:
    """``text`` without terminal escapes and control characters (tab, line feed and CR kept)."""
    return _CONTROL.sub("", _ANSI.sub("", text))


def clean_input(text: str) -> str:
    """Any text from outside (a question, a file, JSON, argv) in the form everything else expects.

    Lone surrogates (invalid UTF-8 bytes smuggled in by ``surrogateescape``, or a JSON
    ``"\\ud800"``) become U+FFFD, controls and terminal escapes go, then :func:`normalize`.
    The result always encodes as UTF-8.
    """
    if not isinstance(text, str):
        text = str(text)
    return normalize(strip_controls(_SURROGATE.sub("\ufffd", text)))


# --- diacritics -------------------------------------------------------------------------
def fold(text: str) -> str:
    """Strip diacritics: 'Hải Phòng' -> 'Hai Phong', 'Đà' -> 'Da'."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def has_diacritics(text: str) -> bool:
    return fold(text) != text


# --- syllables --------------------------------------------------------------------------
_ONSETS = "ngh|ng|gh|gi|kh|nh|ph|th|tr|ch|qu|b|c|d|đ|g|h|k|l|m|n|p|r|s|t|v|x"
_NUCLEI = (
    "uyê|oai|oay|oeo|uây|uôi|ươi|ươu|uya|uyu|yêu|iêu|"
    "ai|ao|au|ay|âu|ây|eo|êu|ia|iê|iu|oa|oă|oe|oi|ôi|ơi|oo|ua|uâ|uê|ui|uô|uơ|uy|ưa|ưi|ươ|ưu|yê|"
    "a|ă|â|e|ê|i|o|ô|ơ|u|ư|y"
)
_CODAS = "ch|ng|nh|c|m|n|p|t"
_SYLLABLE_RE = re.compile(rf"^(?:{_ONSETS})?(?:{_NUCLEI})(?:{_CODAS})?$")


def _strip_tone(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.lower())
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))


@lru_cache(maxsize=1 << 17)  # words repeat: cleaning an archive asks about the same ones millions of times
def is_syllable(word: str) -> bool:
    """True for a well-formed Vietnamese syllable ('trải', 'Sở', 'nghiêng')."""
    return bool(word) and bool(_SYLLABLE_RE.match(_strip_tone(word)))


@lru_cache(maxsize=1)
def common_syllables() -> frozenset[str]:
    """Frequent Vietnamese syllables (lower-case), shipped with the package."""
    from importlib.resources import files

    text = files("assistant").joinpath("data/syllables.txt").read_text(encoding="utf-8")
    return frozenset(w for w in (ln.strip() for ln in text.splitlines()) if w and w[0] != "#")


# --- tokens -----------------------------------------------------------------------------
_WORD_RE = re.compile(r"\w+(?:[./,-]\w+)*", re.UNICODE)

# Function words and question words: they carry no topic and would only add BM25 noise.
STOPWORDS = frozenset(
    ["à", "ạ", "ai", "anh", "bao", "bị", "bởi", "các", "cái", "cần", "cho", "chỉ", "chưa", "có", "của", "cùng", "đã", "đang", "đâu", "để", "đến", "đều", "điều", "do", "đó", "được", "gì", "hay", "hãy", "hoặc", "khi", "không", "là", "lại", "làm", "lên", "mà", "mấy", "một", "nào", "này", "nên", "nếu", "những", "như", "nhiều", "nơi", "ở", "ra", "rằng", "rồi", "sao", "sẽ", "thì", "theo", "thế", "trên", "trong", "từ", "và", "vào", "về", "vì", "với", "bao_nhiêu", "khi_nào", "thế_nào", "như_thế_nào", "là_gì", "là_ai", "tại_sao", "vì_sao", "ở_đâu", "nào_đó", "hiện", "nay", "đến_nay", "hiện_nay", "the", "a", "an", "of", "in", "on", "at", "to", "for", "and", "or", "is", "are", "was", "were", "what", "which", "who", "when", "how", "many", "much", "does", "did", "do", "with", "by", "from", "as", "that", "this"]
)

ENGLISH_WORDS = frozenset(
    ["the", "a", "an", "of", "in", "on", "at", "to", "for", "and", "or", "is", "are", "was", "were", "what", "which", "who", "whom", "whose", "when", "where", "how", "many", "much", "does", "did", "do", "with", "by", "from", "as", "that", "this", "these", "those", "it", "its", "be", "been", "has", "have", "had", "year", "years", "city", "province", "department", "director", "foreign", "affairs", "investment"]
)


def looks_english(text: str) -> bool:
    """No diacritics, and English function words or mostly words no Vietnamese syllable spells
    ("Who won Super Bowl XLIX?"); "so ngoai vu ha noi" stays Vietnamese."""
    if has_diacritics(text):
        return False
    toks = [w.lower() for w in _WORD_RE.findall(text)]
    if sum(t in ENGLISH_WORDS for t in toks) >= 2:
        return True
    letters = [t for t in toks if t.isalpha()]
    return len(letters) >= 3 and sum(not is_syllable(t) for t in letters) * 2 > len(letters)


def words(text: str) -> list[str]:
    """Surface word tokens (numbers and dates kept whole: '19/3/1983', '7,63')."""
    return _WORD_RE.findall(text)


def segment(text: str) -> str:
    """Vietnamese word segmentation: 'thành lập Sở Ngoại vụ' -> 'thành_lập Sở Ngoại_vụ'."""
    from . import wordseg  # lazy: its model loads in ~0.1 s

    return wordseg.tokenize(text)


def index_terms(text: str, *, folded: bool = False) -> list[str]:
    """Lower-cased terms for BM25: every syllable plus every multi-syllable word.

    Indexing both means a question segmented differently from the passage still matches
    on syllables, while a matching compound ('ngoại_vụ') adds the stronger signal.
    """
    return _terms(segment(normalize(text)).split(), folded)


def index_terms_both(text: str) -> tuple[list[str], list[str]]:
    """``index_terms(text)`` and ``index_terms(text, folded=True)``, segmenting once (a build's
    costliest step but embedding)."""
    tokens = segment(normalize(text)).split()
    return _terms(tokens, False), _terms(tokens, True)


def _terms(tokens: list[str], folded: bool) -> list[str]:
    terms: list[str] = []
    for token in tokens:
        terms.extend(_token_terms(token, folded))
    return terms


@lru_cache(maxsize=1 << 18)  # a corpus's distinct tokens are few against its running words
def _token_terms(token: str, folded: bool) -> tuple[str, ...]:
    """One segmented token's terms: its syllables but stopwords, then the word they make."""
    token = token.lower()
    if folded:
        token = fold(token)
    parts = [p for p in token.split("_") if _WORD_RE.fullmatch(p)]
    terms = [p for p in parts if p not in STOPWORDS]
    if len(parts) > 1 and token not in STOPWORDS:
        terms.append("_".join(parts))
    return tuple(terms)


# --- sentences --------------------------------------------------------------------------
_ABBREV = {"tp", "ts", "ths", "gs", "pgs", "bs", "ks", "st", "mr", "mrs", "dr", "v.v", "tr", "no"}
_SENT_END = re.compile(r"[.!?…]+[\"”’')\]]*(?=\s+|$)|\n+")


MAX_SENTENCE_CHARS = 1000  # longer "sentences" (lists, tables, text with no full stop) are cut
_NEXT_CHAR = re.compile(r"\s*(\S)")
_LAST_WORD = re.compile(r"(\S+)\s*$")
_LAST_TWO = re.compile(r"(?:(\S+)\s+)?(\S+)\s*$")
_NEXT_INITIAL = re.compile(r"\s*[^\W\d_]\.(?=\s)")


def _initial(text: str, start: int, dot: int, end: int) -> bool:
    """Is the full stop at ``dot`` the one after an initial ("Frederick W. Mote", "J. R. R.
    Tolkien", "G. W. Bush")? A single capital letter is an initial when a capitalised word
    follows and it is itself inside a name: the word before it is capitalised, or the next
    word is an initial too.

    The trade-off: a sentence ending in a one-letter word after a capitalised one ("… Khu V.
    Sau đó", "Nguyễn Văn A. Ông …") stays joined to the next; after a lower-case word ("vitamin
    C. Sau đó", "Phụ lục B. Tiếp") it still ends, and "Thế chiến II." is two letters, not an
    initial."""
    two = _LAST_TWO.search(text, max(start, dot - 40), dot)
    if not two or len(two.group(2)) != 1 or not two.group(2).isupper():
        return False
    nx = _NEXT_CHAR.match(text, end)
    if not nx or not nx.group(1).isupper():
        return False
    prev = (two.group(1) or "").lstrip("(\"“'‘")
    return prev[:1].isupper() or bool(_NEXT_INITIAL.match(text, end))


def sentence_spans(text: str, max_chars: int = MAX_SENTENCE_CHARS) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text`` (line breaks always end a sentence).

    A sentence longer than ``max_chars`` is cut into pieces of at most that length, at a
    clause boundary (", ; :") when there is one in the second half of the piece, else at a
    space. Linear in the length of ``text``.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENT_END.finditer(text):
        end = m.end()
        if m.group(0)[0] != "\n":
            # only the last 40 characters can hold an abbreviation: keeps this linear
            lw = _LAST_WORD.search(text, max(start, m.start() - 40), m.start())
            last = lw.group(1).lower().rstrip(".") if lw else ""
            nx = _NEXT_CHAR.match(text, end)
            # subtle: "TP. Hồ Chí Minh", "v.v. và" and "Frederick W. Mote" are not sentence
            # ends; neither is a full stop followed by a lower-case word.
            if last in _ABBREV or (nx and nx.group(1).islower()) or _initial(text, start, m.start(), end):
                continue
        _add_span(text, start, end, spans, max_chars)
        start = end
    _add_span(text, start, len(text), spans, max_chars)
    return spans


_CLAUSE_END = re.compile(r"[,;:]\s")


def _add_span(text: str, start: int, end: int, spans: list[tuple[int, int]], max_chars: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    while end - start > max_chars:  # too long: cut at a clause boundary, else a space, else anywhere
        limit = start + max_chars
        half = start + max_chars // 2
        cut = max((m.end() for m in _CLAUSE_END.finditer(text, half, limit)), default=0)
        if not cut:
            space = text.rfind(" ", half, limit)
            cut = space + 1 if space > 0 else limit
        _add_span(text, start, cut, spans, max_chars)
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start and any(c.isalnum() for c in text[start:end]):
        spans.append((start, end))


def word_shingles(text: str, n: int) -> set[tuple[str, ...]]:
    """Runs of ``n`` words, case and diacritics folded (a text shorter than ``n`` is one run)."""
    toks = [_folded_word(w) for w in words(text)]
    return {tuple(toks[i : i + n]) for i in range(max(1, len(toks) - n + 1))}


@lru_cache(maxsize=1 << 17)
def _folded_word(word: str) -> str:
    return fold(word.lower())
