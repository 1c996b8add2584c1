"""The time a question names, as a :class:`~assistant.documents.Period` retrieval narrows to.

"Hà Nội đón bao nhiêu đoàn khách năm 2019?" is about 2019: an article of 2016 that never
names 2019 cannot answer it, and it should not crowd out those that can. Read from the years
and ranges ``analysis`` already found (a law's year, "Luật Đầu tư 2020", is not a period there),
refined by the words around a year: "quý I/2024", "6 tháng đầu năm 2016", "tháng 3/2024",
"từ năm 2016 đến nay". Several separate years ("2019 và 2020") name no one period.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from ..documents import Period
from .query import Query

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_NUMERALS = {n: r.upper() for r, n in _ROMAN.items()}
_QUARTER = r"quý\s+(iv|i{1,3}|[1-4])\s*(?:/|năm\s+|,\s*)\s*{y}\b"
_HALF = r"(?:(?:6|sáu)\s+tháng|nửa)\s+(đầu|cuối)\s+năm\s+{y}\b"
_MONTH = r"tháng\s+(1[0-2]|0?[1-9])\s*(?:/|năm\s+)\s*{y}\b"
_YEAR = r"(?:\bnăm|\bin|/)\s*{y}\b"
_SINCE = r"(?:từ|kể từ)\s+(?:năm\s+)?{y}\s+(?:đến|tới)\s+(?:nay|hiện nay|bây giờ)\b"


def _month_end(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}-{calendar.monthrange(year, month)[1]:02d}"


def period_named(query: Query, today: date | None = None) -> Period | None:
    """The one period ``query`` names, or None."""
    a = query.analysis
    if a is None:
        return None
    if a.ranges:
        spans = {(int(lo), int(hi)) for lo, hi in a.ranges}
        if len(spans) != 1 or a.years:
            return None
        lo, hi = spans.pop()
        return Period(f"{lo:04d}-01-01", f"{hi:04d}-12-31", f"{lo}–{hi}") if lo <= hi else None
    if len(a.years) != 1:
        return None
    y = int(a.years[0])
    low = query.dense_text.lower()
    year = re.escape(a.years[0])
    m = re.search(_QUARTER.replace("{y}", year), low)
    if m:
        q = _ROMAN.get(m.group(1)) or int(m.group(1))
        return Period(f"{y:04d}-{3 * q - 2:02d}-01", _month_end(y, 3 * q), f"quý {_NUMERALS[q]}/{y}")
    m = re.search(_HALF.replace("{y}", year), low)
    if m:
        first = m.group(1) == "đầu"
        return (Period(f"{y:04d}-01-01", _month_end(y, 6), f"6 tháng đầu năm {y}") if first
                else Period(f"{y:04d}-07-01", _month_end(y, 12), f"6 tháng cuối năm {y}"))
    m = re.search(_MONTH.replace("{y}", year), low)
    if m:
        mon = int(m.group(1))
        return Period(f"{y:04d}-{mon:02d}-01", _month_end(y, mon), f"tháng {mon}/{y}")
    if re.search(_SINCE.replace("{y}", year), low):
        end = (today or date.today()).isoformat()
        return Period(f"{y:04d}-01-01", max(end, f"{y:04d}-12-31"), f"từ năm {y} đến nay")
    if re.search(_YEAR.replace("{y}", year), low):  # "2000 kiều bào" is a figure, "năm 2000" a year
        return Period(f"{y:04d}-01-01", f"{y:04d}-12-31", f"năm {y}")
    return None
