"""Time-aware retrieval and answers: the question's date range as of a day, the dates passages state,
which came first, timelines and counts.

``plan(question, as_of)`` reads what a question asks about time; ``boost`` re-ranks hits by the question's
range (publication date or a date the passage states, resolved against its article's date);
``gather`` retrieves once per event a comparison names; ``render`` writes the dated, cited answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache

from .chunk import sentences
from .cite import overlap
from .keyword import tagged
from .query import CJK
from .timeparse import DateRange, iso_span, question_range, resolve
from .types import Hit

IN_RANGE = 1.6  # score factor for a hit whose article date or stated date falls in the question's range
NEAR_RANGE = 1.2  # ... whose date is within one granularity step of it (relative expressions are loose)
UNDATED = 1.0  # an article with no date is never excluded by a soft range
REPORT_LAG = timedelta(days=3)  # a report can appear a few days after a day-granular event
RENDERED = frozenset({"compare", "same", "each", "timeline", "count"})  # plans answered by ``render``, not a generator
PER_EVENT = 3
EVENT_WORDS = 1.0  # weight of the share of an event's words a passage holds, against its retrieval score
ANCHOR_MATCH = 0.5  # share of an anchor's words its best passage must hold for its date to lead the search
TIMELINE_DEPTH, TIMELINE_ITEMS = 60, 10  # chunks searched for a timeline; stories listed  # hits retrieved for each event of a comparison

Search = Callable[[str, int, str | None, str | None], list[Hit]]  # (text, k, date_from, date_to) -> hits

_ORDER = re.compile(r"(?:按照?|依照?)?(?:时间|先后)顺序|按时间(?:先后)?排[列序]|从早到晚|从先到后|由早到晚"
                    r"|\bin (?:what|which|chronological) order\b", re.I)
_COMPARE = re.compile(r"(?:哪个|哪一个|哪件|哪一件|哪项|哪一项|哪起|哪一起|谁)[^，。？?]{0,8}?(更早|最早|先|更晚|最晚|后)"
                      r"|(?:哪个|哪一个?|哪件|哪项|哪起|哪一?场|哪些事件)[^，。？?]{0,12}?(更早|最早|较早|更晚|最晚|较晚|更迟|最迟)"
                      r"|(?:哪个|哪一个?|哪件|哪项|哪起)(?:事件)?(?:发生|举行)?(在前|在后)(?=[？?。]|$)"  # not '哪个公司在前三季度'
                      r"|(更早|最早|更晚|最晚)(?:发生)?的是"
                      r"|which (?:came|happened|was) (first|earlier|later|last)|which .{0,30}\b(earlier|first|later|last)\b", re.I)
_LATER = ("更晚", "最晚", "较晚", "更迟", "最迟", "后", "在后", "later", "last")  # a compare word asking which came last
_SAME = re.compile(r"(?:是|在)?同一(天|日|个?月|年|周)|(?<!去年)(?<!上年)(?<!往年)同(月|年|日|天)"  # not '比去年同月'
                   r"|\b(?:the )?same (day|week|month|year)\b(?! (?:last|a) year| the year before)", re.I)
_ANCHOR = re.compile(r"^(.{4,80}?)(?:的)?(当天|当日|同一天|那天|当月|当年)[，,、]?\s*(.+)$")
_TIMELINE = re.compile(r"时间线|时间轴|大事记|来龙去脉|发展历程|历程|演变|经过|\btimeline\b"
                       r"|\bwhat happened (?:with|to|in) .+ (?:from|between|since)\b|\bhistory of\b", re.I)
_COUNT = re.compile(r"(?:多少|几)篇(?:新闻|报道|文章|稿件)?|报道了?(?:多少|几)次|\bhow many (?:articles|reports|stories|news)\b", re.I)
_TAIL = re.compile(r"[，,、]?\s*(?:这(?:两|三|几|些)个?(?:事件|事情|新闻|活动)?中?|以上|上述)?"
                   r"[，,、]?\s*(?:哪一个|哪个|哪件|哪项)?(?:事件|事情|活动)?"
                   r"(?:是|在)?(?:更早|最早|更晚|最晚|先|后)?(?:发生|举行|进行|出现|宣布|发布)?(?:的|得)?(?:更早|最早|更晚|最晚)?(?:发生)?的?[？?。]?$")
_TOPIC_ZH = re.compile(r"(?:有|共有)?(?:多少|几)篇(?:新闻|报道|文章|稿件)?(?:提到|提及|报道了?|涉及|关于)?|提到|提及|报道了?(?:多少|几)次"
                       r"|的时间线|时间线|时间轴|大事记|来龙去脉|的?发展历程|历程|的演变|的经过")
_Q_WORDS = re.compile(r"[？?。！!]|请问|是什么|有哪些|怎样|如何|what happened (?:with|to|in)"
                      r"|how many (?:articles|reports|stories|news)(?: (?:mention|mentioned|about|on|covered))?"
                      r"|timeline of|the history of|history of|from \d{4} to \d{4}|between \d{4} and \d{4}"
                      r"|\bin \d{4}\b|\bwere there\b|\bdid\b",
                      re.I)


@dataclass(frozen=True)
class Plan:
    """What a question asks about time: its range, and for compare/same/anchored the events it names."""

    kind: str  # range | compare | same | anchored | each | timeline | count
    range: DateRange | None = None
    events: tuple[str, ...] = ()
    latest: bool = False  # compare: which came last, not first
    order: bool = False  # compare: put them all in order
    unit: str = "day"  # same: day | month | year
    within: bool = False  # same: whether every event falls in the question's range ('A和B都是2019年发生的吗')
    rest: str = ""  # anchored: what is asked about the anchor's day; each: what is asked of every event
    topic: str = ""  # timeline / count: what the articles are about
    ranges: tuple[DateRange | None, ...] = ()  # compare / same / each: the range each event's passages are ranked by


def plan(question: str, as_of: str | date | None = None) -> Plan | None:
    """The temporal reading of ``question``: its range, or the events (or parts, '…以及…') it asks about one by
    one; ``None`` when it has neither."""
    p = _plan(question, as_of)
    if p is not None and p.kind in ("compare", "same", "each"):
        p = replace(p, ranges=_event_ranges(question, p, as_of))
    return p


def _event_ranges(question: str, p: Plan, as_of: str | date | None) -> tuple[DateRange | None, ...]:
    """Per event, the range its passages are ranked by: the one its own words state ('2024年巴黎奥运会中郭清获得银牌'),
    else the question's, unless that was said inside another event (then it is that event's, not this one's)."""
    inside = p.range is not None and any(r.text in e for r in resolve(question, as_of) for e in p.events)
    return tuple(question_range(e, as_of) or (None if inside else p.range) for e in p.events)


def _plan(question: str, as_of: str | date | None) -> Plan | None:
    rng = question_range(question, as_of)
    if _COUNT.search(question):
        return Plan("count", rng, topic=_topic(question, rng))
    if _TIMELINE.search(question):
        return Plan("timeline", rng, topic=_topic(question, rng))
    m = _ORDER.search(question)
    if m:
        events = _events(question[: m.start()])
        if len(events) >= 2:
            return Plan("compare", rng, events, order=True)
    m = _COMPARE.search(question)
    if m:
        word = next(g for g in m.groups() if g)
        listed = re.search(r"[：:？?]\s*(\S.{4,})$", question[m.end() :])  # '以下事件中，哪个最早：A、B、C？'
        events = _events(listed.group(1)) if listed else ()
        if len(events) < 2:  # not a list after it ('…哪个更早？请给出日期。')
            events = _events(question[: m.start()]) if m.start() > 8 else ()
        if len(events) < 2 and m.start() <= 8:  # 'Which happened first, A or B?', not '…哪个更早，分别是哪一天？'
            after = re.search(r",\s*(\S.{4,})$", question[m.end() :])
            events = _events(after.group(1)) if after and not CJK.search(question) else ()
            if len(events) < 2:
                events = _events(question)
        if len(events) >= 2:
            return Plan("compare", rng, events, latest=word.lower() in _LATER)
    same = _SAME.search(question)
    if same and (re.search(r"[吗么][？?]?\s*$|\?$", question) or "是否" in question or "是不是" in question):
        head = question[: same.start()]
        events = _events(_BOTH.sub("", _WHETHER.sub("", head if CJK.search(question) else _en_same(head))))
        if len(events) >= 2:
            units = [_unit(m.group(0)) for m in _SAME.finditer(question, same.start())]  # '同年同月': the finest one named
            unit = min(units, key=("day", "week", "month", "year").index)
            return Plan("same", rng, events, unit=unit)
    a = _ANCHOR.match(question)
    if a:
        unit = {"月": "month", "年": "year"}.get(a.group(2)[-1], "day")
        return Plan("anchored", rng, (a.group(1).strip("，, "),), unit=unit, rest=a.group(3))
    within = _WITHIN.search(question)
    if within and rng is not None and _WITHIN_TAIL.fullmatch(question[within.end() :].replace(rng.text, "", 1)):
        events = _events(question[: within.start()])
        if len(events) >= 2:
            return Plan("same", rng, events, unit=rng.granularity, within=True)
    each = _EACH.search(question)
    if each:
        events = _events(_WHAT_OF.sub("", question[: each.start()].strip("，, ")))
        if len(events) >= 2:
            return Plan("each", rng, events, rest=question[each.end() :].strip())
        dated = _each_time(question[: each.start()].strip("，, "), question[each.end() :].strip())
        if dated:
            return Plan("each", rng, dated)
    asks = _asks(question)
    if asks:
        return Plan("each", rng, asks)
    return Plan("range", rng) if rng else None


def _en_same(head: str) -> str:
    """What an English same-date question names before 'the same …': 'Did A and B happen in the' -> 'A and B',
    'Were A and B on the' -> 'A and B'; nothing for 'Did Messi and Ronaldo win it in the' (a verb they share: no
    events to date apart)."""
    happened = _EN_HAPPENED.search(head)
    if happened:
        return _EN_ASKED.sub("", head[: happened.start()])
    if re.match(r"\s*(?:were|was|are|is)\s", head, re.I):
        return _EN_ASKED.sub("", _EN_ON.sub("", head))
    return ""


def _unit(said: str) -> str:
    """The unit a 'same …' phrase names: '同一个月' -> month, 'the same year' -> year."""
    word = said.split()[-1].lower()
    if word in ("day", "week", "month", "year"):
        return word
    return {"天": "day", "日": "day", "周": "week", "年": "year"}.get(said[-1], "month")


def _each_time(head: str, rest: str) -> tuple[str, ...]:
    """'2023年3月28日和4月13日A股市场的整体表现分别如何': one event per date it names, each the subject on that
    date ('2023年3月28日A股市场的整体表现如何', '2023年4月13日A股…'); a date without a year takes the first one's.
    Empty unless two dates or more are joined and a subject follows them."""
    m = _DATES_JOINED.match(head)
    if not m:
        return ()
    subject = head[m.end() :].strip("的，, ")
    dates = [d for d in re.split(r"以及|[和与及、]", m.group("dates")) if d]
    if len(subject) < 2 or len(dates) < 2:
        return ()
    head_of = re.match(r"(\d{4}年)?(\d{1,2}月)?", dates[0])
    year, month = (head_of.group(1) or "", head_of.group(2) or "") if head_of else ("", "")
    dates = [d if "年" in d else year + d if "月" in d else year + month + d for d in dates]
    return tuple(f"{d}{subject}{rest}".rstrip("？?。") for d in dates)


_DATE_TEXT = r"(?:\d{4}年(?:\d{1,2}月(?:\d{1,2}[日号])?)?|\d{1,2}月(?:\d{1,2}[日号])?|\d{1,2}[日号])(?![线楼院馆房门口车])"
_DATES_JOINED = re.compile(rf"^(?:在|于)?(?P<dates>{_DATE_TEXT}(?:(?:以及|[和与及、]){_DATE_TEXT})+)[，,]?")


_ASK = re.compile(r"什么|哪|谁|多少|几[个次年月日天]|如何|怎样|怎么|为何|因何|为什么|是否")


def _names_something(part: str) -> bool:
    """``part`` names a person, place, organisation or other proper name (jieba's tags), or a Latin-script one."""
    return any(flag in ("nr", "nrt", "ns", "nt", "nz", "eng", "j") and len(w) >= 2 for w, flag in tagged(part))


def _asks(question: str) -> tuple[str, ...]:
    """Two questions in one ('…因何被罚款以及美联储计划启动什么服务？'): its parts joined by 以及 or a semicolon,
    each asking something; empty otherwise."""
    parts = [p.strip("，,、；; ？?") for p in re.split(r"以及|[；;]", question)]
    parts = [p for p in parts if p]
    if len(parts) < 2 or not all(_ASK.search(p) and len(p) >= 6 and _names_something(p) for p in parts):
        return ()  # '甲公司的营收是多少以及同比增长了多少': the second part has no subject of its own
    frame = re.match(r"[^，,]{2,16}[，,]", parts[0])  # '2024年2月期间，A，以及B': a time set apart frames both
    if frame and _only_time(frame.group(0).strip("，,")):
        parts[1:] = [p if question_range(p) else frame.group(0) + p for p in parts[1:]]
    return tuple(parts)


_BOTH = re.compile(r"[，,]?\s*(?:是否)?(?:这(?:两|三|几|些)个?(?:事件|事情)?)?(?:是否)?都(?:是|在|发生|于)*$")  # '…，这两个事件都是发生在'
_EN_ASKED = re.compile(r"^\s*(?:did|do|does|were|was|are|is)\s+", re.I)
_EN_HAPPENED = re.compile(r"\s+(?:both\s+)?(?:happen|happened|take place|took place|occur|occurred)\s*"
                          r"(?:in|on|during|within)?\s*(?:the)?\s*$", re.I)
_EN_ON = re.compile(r"\s+(?:both\s+)?(?:in|on|during|within)\s*(?:the)?\s*$", re.I)
_WHETHER = re.compile(r"[，,]?\s*(?:是否|是不是)(?:都)?(?:是|在|发生|举行|出现)*$")  # 'A和B，是否发生在同一月份'
_WITHIN_TAIL = re.compile(r"\s*在?\s*(?:发生|举行|举办|发布|进行|出现|开始|实施|宣布|公布)?的?(?:事|事件|事情)?[吗么][？?]?\s*")
_WITHIN = re.compile(r"[，,、]?\s*(?:这(?:两|三|几|些)个?(?:事件|事情)?)?都(?:是|在|发生在|于)")
_EACH = re.compile(r"分别|各自")  # Chinese only: English events are not split (_events reads Chinese)
_WHAT_OF = re.compile(r"的(?:时间|日期)$")


def _events(text: str) -> tuple[str, ...]:
    """The events a comparison names: 'A和B哪个更早' -> (A, B); 'A、B和C' -> (A, B, C); '1.A，2.B' -> (A, B).
    A part that only says when ('在2023年', '截至2月17日', '今年') is the question's range, not an event."""
    numbered = re.findall(r"(?:^|[\s，,；;。？?])\d[.、．)）]\s*([^，,；;。？?]+?)(?=\s+\d[.、．)）]|[，,；;。？?]|$)", text)
    if len(numbered) >= 2:
        return tuple(x.strip() for x in numbered)
    text = _TAIL.sub("", _LISTED.sub("", text.strip())).strip("，,、 ")
    parts = [p.strip(" ，,、。") for p in re.split(r"[、，,；;]|以及", text)]
    if len(parts) > 1 and _SETTING.fullmatch(parts[0]) and not any(_SET_IN.search(x) for x in parts[1:]):
        # '在2023年的欧冠比赛中，A和B': where both happened (not '在杭州亚运会上、巴黎奥运会上', two settings)
        parts = parts[1:]
    parts = [_COUNTED.sub("", re.sub(r"^(?:和|与|跟|或)", "", p)).strip(" ，,、") for p in parts if p]
    parts = [p for p in parts if p and not _only_time(p)]
    last = _halves(parts[-1]) if parts else None
    if last:
        parts[-1:] = list(last)
    parts = [x for x in (re.sub(r"(?:(?:都|分别)?(?:是|在)+|是否|的)$", "", p) for p in parts) if x and not _only_time(x)]
    return tuple(parts)


_SET_END = r"(?:中|里|上|期间)"  # how a setting ends: '在2023年的欧冠比赛中'
_SETTING = re.compile(rf"在.{{2,20}}{_SET_END}")
_SET_IN = re.compile(rf"{_SET_END}$")
_LISTED = re.compile(r"^(?:在)?(?:以下|下列|如下|下面)(?:的)?(?:几个|几件|这些)?(?:事件|事情|活动|新闻)?(?:中|当中|之中)?[，,：:]?")
_COUNTED = re.compile(r"(?:这|以下)?(?:两|三|四|几)(?:个|件|起|项|者)?(?:事件|事情|活动|事)?(?:中|之中|当中)?$"
                      r"|(?:的)?(?:事件|事情)?(?:之中|当中|中)$")
_TIME_WORDS = re.compile(r"^(?:在|于|从|自|截至|截止|到|至|和|与|及|之间|期间|以来|之前|之后|以前|以后|前后|中|间|的|，|,|\s"
                         r"|\d{1,2}[日号]|\d{1,2}月(?:\d{1,2}[日号])?)*$")


def _only_time(part: str) -> bool:
    """Whether ``part`` says nothing but when ('在2022年9月2日和2022年2月22日之间', '今年')."""
    rest = part
    for r in resolve(part):
        rest = rest.replace(r.text, "")
    return rest != part and bool(_TIME_WORDS.match(rest))


_HE = re.compile(r"和(?![平谐睦])")
_AND = re.compile(rf"{_HE.pattern}|(?<![参给])与(?!会)|跟|还是|(?<![A-Za-z])(?:and|or)(?![A-Za-z])")


def _halves(text: str) -> tuple[str, str] | None:
    """Split 'A和B' at the conjunction nearest the middle that leaves both sides at least 4 characters; failing
    that, at a 及 ('谷爱凌的夺冠比赛及卡塔尔…'; it also joins words within one event, so it comes second), then at
    a 和 that leaves both at least 2 ('古德利和周巧儿')."""
    for pattern, least in ((_AND, 4), (_JI, 4), (_HE, 2)):
        cuts = [m for m in pattern.finditer(text) if m.start() >= least and len(text) - m.end() >= least]
        if cuts:
            m = min(cuts, key=lambda m: abs(m.start() - len(text) / 2))
            return text[: m.start()].strip(), text[m.end() :].strip()
    return None


_JI = re.compile(r"(?<![以埃涉提普波危触顾遍企论不])及(?![时其格早])")


def _topic(question: str, rng: DateRange | None) -> str:
    text = question
    for r in resolve(question):
        text = text.replace(r.text, " ")
    if rng:
        text = text.replace(rng.text, " ")
    text = _TOPIC_ZH.sub(" ", _Q_WORDS.sub(" ", text))
    text = re.sub(r"(?:在|于|从|自|到|至|截至|之间|期间|以来|有关|关于|年|的)\s*$", "", text.strip())
    return re.sub(r"\s+", " ", re.sub(r"^(?:关于|有关|在)", "", text.strip())).strip(" ，,、")


# --- dates of hits -------------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def stated_dates(text: str, article_date: str | None) -> tuple[DateRange, ...]:
    """Dates a passage states, resolved against its article's date ('3日', '昨天' need it; an article dated by month
    only counts from its last day, so '7月28日' in a July article is that July); explicit ones always."""
    base = iso_span(article_date)
    ranges = resolve(text, base[1] if base else None, report=True)
    return tuple(r for r in ranges if base or not r.relative)


def _distance(a: tuple[date, date], b: tuple[date, date]) -> int:
    """Days between two spans (0 when they overlap)."""
    if a[0] > b[1]:
        return (a[0] - b[1]).days
    if b[0] > a[1]:
        return (b[0] - a[1]).days
    return 0


def _slack(rng: DateRange) -> int:
    return {"day": 7, "week": 14, "month": 31, "quarter": 45, "year": 120}.get(rng.granularity, 60)


def _dates(hit: Hit, rng: DateRange, precise: bool) -> list[tuple[date, date]]:
    """The hit's publication and stated dates; ``precise``: only those no wider than ``rng`` (or a month)."""
    c = hit.chunk
    pub = iso_span(c.date)
    dates = [(r.start, r.end) for r in stated_dates(c.text, c.date)] + ([pub] if pub else [])
    return _precise(dates, rng) if precise else dates


def _precise(dates: list[tuple[date, date]], rng: DateRange) -> list[tuple[date, date]]:
    """The ``dates`` no wider than ``rng`` (or a month)."""
    widest = max((rng.end - rng.start).days, 30)
    return [d for d in dates if (d[1] - d[0]).days <= widest]


def _all_away(dates: list[tuple[date, date]], rng: DateRange, slack: int | None = None) -> bool:
    """There are ``dates`` and none is in or near ``rng`` (within ``slack`` days; default ``_slack``)."""
    return bool(dates) and min(_distance(d, _span(rng)) for d in dates) > (_slack(rng) if slack is None else slack)


def _span(rng: DateRange) -> tuple[date, date]:
    return rng.start, rng.end + (REPORT_LAG if rng.granularity == "day" else timedelta(0))


def fit(hit: Hit, rng: DateRange, precise: bool = False, undated: float = UNDATED) -> float:
    """How well a hit's dates fit ``rng``: the score factor ``boost`` applies. ``precise``: only dates no wider
    than the range (or a month) count, so '2022年' does not place a passage on 2022年1月5日."""
    dates = _dates(hit, rng, precise)
    if not dates:
        return undated
    best = min(_distance(d, _span(rng)) for d in dates)
    if best == 0:
        return IN_RANGE
    return NEAR_RANGE if best <= _slack(rng) else 1.0


def far(hit: Hit, rng: DateRange) -> bool:
    """The hit is dated as precisely as ``rng`` and none of those dates is in or near it (undated: never far)."""
    return _all_away(_dates(hit, rng, precise=True), rng)


def states_far(text: str, article_date: str | None, rng: DateRange, slack: int | None = None) -> bool:
    """``text`` itself states dates as precise as ``rng`` (or a month), and none is in or near it (within ``slack``
    days; default ``_slack``)."""
    return _all_away(_precise([(r.start, r.end) for r in stated_dates(text, article_date)], rng), rng, slack)


def states_other(text: str, article_date: str | None, rng: DateRange) -> bool:
    """``states_far`` without the slack: '9月5日' for a question about 9月9日."""
    return states_far(text, article_date, rng, slack=0)


def boost(hits: list[Hit], rng: DateRange | None, undated: float = UNDATED, precise: bool = False) -> list[Hit]:
    """``hits`` re-scored by how their dates fit the question's range, best first (no range: unchanged);
    ``precise``: only dates as precise as the range count (``fit``)."""
    if rng is None or not hits:
        return hits
    scored = [replace(h, score=h.score * fit(h, rng, precise, undated)) for h in hits]
    return sorted(scored, key=lambda h: h.score, reverse=True)


def event_date(hit: Hit, event: str) -> tuple[str | None, int, int]:
    """The date of ``event`` in ``hit``: the day-level date stated nearest its best sentence (within three
    sentences, or opening the passage), else the article's date; an undated article's passage falls back on the
    day the event's own words state, a day whose year the event or its sentence states, or a coarser date stated
    there ('2022年11月底' -> '2022-11', '2020年底' -> '2020'). With that sentence's span in the passage."""
    text = hit.chunk.text
    spans = sentences(text) or [(0, len(text))]
    best = max(range(len(spans)), key=lambda i: overlap(event, text[spans[i][0] : spans[i][1]]))
    s, e = spans[best]
    near = sorted({best, *range(max(0, best - 3), min(len(spans), best + 4)), 0}, key=lambda i: (abs(i - best), i))
    for i in near:
        stated = [r for r in stated_dates(text[spans[i][0] : spans[i][1]], hit.chunk.date) if r.granularity == "day"]
        if stated:
            return stated[0].start.isoformat(), s, e
    if hit.chunk.date:
        return hit.chunk.date, s, e
    for i in near:
        coarse = _coarse_date(text[spans[i][0] : spans[i][1]], event)
        if coarse:
            return coarse, s, e
    return None, s, e


def _coarse_date(sentence: str, event: str) -> str | None:
    """An undated sentence's date for ``event``: the day the event's own words state; a day without a year, in
    the year the event or the sentence states ('北京时间4月4日，张之臻在2023年ATP250…'); else the first month or
    year the sentence states (ISO at that precision); ``None`` when there is none."""
    own = [r for r in resolve(event) if not r.relative]
    if own and own[0].granularity == "day":
        return own[0].start.isoformat()
    year = next((r for r in (*own, *stated_dates(sentence, None)) if r.granularity == "year"), None)
    if year is not None:
        day = _MONTH_DAY.search(sentence)
        if day is not None:
            try:
                return date(year.start.year, int(day.group(1)), int(day.group(2))).isoformat()
            except ValueError:
                pass
    for r in stated_dates(sentence, None):
        since = r.granularity == "span" and 1 < r.start.year and r.end.year == 9999  # '自2015年4月挂牌以来': its start
        if r.granularity == "span" and not since and not (1 < r.start.year == r.end.year):
            continue  # '2015年至2021年间', '截至2020年': no one date
        if r.granularity == "month" or (r.granularity == "span" and ("月" in r.text if since else r.start.month == r.end.month)):
            return r.start.isoformat()[:7]
        if r.granularity in ("year", "quarter", "span"):
            return r.start.isoformat()[:4]
    return None


_MONTH_DAY = re.compile(r"(?<![\d年])(\d{1,2})月(\d{1,2})[日号]")  # a day without its year


# --- retrieval and answers -----------------------------------------------------------------------------


@dataclass
class Evidence:
    """Hits gathered for a plan, and per event the passage number, date and sentence span that date it."""

    hits: list[Hit] = field(default_factory=list)
    dated: list[tuple[str, int, str | None, int, int]] = field(default_factory=list)  # (event, n, date, start, end)
    count: int | None = None
    undated: int = 0  # count: reports without a date that mention the range


def gather(p: Plan, search: Search, k: int) -> Evidence:
    """Retrieve for each event of a comparison (and for the anchor of an anchored question), or widely for
    timelines and counts; hits are de-duplicated and numbered in order."""
    ev = Evidence()
    date_from, date_to = _bounds(p.range)

    def add(h: Hit) -> int:
        for i, old in enumerate(ev.hits, 1):
            if old.chunk.chunk_id == h.chunk.chunk_id:
                return i
        ev.hits.append(h)
        return len(ev.hits)

    if p.kind in ("compare", "same", "each"):
        # each event on its own; its range (if any) ranks its passages, with undated ones as in range: it filters nothing
        texts = [_asked(e, p.rest) if p.kind == "each" else e for e in p.events]
        ranges = p.ranges or (p.range,) * len(texts)
        found = [_event_hits(search, t, r, e) for t, r, e in zip(texts, ranges, p.events)]
        for event, hits in zip(p.events, found):
            if hits:
                n = add(hits[0])
                d, s, e = event_date(hits[0], event)
                ev.dated.append((event, n, d, s, e))
        # runners-up as context up to k passages, the closest to their event's best first (where it is least sure)
        runners = [(h.score / hits[0].score if hits[0].score else 0.0, -rank, h)
                   for hits in found for rank, h in enumerate(hits[1:], 1)]
        for *_, h in sorted(runners, key=lambda x: x[:2], reverse=True):
            if len(ev.hits) < k:
                add(h)
        return ev
    if p.kind == "anchored":
        anchor = search(p.events[0], PER_EVENT, None, None)
        day = event_date(anchor[0], p.events[0])[0] if anchor else None
        span = iso_span(day)
        rest = []
        if span:
            lo, hi = _around(span, p.unit)
            rest = search(p.rest, k, lo.isoformat(), hi.isoformat())
        anywhen = search(p.rest, k, None, None)
        if anchor and overlap(p.events[0], anchor[0].chunk.text) < ANCHOR_MATCH:  # a weak match dates nothing
            mixed = anywhen + rest
        else:
            mixed = [h for pair in zip(rest, anywhen) for h in pair] + rest[len(anywhen):] + anywhen[len(rest):]
        for h in mixed:  # the anchor's day and any date in turn (the anchor may be misdated),
            if len(ev.hits) < max(1, k - 1):  # and room for the anchor in the top k
                add(h)
        if anchor:
            n = add(anchor[0])
            d, s, e = event_date(anchor[0], p.events[0])
            ev.dated.append((p.events[0], n, d, s, e))
        return ev
    if p.kind == "timeline":
        per_doc: dict[str, Hit] = {}
        for h in search(p.topic, TIMELINE_DEPTH, date_from, date_to):
            per_doc.setdefault(h.chunk.doc_id, h)  # one passage per story
        dated = []
        for h in per_doc.values():
            d, s, e = event_date(h, p.topic)
            dated.append((d or "9999", h, s, e))
        for d, h, s, e in sorted(dated, key=lambda x: x[0])[:TIMELINE_ITEMS]:
            n = add(h)
            ev.dated.append((p.topic, n, None if d == "9999" else d, s, e))
        return ev
    if p.kind == "count":
        words = [w for w in re.split(r"\s+", p.topic) if w]
        docs: dict[str, Hit] = {}
        for h in search(p.topic, 100000, date_from, date_to):
            hay = f"{h.chunk.title or ''} {h.chunk.text}".lower()
            if words and all(w.lower() in hay for w in words):
                docs.setdefault(h.chunk.doc_id, h)
        if p.range is not None:  # in a range, count by publication date; undated reports that mention it apart
            ev.undated = sum(not h.chunk.date for h in docs.values())
            docs = {d: h for d, h in docs.items() if h.chunk.date}
        ev.count = len(docs)
        for h in sorted(docs.values(), key=lambda h: h.chunk.date or "", reverse=True)[:k]:
            n = add(h)
            d, s, e = event_date(h, p.topic)
            ev.dated.append((p.topic, n, d, s, e))
        return ev
    return ev


def _event_hits(search: Search, text: str, rng: DateRange | None, event: str = "") -> list[Hit]:
    """One event's best passages: searched anywhen, and (when the event has a range) again within it, so an
    in-range report ranked deep still surfaces; a hit found only in range scores as the last one found anywhen
    (scores of a filtered search are not comparable). The passages that hold more of the event's own words lead
    (retrieval score breaks ties: fused scores are close, the words decide), then the range ranks them all, by dates
    as precise as it: a report of another day that states the year is not on the event's day."""
    hits = search(text, PER_EVENT * 3, None, None)
    lo, hi = _bounds(rng, REPORT_LAG if rng is not None and rng.granularity == "day" else timedelta(0))
    if hits and (lo or hi):
        seen = {h.chunk.chunk_id for h in hits}
        floor = hits[-1].score
        hits += [replace(h, score=floor) for h in search(text, PER_EVENT * 3, lo, hi) if h.chunk.chunk_id not in seen]
    words = event or text
    hits = sorted((replace(h, score=h.score + abs(h.score) * EVENT_WORDS * overlap(words, h.chunk.text)) for h in hits),
                  key=lambda h: h.score, reverse=True)
    return boost(hits, rng, IN_RANGE, precise=True)[:PER_EVENT]


def _bounds(rng: DateRange | None, lag: timedelta = timedelta(0)) -> tuple[str | None, str | None]:
    """A range as search filters (ISO from / to, ``lag`` days after its end); an open end is no filter."""
    if rng is None:
        return None, None
    return (rng.start.isoformat() if rng.start.year > 1 else None,
            (rng.end + lag).isoformat() if rng.end.year < 9999 else None)


def _asked(event: str, rest: str) -> str:
    """What to retrieve for one event of an 'each' question: a bare name ('美国和马来西亚分别采取了什么行动')
    carries what is asked of it."""
    return f"{event}{rest}" if len(event) <= 5 and rest else event


def _around(span: tuple[date, date], unit: str) -> tuple[date, date]:
    """The anchor's day give or take one, or its whole month or year (当月, 当年)."""
    if unit == "day":
        return span[0] - timedelta(days=1), span[1] + timedelta(days=1)
    cut = 7 if unit == "month" else 4
    whole = iso_span(span[0].isoformat()[:cut])
    return whole if whole else span


def render(p: Plan, ev: Evidence, lang: str = "zh") -> Iterator[str]:
    """The answer text for compare / same / timeline / count plans, each dated claim cited; nothing when the
    evidence does not answer (the pipeline then refuses)."""
    en = lang == "en"
    if p.kind == "each":  # every event with its date and its passage, in the question's order
        for event, n, d, s, e in ev.dated:
            yield _item(ev, event, zh_date(d), n, s, e)
        return
    if p.kind in ("compare", "same"):
        dated = [x for x in ev.dated if x[2]]
        if (p.kind == "same" and not p.within and p.unit in ("day", "month") and dated
                and len(dated) < len(ev.dated) == len(p.events)):
            yield from _apart_by_month(p, ev, en)  # a day whose year no one states still differs by its month
            return
        if len(dated) < 2 or len(dated) < len(p.events):
            return
        if p.kind == "compare" and p.order:
            yield "In order:\n" if en else "按时间先后：\n"
        elif p.kind == "compare":
            order = sorted(dated, key=lambda x: x[2] or "", reverse=p.latest)
            lead, *others = [iso_span(x[2]) for x in order]
            if lead is None or any(sp is None or _distance(sp, lead) == 0 for sp in others):
                return  # the first shares a day, or a coarse date overlaps it ('2022年11月' / '2022年11月5日'): no verdict
            first = order[0][0]
            word = ("Latest" if p.latest else "Earliest") if en else ("最晚的是" if p.latest else "最早的是")
            yield f"Answer: {word}: {first}:\n" if en else f"答：{word}{first}：\n"  # the short answer line
        elif p.within and p.range is not None:
            whole = (p.range.start, p.range.end)
            outside = [sp for sp in map(iso_span, (x[2] for x in dated)) if not (sp and whole[0] <= sp[0] and sp[1] <= whole[1])]
            if any(sp is None or _distance(sp, whole) == 0 for sp in outside):
                return  # a date coarser than the range, overlapping it: cannot tell
            inside = not outside
            yield (("Answer: Yes:\n" if inside else "Answer: No:\n") if en
                   else f"答：是的，都在{p.range.text}：\n" if inside else f"答：不是，并非都在{p.range.text}：\n")
        else:
            cut = {"day": 10, "week": 10, "month": 7, "year": 4}[p.unit]
            known = min(cut, *(len(x[2] or "") for x in dated))  # a date known only to its month or year
            keys: set[object] = {(x[2] or "")[:known] for x in dated}
            if p.unit == "week" and known == cut:  # the same ISO week, not the same day
                keys = {tuple(date.fromisoformat((x[2] or "")[:10]).isocalendar())[:2] for x in dated}
            same = len(keys) == 1
            if same and known < cut:  # same year, but the day or month asked about is not known
                return
            yield ("Answer: Yes:\n" if same else "Answer: No:\n") if en else ("答：是的，是同一" if same else "答：不是，不是同一") + {
                "day": "天", "week": "周", "month": "个月", "year": "年"}[p.unit] + "：\n"
        for event, n, d, s, e in sorted(dated, key=lambda x: x[2] or ""):
            yield _item(ev, event, zh_date(d), n, s, e)
        return
    if p.kind in ("timeline", "count"):
        if p.kind == "count":
            if not ev.count:
                return
            when = f"（{p.range.text}，{zh_date(p.range.start.isoformat())}至{zh_date(p.range.end.isoformat())}）" if p.range else ""
            also = (f" ({ev.undated} undated)" if en else f"另有{ev.undated}篇未注明日期的报道提及该时间，") if ev.undated else ""
            yield (f"Answer: {ev.count} articles mention {p.topic}{when}{also}; the latest:\n" if en
                   else f"答：共有{ev.count}篇报道提到“{p.topic}”{when}，{also}最近的几篇：\n")
        else:
            if not ev.dated:
                return
            yield (f"Timeline of {p.topic} ({len(ev.dated)} reports, oldest first):\n" if en
                   else f"“{p.topic}”的时间线（{len(ev.dated)}篇报道，按时间先后）：\n")
        for _, n, d, s, e in ev.dated:
            yield f"{zh_date(d)}：{ev.hits[n - 1].chunk.text[s:e]}[{n}]\n"


def _apart_by_month(p: Plan, ev: Evidence, en: bool) -> Iterator[str]:
    """A same-day / same-month question where some event is dated only by a day without its year ('北京时间7月2日，…'):
    "no" when its month (or day) differs from another event's, since no year can make them the same; nothing when
    it cannot tell."""
    cut = 7 if p.unit == "month" else 10
    marks: list[tuple[tuple[str, int, str | None, int, int], str]] = []
    for x in ev.dated:
        if x[2]:
            if len(x[2]) < cut:
                return  # known only to its year
            marks.append((x, x[2][5:cut]))
            continue
        day = _MONTH_DAY.search(ev.hits[x[1] - 1].chunk.text[x[3] : x[4]])
        if not day:
            return
        marks.append((x, f"{int(day.group(1)):02d}-{int(day.group(2)):02d}"[: cut - 5]))
    if len({m for _, m in marks}) == 1:
        return  # the same month (or day), but the years are not known
    unit = {"day": "天", "month": "个月"}[p.unit]
    yield "Answer: No:\n" if en else f"答：不是，不是同一{unit}：\n"
    for (event, n, d, s, e), _ in marks:
        yield _item(ev, event, zh_date(d) if d else "年份不详", n, s, e)


def _item(ev: Evidence, event: str, when: str, n: int, s: int, e: int) -> str:
    """One dated line of an answer: the event, when, and its sentence cited by its passage number."""
    return f"{event}（{when}）：{ev.hits[n - 1].chunk.text[s:e]}[{n}]\n"


def zh_date(iso: str | None) -> str:
    if not iso:
        return "日期不详"
    parts = iso.split("-")
    return "".join(f"{int(x)}{u}" for x, u in zip(parts, ("年", "月", "日")))
