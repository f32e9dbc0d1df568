"""Time expressions in questions and passages -> date ranges, resolved against an "as of" date.

``resolve("去年7月深圳发生了什么?", date(2020, 5, 1))`` gives ``[DateRange(2019-07-01, 2019-07-31, ...)]``.
Explicit dates (2020年4月2日, 2019年7月, 2015年, July 2019, 2015-2021) and relative ones (今天, 昨天, 上周,
上个月, 今年年初, 去年, 前年, 三年前, 近两年, 截至上周, last year, two years ago, in the past 3 years, ...)
become inclusive ranges at their own granularity. Rule-based and offline.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

MIN_DATE, MAX_DATE = date(1, 1, 1), date(9999, 12, 31)


@dataclass(frozen=True)
class DateRange:
    """An inclusive span of days named by ``text``; ``relative`` when it depends on the as-of date."""

    start: date
    end: date
    text: str
    granularity: str  # day | week | month | quarter | year | span
    relative: bool = False

    def contains(self, iso: str | None) -> bool:
        """Whether an ISO date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) overlaps this range."""
        span = iso_span(iso)
        return span is not None and span[0] <= self.end and span[1] >= self.start

    def to_dict(self) -> dict[str, str | bool]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "text": self.text,
                "granularity": self.granularity, "relative": self.relative}


def iso_span(iso: str | None) -> tuple[date, date] | None:
    """The days an ISO date at year, month or day granularity covers; ``None`` for blank or malformed."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", (iso or "").strip())
    if not m:
        return None
    y, mo, d = int(m.group(1)), m.group(2), m.group(3)
    try:
        if d:
            day = date(y, int(mo), int(d))
            return day, day
        if mo:
            return _month(y, int(mo))
        return date(y, 1, 1), date(y, 12, 31)
    except ValueError:
        return None


def parse_as_of(value: str | date | None) -> date:
    """``as_of`` as a date: a ``date``, an ISO ``YYYY-MM-DD`` string, or today when blank."""
    if isinstance(value, date):
        return value
    if not value or not str(value).strip():
        return date.today()
    m = re.fullmatch(r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*", str(value))
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else _bad_as_of(value)
    except ValueError:
        return _bad_as_of(value)


def _bad_as_of(value: object) -> date:
    raise ValueError(f"as_of must be a date like YYYY-MM-DD, got {value!r}")


_NUM = "零〇一二两三四五六七八九十百"
_CN = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_EN_NUM = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())}
_EN_NUM.update({"a": 1, "an": 1, "a couple of": 2, "several": 3, "a few": 3})
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
_MONTHS["sept"] = 9
_MON = "|".join(sorted(_MONTHS, key=len, reverse=True))


def _number(s: str) -> int | None:
    """Arabic, Chinese (三, 十二, 二十五, 两) or English (two, a) numbers."""
    s = s.strip().lower()
    if s.isdigit():
        return int(s)
    if s in _EN_NUM:
        return _EN_NUM[s]
    if s and all(c in _NUM for c in s):
        if "百" in s:
            return None
        if "十" in s:
            tens, _, ones = s.partition("十")
            return (_CN.get(tens, 1) if tens else 1) * 10 + (_CN.get(ones, 0) if ones else 0)
        if len(s) == 4:  # 二〇一九
            return int("".join(str(_CN[c]) for c in s))
        return _CN.get(s)
    return None


def _month(y: int, m: int) -> tuple[date, date]:
    return date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])


def _add_months(d: date, n: int) -> date:
    k = d.year * 12 + d.month - 1 + n
    y, m = divmod(k, 12)
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def _years_back(d: date, n: int) -> date:
    try:
        return d.replace(year=d.year - n)
    except ValueError:  # 29 February
        return d.replace(year=d.year - n, day=28)


def _week(d: date) -> tuple[date, date]:
    start = d - timedelta(days=d.weekday())
    return start, start + timedelta(days=6)


def _part_of_year(y: int, part: str) -> tuple[date, date, str]:
    """年初/年底/上半年/下半年/春节前后… of year ``y``."""
    if part in ("年初", "初", "年头", "开年"):
        return date(y, 1, 1), date(y, 3, 31), "quarter"
    if part in ("年底", "年末", "底", "末", "年尾"):
        return date(y, 10, 1), date(y, 12, 31), "quarter"
    if part == "上半年":
        return date(y, 1, 1), date(y, 6, 30), "quarter"
    if part == "下半年":
        return date(y, 7, 1), date(y, 12, 31), "quarter"
    if part == "年中":
        return date(y, 5, 1), date(y, 8, 31), "quarter"
    return date(y, 1, 1), date(y, 12, 31), "year"


_YEAR_WORD = {"今年": 0, "本年": 0, "去年": 1, "上一年": 1, "前年": 2, "大前年": 3, "明年": -1}
_PART = r"(年初|年底|年末|年中|上半年|下半年)?"
_D = r"(\d{1,2}|[一二三四五六七八九十]{1,3})"
_AND_TO = r"\s*(?:和|与|及|、|至|到|—|–|-|~|～)\s*"  # between the days of one report ('30日和31日', '25日至27日')


_MPART = (r"(?P<mp>上旬|中旬|下旬|初(?![步次期始级心衷中创赛审选稿版一二三四五六七八九十])|末(?![期班端尾日位])|底(?![线特层])"
          r"|中(?=[，,的\s]|$))?")  # not '初中', '初审', '末班车', '底特律
# 2月中旬, 6月底, 8月初: read as the whole month (people use them loosely: the part's ten days cost 2 of 290 relative
# ChronoQA dev answers, 3月初 for an event of 3月11日), but part of the expression, so '中旬' is no topic word


def _days(lo: date, hi: date) -> str:
    """The granularity of the days of one report: days up to a week, a span beyond."""
    return "day" if (hi - lo).days <= 7 else "span"


def _pass(text: str, as_of: date, report: bool = False) -> list[tuple[int, int, date, date, str, bool]]:
    """(start, end, from, to, granularity, relative) for every expression found, longest rules first. In a
    ``report`` (an article dated ``as_of``) a month or day with no year is the nearest one, ahead or back ('将于12月
    25日举行' in a report of 12月24日); in a question it is the last one up to ``as_of``."""
    found: list[tuple[int, int, date, date, str, bool]] = []

    def add(m: re.Match[str], lo: date, hi: date, gran: str, rel: bool) -> None:
        if lo <= hi:
            found.append((m.start(), m.end(), lo, hi, gran, rel))

    def safe(fn):  # type: ignore[no-untyped-def]
        def run(m: re.Match[str]) -> None:
            try:
                fn(m)
            except (ValueError, OverflowError, TypeError):
                pass
        return run

    y0 = as_of.year

    # spans: 2015年至2021年, 2015-2021年, from 2015 to 2021, between 2015 and 2021
    @safe
    def span(m: re.Match[str]) -> None:
        a, b = int(m.group(1)), int(m.group(2))
        if a <= b:
            add(m, date(a, 1, 1), date(b, 12, 31), "span", False)

    for m in re.finditer(r"((?:19|20)\d{2})\s*年?\s*(?:至|到|—|–|-|~|～)\s*((?:19|20)\d{2})\s*年?", text):
        span(m)
    for m in re.finditer(r"\b(?:from|between)\s+((?:19|20)\d{2})\s+(?:to|and|until|through)\s+((?:19|20)\d{2})\b", text, re.I):
        span(m)

    # full dates: 2020年4月2日, 2020-04-02, 2020/4/2, 2020.4.2
    @safe
    def ymd(m: re.Match[str]) -> None:
        day = date(int(m.group(1)), _number(m.group(2)) or 0, _number(m.group(3)) or 0)
        add(m, day, day, "day", False)

    # days of one report: 2023年7月30日和31日, 2023年7月30日至8月2日
    @safe
    def ymd_span(m: re.Match[str]) -> None:
        y, mo = int(m.group(1)), _number(m.group(2)) or 0
        lo = date(y, mo, _number(m.group(3)) or 0)
        hi = date(y, _number(m.group(4)) or 0 if m.group(4) else mo, _number(m.group(5)) or 0)
        if lo < hi:
            add(m, lo, hi, _days(lo, hi), False)

    for m in re.finditer(rf"((?:19|20)\d{{2}})\s*年\s*{_D}\s*月\s*{_D}\s*[日号]?{_AND_TO}(?:{_D}\s*月\s*)?{_D}\s*[日号]", text):
        ymd_span(m)
    for m in re.finditer(rf"((?:19|20)\d{{2}})\s*年\s*{_D}\s*月\s*{_D}\s*[日号]", text):
        ymd(m)
    for m in re.finditer(r"(?<!\d)((?:19|20)\d{2})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)", text):
        ymd(m)

    @safe
    def en_mdy(m: re.Match[str]) -> None:
        day = date(int(m.group(3)), _MONTHS[m.group(1).lower().rstrip(".")], int(m.group(2)))
        add(m, day, day, "day", False)

    for m in re.finditer(rf"\b({_MON})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+((?:19|20)\d{{2}})\b", text, re.I):
        en_mdy(m)

    @safe
    def en_dmy(m: re.Match[str]) -> None:
        day = date(int(m.group(3)), _MONTHS[m.group(2).lower().rstrip(".")], int(m.group(1)))
        add(m, day, day, "day", False)

    for m in re.finditer(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MON})\.?,?\s+((?:19|20)\d{{2}})\b", text, re.I):
        en_dmy(m)

    # year + month: 2019年7月, July 2019, 2019-07
    @safe
    def ym(m: re.Match[str]) -> None:
        add(m, *_month(int(m.group(1)), _number(m.group(2)) or 0), "month", False)

    for m in re.finditer(rf"((?:19|20)\d{{2}})\s*年\s*{_D}\s*月(?:份)?(?!\s*{_D}\s*[日号]){_MPART}", text):
        ym(m)
    for m in re.finditer(r"(?<!\d)((?:19|20)\d{2})-(\d{1,2})(?![-\d])", text):
        ym(m)

    @safe
    def en_my(m: re.Match[str]) -> None:
        add(m, *_month(int(m.group(2)), _MONTHS[m.group(1).lower().rstrip(".")]), "month", False)

    for m in re.finditer(rf"\b({_MON})\.?,?\s+(?:of\s+)?((?:19|20)\d{{2}})\b", text, re.I):
        en_my(m)

    # a year with a part: 2015年, 2015年上半年, 二〇一九年, in 2015
    @safe
    def year(m: re.Match[str]) -> None:
        y = _number(m.group(1))
        if y and 1000 < y < 3000:
            lo, hi, gran = _part_of_year(y, m.group(2) or "")
            add(m, lo, hi, gran, False)

    for m in re.finditer(rf"((?:19|20)\d{{2}}|[一二〇零三四五六七八九]{{4}})\s*年(?:度)?{_PART}", text):
        year(m)
    for m in re.finditer(r"(?:\b(?:in|of|since|before|after|during|by|until)\s+|(?<![\d\-/.]))((?:19|20)\d{2})(?![\d年\-/.%])"
                         r"(?!\s*(?:个|名|人|元|万|亿|件|家|次|条|km|kg|m\b))()", text, re.I):
        year(m)

    # relative years: 去年, 今年年初, 去年7月, 前年12月5日
    @safe
    def rel_year(m: re.Match[str]) -> None:
        y = y0 - _YEAR_WORD[m.group(1)]
        mo, dd, part, sub = m.group(2), m.group(3), m.group(4), m.group("mp")
        if mo and dd:
            day = date(y, _number(mo) or 0, _number(dd) or 0)
            add(m, day, day, "day", True)
        elif mo:
            add(m, *_month(y, _number(mo) or 0), "month", True)
        else:  # '去年底': the part of the year
            lo, hi, gran = _part_of_year(y, part or sub or "")
            add(m, lo, hi, gran, True)

    words = "|".join(sorted(_YEAR_WORD, key=len, reverse=True))
    for m in re.finditer(rf"({words})(?:{_D}\s*月(?:份)?(?:{_D}\s*[日号])?|{_PART}){_MPART}", text):
        rel_year(m)

    # N年前 / N个月前 / N天前 / N周前 (a point at that granularity)
    @safe
    def ago(m: re.Match[str]) -> None:
        n = _number(m.group(1))
        unit = m.group(2).lower()
        if n is None:
            return
        if unit.startswith(("年", "year")):
            y = y0 - n
            add(m, date(y, 1, 1), date(y, 12, 31), "year", True)
        elif unit.startswith(("个月", "月", "month")):
            d = _add_months(as_of, -n)
            add(m, *_month(d.year, d.month), "month", True)
        elif unit.startswith(("周", "星期", "礼拜", "week")):
            add(m, *_week(as_of - timedelta(weeks=n)), "week", True)
        else:
            d = as_of - timedelta(days=n)
            add(m, d, d, "day", True)

    for m in re.finditer(rf"([\d{_NUM}]+)\s*(年|个月|个星期|个礼拜|周|天|日)多?(?:之|以)?前", text):
        ago(m)
    for m in re.finditer(rf"(?<![近最过])前([{_NUM}\d]+)(年)(?!来|以来|内|里|中)", text):
        ago(m)
    @safe
    def ago_month(m: re.Match[str]) -> None:  # 两年前的7月, 四年前6月底, 五年前12月21日: that year's month or day
        n, mo, dd = _number(m.group(1)), _number(m.group(2)) or 0, m.group(3)
        if n is None:
            return
        if dd:
            day = date(y0 - n, mo, _number(dd) or 0)
            add(m, day, day, "day", True)
        else:
            add(m, *_month(y0 - n, mo), "month", True)

    for m in re.finditer(rf"([\d{_NUM}]+)\s*年(?:之|以)?前的?{_D}\s*月(?:份)?(?:{_D}\s*[日号]|{_MPART})", text):
        ago_month(m)
    for m in re.finditer(rf"(?:(去年|前年)|([\d{_NUM}]+)\s*年(?:之|以)?前)的?(?:(今天|今日|这一天|同一天)|这个时候|这时候|此时)", text):
        n = _YEAR_WORD[m.group(1)] if m.group(1) else _number(m.group(2))  # 去年的今天, 四年前的这个时候
        if n is None:
            continue
        d = _years_back(as_of, n)
        if m.group(3):
            add(m, d, d, "day", True)
        else:  # read as that year: the dev data uses it loosely ('四年前的这个时候' for a January report, asked in November)
            add(m, date(d.year, 1, 1), date(d.year, 12, 31), "year", True)
    for m in re.finditer(r"半年(?:之|以)?前", text):
        d = _add_months(as_of, -6)
        add(m, *_month(d.year, d.month), "month", True)
    vague = {"年": 10, "y": 10, "个": 12, "m": 12, "周": 8, "w": 8}  # how far back "几年前"/"a few months ago" reaches
    for m in re.finditer(r"几(年|个月|周|天)(?:之|以)?前|\b(?:a few|several) (years|months|weeks|days) ago\b", text, re.I):
        unit = (m.group(1) or m.group(2)).lower()[0]
        n = vague.get(unit, 14)
        lo = _years_back(as_of, n) if unit in "年y" else _add_months(as_of, -n) if unit in "个m" else (
            as_of - timedelta(weeks=n) if unit in "周w" else as_of - timedelta(days=n))
        add(m, lo, as_of, "span", True)
    for m in re.finditer(r"(上|本|这)个?季度|\b(last|this) quarter\b", text, re.I):
        back = 1 if (m.group(1) == "上" or (m.group(2) or "").lower() == "last") else 0
        q0 = _add_months(date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1), -3 * back)
        add(m, q0, _add_months(q0, 3) - timedelta(days=1), "quarter", True)
    for m in re.finditer(r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a|an|a couple of|a few|several)"
                         r"\s+(years?|months?|weeks?|days?)\s+ago\b", text, re.I):
        ago(m)

    # windows up to as_of: 近两年, 近三个月, 过去五年, 最近一周, in the past 3 years, over the last two months
    @safe
    def window(m: re.Match[str]) -> None:
        n = _number(m.group(1) or "一") if m.group(1) is not None else 1
        unit = m.group(2).lower()
        if n is None:
            return
        if unit.startswith(("年", "year")):
            lo = _years_back(as_of, n)
        elif unit.startswith(("个月", "月", "month")):
            lo = _add_months(as_of, -n)
        elif unit.startswith(("周", "星期", "week")):
            lo = as_of - timedelta(weeks=n)
        else:
            lo = as_of - timedelta(days=n)
        add(m, lo, as_of, "span", True)

    for m in re.finditer(rf"(?:近|最近|过去|前)([\d{_NUM}]+)?\s*(年|个月|个星期|周|天|日)(?:来|以来|内|里)?", text):
        if m.group(0).startswith("前") and not m.group(1):
            continue
        window(m)
    for m in re.finditer(r"\b(?:in|over|during|within)\s+the\s+(?:past|last)\s+"
                         r"(\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|few|couple of)?"
                         r"\s*(years?|months?|weeks?|days?)\b", text, re.I):
        window(m)

    # this/last week, month, day; month-day in the as-of year
    def rel(pattern: str, lo: date, hi: date, gran: str, flags: int = 0) -> None:
        for m in re.finditer(pattern, text, flags):
            add(m, lo, hi, gran, True)

    rel(r"今天|今日|\btoday\b", as_of, as_of, "day", re.I)
    yday = as_of - timedelta(days=1)
    rel(r"昨天|昨日|\byesterday\b", yday, yday, "day", re.I)
    rel(r"前天|前日|\bthe day before yesterday\b", as_of - timedelta(days=2), as_of - timedelta(days=2), "day", re.I)
    rel(r"本周|这周|这个星期|本星期|\bthis week\b", *_week(as_of), "week", re.I)
    rel(r"上周|上星期|上个星期|上礼拜|\blast week\b", *_week(as_of - timedelta(weeks=1)), "week", re.I)
    rel(r"本月|这个月|\bthis month\b", *_month(as_of.year, as_of.month), "month", re.I)
    last_month = _add_months(as_of, -1)
    rel(r"上个月|上月|\blast month\b", *_month(last_month.year, last_month.month), "month", re.I)
    rel(r"\bthis year\b", date(y0, 1, 1), date(y0, 12, 31), "year", re.I)
    rel(r"\blast year\b", date(y0 - 1, 1, 1), date(y0 - 1, 12, 31), "year", re.I)
    rel(r"\bthe year before last\b", date(y0 - 2, 1, 1), date(y0 - 2, 12, 31), "year", re.I)
    for m in re.finditer(r"\bearly (this|last) year\b", text, re.I):
        y = y0 - (m.group(1).lower() == "last")
        add(m, date(y, 1, 1), date(y, 3, 31), "quarter", True)
    for m in re.finditer(r"\b(?:late|the end of) (this|last) year\b", text, re.I):
        y = y0 - (m.group(1).lower() == "last")
        add(m, date(y, 10, 1), date(y, 12, 31), "quarter", True)

    @safe
    def md(m: re.Match[str]) -> None:
        mo, dd = _number(m.group(1)) or 0, _number(m.group(2)) if m.group(2) else None
        y = y0
        first = date(y, mo, dd or 1)
        if first > as_of and not (report and (first - as_of) < (as_of - first.replace(year=y - 1))):
            y -= 1  # "7月23日" asked in May means last July
        if dd and m.group(3):  # '12月25日至27日'
            lo, hi = date(y, mo, dd), date(y, mo, _number(m.group(3)) or 0)
            add(m, lo, hi, _days(lo, hi), True)
        elif dd:
            day = date(y, mo, dd)
            add(m, day, day, "day", True)
        else:
            add(m, *_month(y, mo), "month", True)

    days = rf"{_D}\s*[日号](?:{_AND_TO}{_D}\s*[日号])?"
    for m in re.finditer(rf"(?<![\d年{_NUM}同单每唯个])(?<!年\s){_D}\s*月(?:份)?(?:{days}|{_MPART})", text):
        md(m)
    return found


def _until(text: str, found: list[tuple[int, int, date, date, str, bool]]) -> list[tuple[int, int, date, date, str, bool]]:
    """截至/直到/until/by X: from the beginning of time to the end of X."""
    out = []
    for s, e, lo, hi, gran, rel in found:
        before = text[max(0, s - 6) : s]
        if re.search(r"(?:截至|截止到?|直到|到|至|\bas of|\buntil|\bup to|\bby)\s*$", before, re.I) and gran != "span":
            out.append((s, e, MIN_DATE, hi, "span", rel))
        elif re.search(r"(?:自|从|\bsince)\s*$", before, re.I) and gran != "span":
            out.append((s, e, lo, MAX_DATE, "span", rel))
        else:
            out.append((s, e, lo, hi, gran, rel))
    return out


def resolve(text: str, as_of: str | date | None = None, report: bool = False) -> list[DateRange]:
    """Every time expression in ``text`` as a date range, in text order; overlapping matches keep the longest.
    ``report``: ``text`` is an article dated ``as_of`` (see ``_pass``)."""
    day = parse_as_of(as_of)
    found = _until(text, _pass(text, day, report))
    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    out: list[tuple[int, DateRange]] = []
    taken: list[tuple[int, int]] = []
    for s, e, lo, hi, gran, rel in sorted(found, key=lambda f: -(f[1] - f[0])):
        if any(s < te and ts < e for ts, te in taken):
            continue
        taken.append((s, e))
        out.append((s, DateRange(lo, hi, text[s:e].strip(), gran, rel)))
    return [r for _, r in sorted(out, key=lambda x: x[0])]


_BASELINE_BEFORE = re.compile(r"(?:与|同|比|较|跟|相较于?|对比)\s*$")
_BASELINE_AFTER = re.compile(r"^\s*(?:同期)?\s*(?:相比|相较|比较)")


def baseline(text: str, expr: str) -> bool:
    """``expr`` is what ``text`` compares with: '与去年相比', '比去年提前', '较去年同期'."""
    at = text.find(expr)
    return at >= 0 and bool(_BASELINE_BEFORE.search(text[:at]) or _BASELINE_AFTER.match(text[at + len(expr) :]))


def question_range(text: str, as_of: str | date | None = None) -> DateRange | None:
    """The one range a question asks about: the union of its expressions (``None`` when it names no time); a time
    it compares with ('与去年相比', '比去年', '较去年同期') is not one it asks about."""
    ranges = [r for r in resolve(text, as_of) if not baseline(text, r.text)]
    if not ranges:
        return None
    lo, hi = min(r.start for r in ranges), max(r.end for r in ranges)
    gran = ranges[0].granularity if len(ranges) == 1 else "span"
    return DateRange(lo, hi, " / ".join(r.text for r in ranges), gran, any(r.relative for r in ranges))


def without_dates(text: str) -> str:
    """``text`` with every time expression blanked out: what a question asks about, apart from when."""
    spans = sorted((s, e) for s, e, *_ in _pass(text, date.today()))
    out, at = [], 0
    for s, e in spans:
        if s >= at:  # overlapping matches ('2024年' inside '2024年3月7日') blank out as one
            out += [text[at:s], " "]
        at = max(at, e)
    return "".join(out) + text[at:]


def absolutize(text: str, as_of: str | date | None = None) -> str:
    """``text`` with its relative time expressions written as the dates they mean (去年7月 -> 2019年7月 as of
    2020), so that keyword search and evidence match what articles print; week and open spans are dropped."""
    day = parse_as_of(as_of)
    found = _until(text, _pass(text, day))
    zh = bool(re.search(r"[\u4e00-\u9fff]", text))
    out: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []
    for s, e, lo, hi, gran, rel in sorted(found, key=lambda f: -(f[1] - f[0])):
        if not rel or any(s < te and ts < e for ts, te in taken):
            continue
        taken.append((s, e))
        one_year = gran in ("year", "quarter") or (gran == "span" and lo.year == hi.year and 1 < lo.year and hi.year < 9999)
        if gran == "day":
            new = f"{lo.year}年{lo.month}月{lo.day}日" if zh else f"{calendar.month_name[lo.month]} {lo.day}, {lo.year}"
        elif gran == "month":
            new = f"{lo.year}年{lo.month}月" if zh else f"{calendar.month_name[lo.month]} {lo.year}"
        elif one_year:
            new = f"{lo.year}年" if zh else f"in {lo.year}"
        else:
            new = " "
        out.append((s, e, new))
    for s, e, new in sorted(out, reverse=True):
        text = text[:s] + new + text[e:]
    return re.sub(r"\s+", " ", text).strip()
