"""Short answers: the answer itself (a name, a number with its unit, a date, a place, a list) taken from a quote.

Two readings of the quote, tried in order:

1. **Cloze.** A Chinese question is the quote with its answer replaced by a question word
   ('詹姆斯·赫顿提交了什么论文' / '詹姆斯·赫顿提交了题为《地球理论》的论文'). The question's words on each side
   of its question word are found in the quote; what lies between them (or next to the one found) is the answer.
2. **Typed spans.** For who / when / where / how many / which-organisation questions, the spans of that kind in the
   quote (jieba's name tags, date and number patterns) that the question does not already say; the one nearest
   to the question's words in the quote wins (the answer sits next to what the question asks about).

3. **The report.** An untyped question ('…表现如何', '做了什么') over a dated report that neither reading fills: the
   report's first clause past its dateline.

Where a dateline opens the quote, the question's own dates anchor nothing (every report there starts with one).
``None`` when nothing is found: the quote alone answers.
"""

from __future__ import annotations

import itertools
import re

from .keyword import dictionary_count, tagged
from .query import CJK, Query
from .timeparse import without_dates

_WH = re.compile(
    r"(?:哪里|哪儿|哪些|哪一?(?:个|位|家|所|天|年|月|日|种|条|座|项|名|支|国|部|本|场|届|次|类|级|队)?|什么(?:时候|时间|地方|样的?)?|"
    r"多少|几(?:个|位|家|次|人|名|项|届|年|月|日|天|岁|号|种)?|谁|何时|何地|何人|何处|怎样|怎么|如何|多大|多久|多长时间|多远|多高)"
    r"(?!月?前|天前|年前|周前|以来|后)"  # '几个月前', '几天前': a time phrase, not what is asked
)
_TRAIL = "？?。！!，,；;：:、 \t"
_STOP_LEFT = re.compile(r"[，,。；;！!？?：:（）()\n]")  # the answer does not run over these
_GAP_MAX = 24  # characters between the two anchors
_OPEN_MAX = 14  # characters taken on one side when only one anchor is found
_FILLER = re.compile(r"^(?:是|为|了|的|在|于|有|约|共|达|被|由|将|把|和|与|到|向|以|对)+|(?:的|了|等|是|之|地)+$")
_TITLED = re.compile(r"题为|名为|叫做|称为|名叫")

_DATE_SPAN = re.compile(
    r"(?:(?:公元前?)?\d{1,4}\s*年\s*)?(?:\d{1,2}\s*月\s*(?:\d{1,2}\s*[日号])?)|(?:公元前?)?\d{1,4}\s*年(?:代|初|底|末)?"
    r"|[一二三四五六七八九十〇零]{2,4}年|\d{1,2}世纪(?:\d{2}年代)?"
)
_UNIT = r"(?:美元|人民币|公顷|英尺|分钟|小时|公里|平方米|千米|英里|个月|[%％]|(?![的年月日号时点和与及至到、，。；])[\u4e00-\u9fff])"
_PER = r"(?:\s*/\s*(?:公斤|千克|斤|吨|克|升|平方米|平米|股|瓶|件|人|次|天|月|年))?"  # '8元/公斤'
_AMOUNT = r"\d[\d,，.]*(?![\d年月日号时点])\s*(?:多|余)?\s*(?:万|亿|千|百)?"
_NUMBER_SPAN = re.compile(
    r"\d+\s*[–\-—:：比]\s*\d+(?!\s*[年月日])"  # a score: '20–18', '3比1'
    r"|\d[\d,]*\.\d+\s*点(?!\d)"  # an index level: '2761.22点' (a decimal is no time of day)
    rf"|(?:约|近|超过|逾)?{_AMOUNT}\s*{_UNIT}?\s*[至到~～]\s*{_AMOUNT}\s*{_UNIT}{_PER}"  # a range: '45万至50万人'
    rf"|(?:约|近|超过|逾)?{_AMOUNT}\s*{_UNIT}?{_PER}"
    rf"|(?:约|近|超过|逾)?[一二三四五六七八九十百千两][一二三四五六七八九十百千万亿两零]*(?:多|余)?{_UNIT}"
)
_ROLES = (r"(?:书记|市长|省长|县长|区长|局长|主任|司长|部长|厅长|处长|会长|院长|校长|总裁|总经理|董事长|主席|巡视员|秘书长|参事|"
          r"总工程师|教授|记者|通讯员|编辑|委员|副总裁|理事长|总监|先生|女士)")
_TITLE = re.compile(rf"{_ROLES}([\u4e00-\u9fff]{{2,3}})")
_ROLE = re.compile(_ROLES)
_WHICH_ROLE = re.compile(r"哪(?:一)?[位名个]([\u4e00-\u9fff]{2,8}?)(?=[，,。？?]|$|[与和在被是会发表出获担])")  # '哪位印度外长'

_ORG = re.compile(r"[\u4e00-\u9fff]{2,10}(?:有限公司|股份公司|公司|集团|银行|大学|学院|医院|研究院|研究所|协会|委员会|俱乐部|队)")
_HELD_IN = re.compile(r"在([\u4e00-\u9fff]{2,8}?)(?:举行|举办|召开|开幕|揭幕|开赛|落幕|闭幕)")
_ENUM_RUN = re.compile(r"[\u4e00-\u9fff·]{2,10}(?:、[\u4e00-\u9fff·]{2,10})+(?:(?:和|及|与)[\u4e00-\u9fff·]{2,10})?")
_DOTTED = re.compile(r"[\u4e00-\u9fff]{1,6}(?:[·•・][\u4e00-\u9fff]{1,8})+|[\u4e00-\u9fff]{2,6}(?:[\-－][\u4e00-\u9fff]{2,8})+")
# a hyphen joins two names of two characters or more ('帕斯卡尔-西亚卡姆'), not '中-美'
_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏"
             "吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
             "戴莫孔向汤")  # the 100 commonest Chinese surnames
_SURNAMED = re.compile(rf"[{_SURNAMES}][\u4e00-\u9fff]{{1,2}}")  # a gap that is a Chinese personal name
_PERSON_TAGS = frozenset({"nr", "nrfg", "nrt"})
_WIDEN_MAX = 4  # characters a short answer may grow by to end on whole words
_ANCHOR_MIN = 2  # characters an anchor needs (one character matches anywhere)
_SKIP = 4  # question characters next to the question word an anchor may leave out ('以什么成绩击败' / '以3-1战胜')
_NAMING_Q = re.compile(r"叫什么|称为什么|称作什么|什么名字|名字是|名称是|叫做什么|被称为|称为")
_NAMED = re.compile(r"(?:被?称为|叫做|称作|名为|名叫|简称|又称|俗称|命名为|称之为)\s*[「“《\"]?\s*([^，,。；;」”》\"（(]{1,24})")
_WHY_Q = re.compile(r"为什么|为何|原因|因为什么|由于什么")
_BECAUSE = re.compile(r"(?:因为|由于|原因是|是因为|因)\s*([^，,。；;]{2,40})")


NAMED_KINDS = {  # a list noun -> how news names one of them ('包头市城市质量发展大会' is a 会议); no ending is another's tail
    "会议": "大会|会议|现场会|座谈会|论坛|峰会|年会|研讨会|发布会|推进会|动员会",
    "比赛": "比赛|公开赛|锦标赛|联赛|世界杯|大奖赛|决赛",
}
_EN_KINDS = {"meetings": "会议", "conferences": "会议", "forums": "会议", "matches": "比赛", "games": "比赛",
             "competitions": "比赛", "tournaments": "比赛"}


def names_a_team(question: str, text: str) -> bool:
    """A '对手是谁' / '打败了谁' question, and ``text`` names a team other than the question's."""
    return bool(_VERSUS.search(question)) and any(t not in question for t, _ in _teams(text))


def _teams(text: str) -> list[tuple[str, int]]:
    """(team, offset) for the teams ``text`` names ('3比1战胜波兰队' -> '波兰队'), the verb before them cut off."""
    return [(t, m.end() - len(t)) for m in _TEAM.finditer(text) if len(t := _TEAM_CUT.split(m.group(0))[-1]) >= 3]


def named_kind(noun: str | None) -> str | None:
    """The ``NAMED_KINDS`` entry a list noun asks for ('会议', 'meetings' -> 会议), else ``None``."""
    if not noun:
        return None
    return noun if noun in NAMED_KINDS else _EN_KINDS.get(noun.lower())


_NAME_CUT = re.compile(r"主持了?|出席了?|参加了?|召开了?|举行了?|举办了?|此次|本次|这次|在|于|并|由|是|了|的|和|与|及|等")
_NOT_THE_THING = r"(?!中心|室|厅|精神|期间)"  # '会议中心' is a place, '会议精神' a message


def instances(noun: str | None, text: str) -> list[str]:
    """Names of ``noun``s that ``text`` gives ('哪些会议' -> '全国质量管理工作会议'), in text order, without repeats;
    only for the nouns news names that way (``NAMED_KINDS``)."""
    kind = named_kind(noun)
    ends = NAMED_KINDS.get(kind) if kind else None
    out: list[str] = []
    if ends is None:  # cities, companies, ...: enumerated ('南京、南通等6个城市'), not named by a kind word
        return out
    for m in re.finditer(rf"[\u4e00-\u9fff()（）·]{{2,30}}?(?:{ends}){_NOT_THE_THING}", text):
        name = _NAME_CUT.split(m.group(0))[-1]
        if len(name) >= 6 and name not in out:
            out.append(name)
    return out


def short_answer(query: Query, sentence: str) -> str | None:
    """The answer itself, taken from ``sentence`` (see the module docstring); ``None`` if there is none."""
    found = _short(query, sentence)
    if found and CJK.search(found):
        found = balanced(whole_words(found, sentence), sentence)
        quoted = re.search(re.escape(found) + _QUOTED_AFTER, sentence) if found and query.answer_type is None else None
        if found and quoted and tagged(found)[-1][1][:1] == "n":  # '英国油轮' + '“史丹纳帝国”号': a kind, then the name it goes by
            found = quoted.group(0)
        if (found and query.answer_type is None and not query.is_list and not re.search(r"\d", found)
                and not _SHORT_NAME_Q.search(query.text) and _restates(found, query.text)):
            return None  # '浙江瑞安永宁大桥' for '浙江瑞安永宁大桥发生了什么': the question's own words answer nothing
    return found


_QUOTED_AFTER = r"(?:“[^“”，。]{1,16}”|‘[^‘’，。]{1,16}’|「[^「」，。]{1,16}」|《[^《》，。]{1,16}》)(?:号|系列|App|APP)?"  # matched marks
NOVEL_MIN = 0.2  # dev oracle sentences: 16 such answers, 14 of them no answer ('榜首', '通告', '如何'), 2 legit
# ('忠明裤' for '在全球忠明裤日…穿上什么'; a company's short name); news_public, reading, ChronoQA 0.662 / 0.338 / 0.793
# -> 0.662 / 0.337 / 0.792; 0.3 costs counts with the question's noun ('1例新冠肺炎') unless digits are exempt


_SHORT_NAME_Q = re.compile(r"简称|缩写|又称|别称")  # its answer is made of the question's characters


def _restates(answer: str, question: str) -> bool:
    """Most of ``answer`` is the question's own words ('浙江瑞安永宁大桥' for '两个月前浙江瑞安永宁大桥发生了什么'):
    fewer than ``NOVEL_MIN`` of its character pairs are new to the question."""
    pairs = [answer[i : i + 2] for i in range(len(answer) - 1) if CJK.search(answer[i : i + 2])]
    return bool(pairs) and sum(p not in question for p in pairs) / len(pairs) < NOVEL_MIN


_PAIRS = {"《": "》", "（": "）", "(": ")", "“": "”", "「": "」"}
_BRACKET_REACH = 12  # characters an answer may grow by to close a mark it opens


def balanced(answer: str, sentence: str) -> str | None:
    """``answer`` without a bracket or quote mark it does not close: closed from ``sentence`` when the closing mark
    is near ('《风再起时' -> '《风再起时》'), else the lone mark dropped ('生产建设兵团）' -> '生产建设兵团')."""
    for open_, close in _PAIRS.items():
        if answer.count(open_) == answer.count(close):
            continue
        at = sentence.find(answer)
        if answer.count(open_) > answer.count(close):
            end = sentence.find(close, at + len(answer)) if at >= 0 else -1
            between = sentence[at + len(answer) : end].replace(close, "")
            if 0 <= end - (at + len(answer)) < _BRACKET_REACH and not _STOP_LEFT.search(between):
                answer = sentence[at : end + 1]
            elif answer.startswith(open_) and open_ not in answer[1:]:
                answer = answer[1:]
            elif answer.endswith(open_) and open_ not in answer[:-1]:  # '国家发布《'
                answer = answer[:-1]
        elif answer.endswith(close) and close not in answer[:-1]:
            answer = answer[:-1]
        elif answer.startswith(close) and close not in answer[1:]:  # '》中讲述了…'
            answer = answer[1:]
    return answer or None


def whole_words(answer: str, sentence: str) -> str:
    """``answer`` widened to the jieba words it cuts through ('30余' in '完成30余项' -> '30余项'), by at most
    ``_WIDEN_MAX`` characters and never over clause punctuation; unchanged when it is not in ``sentence``."""
    at = sentence.find(answer)
    if at < 0:
        return answer
    end, start, stop = at + len(answer), at, at + len(answer)
    for word, _, ws in _word_spans(sentence):
        if ws < at < ws + len(word):
            start = ws
        if ws < end < ws + len(word):
            stop = ws + len(word)
    widened = sentence[start:stop]
    return widened if len(widened) - len(answer) <= _WIDEN_MAX and not _STOP_LEFT.search(widened) else answer


def _short(query: Query, sentence: str) -> str | None:
    q = query.text
    if query.is_list:
        named = [n for n in instances(query.list_noun, sentence) if n not in q] if query.list_noun else []
        if named:  # '全国质量管理工作会议': the things asked for, by name, before any other enumeration
            return "、".join(named)
        found = [re.sub(r"等$", "", m.group(0)) for m in _ENUM_RUN.finditer(sentence) if m.group(0) not in q]
        if found:
            return max(found, key=len)
    if not CJK.search(sentence):
        return _english_span(query, sentence)
    if CJK.search(q):
        for ask, rx in ((_NAMING_Q, _NAMED), (_WHY_Q, _BECAUSE)):
            names = (t for m in rx.finditer(sentence) if (t := _trim(m.group(1))) and t not in q) if ask.search(q) else ()
            if given := next(iter(names), None):  # the first that is not the name the question gives
                return given
    if CJK.search(q) and query.answer_type is None and (content := _said(q, sentence)):
        return content
    if CJK.search(q) and (played := match_answer(q, sentence)):
        return played
    if query.answer_type is None and (keyed := _keyword_answer(query, sentence)):  # '2023年温网女单亚军'
        return keyed
    gap, near = cloze(q, sentence, dates=query.answer_type == "date") if CJK.search(q) else (None, None)
    if gap is None and query.answer_type is None and CJK.search(q) and (subject := _subject_asked(q)):
        verb, asked = subject
        subject_gap, at = cloze(asked, sentence, dates=False)
        words = tagged(subject_gap) if subject_gap and at is not None and sentence[:at].endswith(subject_gap) else []
        while words and not _nounish(*words[-1]) and len(words) > 1:  # '远航集团' + '宣布' / '正式': the name before them
            words.pop()
        if words and _nounish(*words[-1]) and sentence[at:].startswith(verb):  # a name right before the clause's verb
            gap, near = "".join(w for w, _ in words), at
    if query.answer_type == "number" and CJK.search(q) and (led := _led_count(q, sentence)) and not (gap and led in gap):
        at, span = sentence.find(led), led
        span = ("第" if sentence[at - 1 : at] == "第" else "") + span  # '第29个'
        digits = re.match(r".*[\d一二三四五六七八九十百千两]", span)  # the count before its unit, for the noun it counts
        counted = _with_unit(q, digits.group(0), sentence) if digits else span
        return counted if len(counted) > len(span) else _with_unit(q, span, sentence)
    which = _WHICH_ROLE.search(q) if query.answer_type == "person" and CJK.search(q) else None
    if which and (after := [t for t, at in typed_spans("person", sentence, q) if sentence[:at].endswith(which.group(1))]):
        return after[0]  # '哪位印度外长': the name right after '印度外长' in the quote ('会见印度外长苏杰生')
    headed = _with_head(q, gap, sentence) if gap and query.answer_type is None else None  # tags the question: once
    if query.answer_type is None and CJK.search(q) and (kinds := _headed(q, sentence, headed)):
        within = [n for n, _ in kinds if headed and n in headed]  # '浦发银行' in the gap '浦发银行积极支持'
        if within:
            return within[0]
        return min(kinds, key=lambda s: (abs(s[1] - near), s[1]))[0] if near is not None else _nearest(query, kinds, sentence)
    if gap and (query.answer_type is None or _fits(query.answer_type, gap) and asked_number(q, gap)):
        if query.answer_type == "number":
            return _with_unit(q, gap, sentence)
        return headed if headed is not None else _with_head(q, gap, sentence)
    if query.answer_type is None and (_HAPPENED.search(q) or _OPENS_DATED.match(sentence)):
        return _first_event(sentence)  # '发生了什么事件', or no gap in a dated report: its first clause past the dateline
    spans = typed_spans(query.answer_type, sentence, q)
    if not spans and query.answer_type == "date":  # '2019年6月11日…什么时候开启': the quote only has the day asked with
        told = [m.group(0).strip() for m in _DATE_SPAN.finditer(sentence) if m.group(0).strip() in q]
        return max(told, key=len) if told else None
    if not spans:
        return None
    role = [r for r in _ROLE.findall(q) if r in sentence] if query.answer_type == "person" else []
    if role:  # '全国青联的副主席是谁': the name in the role's clause ('霍启刚获任全国青联副主席，表示这是荣誉')
        return _by_noun(spans, sentence, role[-1], before=True)
    held = gap or ""
    g0 = sentence.find(held, max(0, near - len(held))) if held and near is not None else -1  # the trimmed gap's own place
    inside = [t for t, at in spans if 0 <= g0 <= at and at + len(t) <= g0 + len(held)]
    if inside:  # the gap was not of the kind asked, but holds one ('开幕式于10日下午在福建厦门' for a place)
        return inside[0]
    if near is not None:  # the question word's place in the quote
        return min(spans, key=lambda s: (abs(s[1] - near), s[1]))[0]
    return _nearest(query, spans, sentence)


_LINK = re.compile(r"\s*(?:为|是|达到?|报收?于?|共计?|合计|累计|了|至|到|有|分别为)?\s*$")
_MEASURE = "个家次名位项人倍届批座所条件台户篇例枚岁架辆艘吨只种元支场张部本颗棵头匹套份股起轮期层级道组对"
_LEAD_CHARS = 10  # the question's words are looked for in this many characters before a count
_TOUCH = 6  # what a count scores when the word before it is the one before the question word


def _led_count(question: str, sentence: str) -> str | None:
    """The count in ``sentence`` the question's words around it (its dates left out) point to, scored by: the
    question's two-character pieces among the ``_LEAD_CHARS`` characters of its clause before it, the one touching it
    among them ('利润总额同比增长5.4%' for '利润总额增长了多少'), or the characters its unit and what follows share with
    what follows the question word ('27个省份公布' for '多少个省份公布'), whichever is more; one more for the unit
    asked ('多少架次'); the first on a tie. ``None`` when no count touches the question's words."""
    q = without_dates(question)
    wh = _WH.search(q)
    asked = q[wh.end() :] if wh else ""
    unit = asked[:1] if asked[:1] and asked[:1] in _MEASURE else ""
    verb = re.sub(r"(?:了|是|为|有|达|约|共)+$", "", q[: wh.start()])[-2:] if wh else ""  # '票房增长了多少' -> '增长'
    best: tuple[int, int, str] | None = None
    for m in _NUMBER_SPAN.finditer(sentence):
        span = m.group(0).strip()
        if (not span or span in question or re.fullmatch(r"(?:19|20)\d{2}[年财届]?", span) or not asked_number(question, span)
                or not re.search(rf"\d|[{_MEASURE}]", span) or re.match(r"\s*(?:时|点(?!\d)|分(?!之)|小时|财年)", sentence[m.end() :])):
            continue
        before = re.split(r"[，,。；;：:！!？?、]", sentence[: m.start()])[-1]
        before = before[: _LINK.search(before).start()][-_LEAD_CHARS:]  # type: ignore[union-attr]
        pieces = [before[i : i + 2] for i in range(len(before) - 1)]
        lead = sum(p in q for p in pieces) if pieces and pieces[-1] in q else 0
        lead += _TOUCH if len(verb) == 2 and before.endswith(verb) else 0  # the word next to the question word, next to it
        counted = (span[-1] if span[-1] in _MEASURE else "") + sentence[m.end() :].lstrip()
        follow = next((i for i, (a, b) in enumerate(zip(asked, counted)) if a != b), min(len(asked), len(counted)))
        follow = follow if follow >= 2 else 0
        if lead or follow:
            scored = (max(lead, follow) + (1 if unit and unit in span else 0), -m.start(), span)
            best = scored if best is None or scored > best else best
    return best[2] if best else None


def _nearest(query: Query, spans: list[tuple[str, int]], sentence: str) -> str:
    """The span nearest to the question's words (or its expansions') in ``sentence``, the first on a tie."""
    pieces = _pieces(" ".join((query.text, *query.expansions)))
    return min(spans, key=lambda s: (_distance(s, sentence, pieces), s[1]))[0]


def _keyword_answer(query: Query, sentence: str) -> str | None:
    """A question that is a noun phrase with no question word, ending in a role or a quantity (``_KEYWORD_NOUNS``):
    the name or figure that goes with that noun in ``sentence`` (``_by_noun``), else the one nearest the question's
    words; ``None`` for any other question."""
    q = query.text
    m = _KEYWORD_Q.search(q)
    if not m or _WH.search(q):
        return None
    noun, kind = m.group(1), _KEYWORD_KIND[m.group(1)]
    spans = typed_spans(kind, sentence, q) or (_teams(sentence) if kind == "person" else [])
    spans = [(t, at) for t, at in spans if t not in q]
    if not spans:
        return None
    return _by_noun(spans, sentence, noun, before=kind == "person") if noun in sentence else _nearest(query, spans, sentence)


RATE_Q = re.compile(r"(?:\D率|比重|占比|增速|增幅|涨幅|跌幅|降幅)(?:是|为|达到?了?|约|提高了?|下降了?|上升了?|增长了?|降低了?|"
                     r"上涨了?|下跌了?|回落了?|提升了?)?多少(?![个只家名位人次项年天])")  # the rate itself is asked
PERCENT = re.compile(r"\d\s*[%％]|百分点|百分之|[一二三四五六七八九十]成|\d+(?:\.\d+)?成")
POINTS_Q = re.compile(r"多少点|点位|点数|指数(?:的|收盘)?(?:是|为|报|收于?)?(?:多少|什么)(?!个|只|家)")  # an index level
POINTS = re.compile(r"\d\s*点(?!\d)")
MONEY_Q = re.compile(r"(?:售价|价格|价钱|票价|股价|单价|均价|净利润|利润|营收|收入|薪资|工资|年薪|市值|票房|成本|罚款|罚金|奖金|估值|"
                      r"融资|金额|总额|造价|费用|报价|身价|税收|亏损|收益|罚款?了?|花费?了?)(?:是|为|达到?了?|约|大约|高达|共|总计)?多少(?![个只家名位人次项年天倍])|多少钱"
                      r"|\bhow much\b.*\b(?:cost|price|worth|pay|paid|sell|sold|revenue|profit|earn)", re.I)  # an amount of money asked
MONEY = re.compile(r"\d[\d,.]*\s*(?:多|余)?\s*[万亿千百]*\s*(?:元|美元|欧元|英镑|日元|港元|港币|韩元|卢布|块钱)"
                    r"|\d(?:\.\d+)?\s*[万亿](?![人名个次])|[一二三四五六七八九十百千万两]+(?:多|余)?[万亿]?(?:元|美元|欧元|英镑|日元|港元)|[$￥¥]\s*\d|\d\s*(?:dollars|yuan|euros|pounds)\b"
                    r"|\b(?:US|HK)?\$|\bRMB\b|\bUSD\b", re.I)
_VERSUS = re.compile(r"对手|对阵|战胜|击败|打败|输给|负于|对战|交手|迎战|对谁")
_TEAM = re.compile(r"[\u4e00-\u9fff]{2,6}?(?:女足|男足|女排|男排|女篮|男篮|国家队|俱乐部|队)(?![员长伍])")
_TEAM_CUT = re.compile(r"不敌|战胜|击败|打败|负于|输给|对阵|迎战|对战|交手|险胜|大胜|力克|逼平|战平|了|的|和|与|以|在|对|是")
_HAPPENED = re.compile(r"发生了?什么")
_SPEECH = r"宣布|表示|表达|表明|强调|指出|提出|要求|呼吁|建议|透露|承诺|警告|宣称|声称|回应|讨论|研究|部署|审议|称"
_SAME_VERB = {"讨论": ("讨论", "研究", "审议", "部署"), "研究": ("研究", "讨论", "审议"), "审议": ("审议", "讨论", "研究"),
              "表达": ("表达", "表示", "表明"), "表明": ("表明", "表示", "表达")}
_SAID_Q = re.compile(rf"({_SPEECH})了?(?:什么|哪些|何种)|(?:什么|哪些)(?:重要|重大|新的?)?({_SPEECH})")
_SAID_MAX = 40
_DATELINE = re.compile(r"^(?:(?:北京时间|当地时间)?\s*(?:\d{4}年)?(?:\d{1,2}月)?(?:\d{1,2}日)?(?:[至到—~-](?:\d{1,2}月)?\d{1,2}日)?"
                       r"(?:\d{1,2}(?:时|点)(?:\d{1,2}分)?)?"
                       r"(?:凌晨|上午|中午|下午|晚上|晚间|早上|傍晚|夜间)?(?:\d{1,2}(?:时|点)(?:\d{1,2}分)?)?)\s*[，,]?\s*")


_SCORE = r"\d{1,3}\s*[-–:：∶比]\s*\d{1,3}(?:\s*/\s*\d{1,2}\s*[-–]\s*\d{1,2})*(?:\s*[（(]\d{1,2}[)）])?"
_WON = r"爆冷击败|爆冷战胜|逆转取胜|逆转战胜|取胜|战胜|击败|打败|淘汰|大胜|险胜|小胜|力克|横扫|完胜|逆转|绝杀|狂胜|零封"
_LOST = r"不敌|负于|输给|惜败于?|败给|落败"
_DREW = r"战平|逼平|打平|握手言和"
_PLAYED = re.compile(rf"(?:以\s*)?(?P<score>{_SCORE})?\s*(?:的比分)?\s*(?P<verb>{_WON}|{_LOST}|{_DREW})"
                     rf"(?P<obj>[^\s，,。；;！!？?（(、]{{0,12}}?)(?=[，,。；;！!？?（(、]|$|晋级|取得|获得|结束|实现|锁定|挺进|进入|收获|遭遇|夺得)")
_RESULT_Q = re.compile(r"比赛结果|(?:的|赛)结果(?:是什么|如何|怎样)|(?:比赛|赛)?成绩(?:是什么|如何)|战果|胜负")
_SCORE_Q = re.compile(r"(?:什么|怎样的|多少的?)比分|比分是(?:多少|什么)")
_SIDE_Q = re.compile(r"(?:哪|什么)(?:一|个|支|家|国|只)*(?:球队|队伍|队|战队|国家|俱乐部|对手)|对手是谁|对手是哪"
                     r"|(?:战胜|击败|打败|淘汰|输给|负于|对阵|迎战|赢得?了?|赢)了?(?:谁|哪)")
_SUBJECT_CUT = re.compile(r"(?:在主场|在客场|主场|客场|在|以|的比分)+$")


_KEYWORD_NOUNS = {  # a question that is a noun phrase ending in one of these asks for that kind ('2022年我国机动车保有量')
    "person": "冠军|亚军|季军|主教练|教练|导演|编剧|作者|主演|得主|发言人|董事长|总裁|市长|省长|总统|首相|总理",
    "number": "保有量|发送量|总奖金|奖金|票房|震级|病例数|人数|总额|金额|市值|销量|产量|排名|名次",
}
_KEYWORD_Q = re.compile(rf"(?<!票房)({'|'.join(_KEYWORD_NOUNS.values())})[?？]?\s*$")
_KEYWORD_KIND = {noun: kind for kind, nouns in _KEYWORD_NOUNS.items() for noun in nouns.split("|")}


def _by_noun(spans: list[tuple[str, int]], sentence: str, noun: str, before: bool) -> str:
    """The span that goes with ``noun`` in ``sentence``: in its clause, on the side a name (``before``: '陈雨菲获得女单冠军')
    or a figure ('保有量达320万辆') sits, nearest; else the nearest anywhere."""
    places = [m.start() for m in re.finditer(re.escape(noun), sentence)]

    def rank(span: tuple[str, int]) -> tuple[bool, bool, int]:
        text, at = span
        best = (True, True, len(sentence))
        for p in places:
            lo, hi = (at + len(text), p) if at < p else (p + len(noun), at)
            apart = bool(re.search(r"[，,。；;！!？?]", sentence[lo:hi]))
            best = min(best, (apart, (at < p) != before, max(hi - lo, 0)))
        return best

    return min(spans, key=rank)[0]


def match_answer(question: str, sentence: str) -> str | None:
    """A match report read for what a question about a match asks ('3-1战胜深圳队'): its result (score, verb and
    opponent, with the side named first when it is short), its score, or the side the question does not name (the
    opponent of '战胜了哪支球队', the winner of '哪支球队战胜了伊萨奇巴希'); ``None`` when it is no such question or
    the sentence reports no match."""
    result, score, side = _RESULT_Q.search(question), _SCORE_Q.search(question), _SIDE_Q.search(question)
    if not (result or score or side):
        return None
    for clause in re.split(r"[，,；;。！!]", sentence):
        m = _PLAYED.search(clause)
        if not m or not (m.group("score") or m.group("obj")):
            continue
        subject = _SUBJECT_CUT.sub("", clause[: m.start()]).strip()
        obj = m.group("obj").strip().removeprefix("了")
        if score:
            if m.group("score"):
                return m.group("score").strip()
            continue
        if result:
            said = clause[m.start("score") if m.group("score") else m.start("verb") : m.end("obj")].strip()
            if 2 <= len(subject) <= 6:
                return subject + said
            met = re.search(r"[与和同][^与和同在以]{1,8}$", subject)  # '与韩国1比1战平': the other side before the score
            return met.group(0) + said if met and not obj else said
        named = [bool(x) and (x in question or any(x[i : i + 3] in question for i in range(len(x) - 2))) for x in (subject, obj)]
        if obj and not named[1]:
            return obj
        if named[1] and subject and not named[0] and len(subject) <= 12:
            return subject
    return None


def _said(question: str, sentence: str) -> str | None:
    """What was said, for '…宣布了什么' / '做了什么重要宣布' / '强调什么': the quote's clause after that speech verb
    ('特朗普宣布计划终止对印度的贸易优惠待遇，…' -> '计划终止对印度的贸易优惠待遇'); ``None`` when the quote does
    not use the verb."""
    m = _SAID_Q.search(question)
    if not m:
        return None
    verb = m.group(1) or m.group(2)
    found = [(at, v) for v in _SAME_VERB.get(verb, (verb,)) if (at := sentence.find(v)) >= 0]
    if not found:
        return None
    at, verb = min(found)
    rest = re.sub(r"^(?:了|出|道)?[，,：:\s]*(?:称|表示)?[，,：:\s]*", "", sentence[at + len(verb) :])
    quoted = re.match(rf"[“「《\"]([^”」》\"]{{2,{_SAID_MAX}}})[”」》\"]", rest)
    if quoted:  # '提出了“建言十二事”，…': the words quoted, marks kept
        return quoted.group(0)
    clause = re.split(r"[。；;！!？?]|，(?=[^，]{0,3}(?:并|同时|此外|但|而|这|其中))", rest, maxsplit=1)[0]
    clause = clause.split("，")[0] if len(clause) > _SAID_MAX else clause
    clause = clause.strip(_TRAIL)  # what was said keeps its own words ('将依法查处…': 将 is no filler here)
    return clause if 2 <= len(clause) <= _SAID_MAX else None


def _first_event(sentence: str) -> str | None:
    """The first clause of a report once its date and time are set aside ('2020年1月23日10时，武汉关闭离汉通道，…')."""
    rest = _DATELINE.sub("", sentence, count=1)
    clause = re.split(r"[，,。；;！!？?]", rest, maxsplit=1)[0]
    return _trim(clause) if 4 <= len(clause) <= 40 else None


_CLOSING = {"》": "《", "」": "「", "”": "“", "』": "『"}  # a closing mark and its opening one
YEAR_ASKED = re.compile(r"哪一?年|什么年份|几几年|\bwhat year\b|\bwhich year\b|\bin what year\b", re.I)
_WHICH_NOUN = re.compile(r"(?:哪一?(?:个|家|所|支|位|类|种|座|部|款|项|只|名|条)?|(?:什么|怎样)(?:样|类型|种类)?的?|何种)"
                         r"([\u4e00-\u9fff]{2,})")  # '什么样的危机' names 危机 as '什么危机' does


def _with_unit(question: str, gap: str, sentence: str) -> str:
    """A count read from a gap ends with what the question counts, where the quote goes on with it ('多少架高台' / '19'
    + '架高台'; '多少亿元人民币的债券' / '60' + '亿元人民币'), then the count alone kept from the gap ('成功发行了60' ->
    '60'); else the gap as it is ('同比增长超30倍')."""
    wh = _WH.search(question)
    at = sentence.find(gap)
    last = ([None, *_NUMBER_SPAN.finditer(gap)])[-1]
    if not wh or at < 0 or last is None or last.end() != len(gap):
        return gap
    lead = re.search(r"(?:第|\d+\s*[至到~～\-—–])\s*$", gap[: last.start()])  # '第29个', '16至20对'
    count = gap[lead.start() if lead else last.start() :].strip()
    after = sentence[at + len(gap) :]
    asked = question[wh.end() :]
    bare = bool(re.search(r"[\d一二三四五六七八九十两]\s*$", gap))
    for rest in (asked, asked[1:]):  # '多少个基点' / '25个' + '基点'
        size = next((i for i, (a, b) in enumerate(zip(rest, after)) if a != b), min(len(rest), len(after)))
        noun = ""
        for word, flag in tagged(re.split(r"的|[，,。；;？?]", rest[:size])[0]):
            if flag[:1] in "vpduc" and flag != "vn" and (noun or not bare):  # the noun counted, not what is said of
                break  # it ('中管干部' / '被查处'); after a bare number its measure word, however jieba tags it ('1' + '例')
            noun += word
        if noun and CJK.search(noun):
            return count + noun
    return gap


_BY_WHAT = re.compile(r"(?:因为?|由于|以|凭借?|靠|用|在|为|从|对|向|跟|和|与|被|把|通过)\s*$")  # '因什么去世': the last word is a verb


def _with_head(question: str, gap: str, sentence: str) -> str:
    """A 'which X' answer ends with the X the sentence names right after the gap ('哪家证券公司' / '兴业' + '证券'),
    from the gap's last clause ('…，多家雪糕' + '经营者' -> '多家雪糕经营者')."""
    m = _WHICH_NOUN.search(question)
    at = sentence.find(gap)
    if not m or at < 0:
        return gap
    words = tagged(m.group(1))
    ends = (bool(words) and re.fullmatch(r"[？?。！!\s]*", m.group(1)[len(words[0][0]) :] + question[m.end() :]) is not None
            and not _BY_WHAT.search(question[: m.start()]))
    noun = words[0][0] if words and (words[0][1].startswith(("n", "vn")) or ends) else ""  # '什么疫情' yes, '什么为食' no;
    # the question's last word is a noun whatever jieba tags it ('通过了什么认证')
    if not noun:
        return gap
    after = sentence[at + len(gap) :]
    if after[:1] in _CLOSING and at and sentence[at - 1] == _CLOSING[after[0]]:  # '《壬寅年》特种邮票': the title whole
        gap, after = sentence[at - 1 : at + len(gap) + 1], after[1:]
    full = m.group(1) if after.startswith(m.group(1)) else None
    head = full or next((h for h in (noun, noun[:2]) if len(h) >= 2 and after.startswith(h)), None)
    if head is None and len(noun) >= 2 and after.startswith(noun[-1]):  # '哪个地铁站' / '新荣' + '站': the head character
        head = noun[-1]
    clauses = re.split(r"[，,。；;：:]", gap)  # an enumeration ('甲、乙') stays whole
    if head is None or (full is None and len(clauses) > 1):  # only the whole noun is trusted across a clause break
        return gap
    lead = ""
    if len(tagged(gap)) == 1:  # one word before X: the nouns right before it name the same X ('国务院' 常务会议)
        for word, flag in reversed(tagged(re.split(r"[，,。；;：:、\s]", sentence[:at])[-1])):
            if not _nounish(word, flag) or flag in _PERSON_TAGS or re.search(r"\d", word):  # not a person ('选手张三')
                break
            lead = word + lead
    return lead + clauses[-1] + head


_WHICH_HEAD = re.compile(r"哪一?(?:个|家|所|支|类|种|座|部|款|项|只|条|名)([\u4e00-\u9fff]+)")
_HEAD_CHARS = set("党队河族案省市县区山湖江部院馆站厂店局会团社杯奖节法桥寺港湾岛州村镇街路营系科目纲属星")


def _nounish(word: str, flag: str) -> bool:
    return flag.startswith("n") or flag in ("s", "j", "eng") or (flag == "x" and bool(re.fullmatch(r"[A-Za-z0-9·\-]+", word)))


def _headed(question: str, sentence: str, gap: str | None) -> list[tuple[str, int]]:
    """For 'which X' ('哪家银行', '哪个政党'): the names in ``sentence`` that end with X, its last word or its last
    character where that names a kind ('党', '河'), each with the nouns before it ('邮储银行', '澳大利亚工党'), not
    those made of the question's own words ('中国男足国家队'); none when the gap already ends with X."""
    m = _WHICH_HEAD.search(question)
    if not m:
        return []
    words: list[str] = []
    for word, flag in tagged(m.group(1)):
        if not (_nounish(word, flag) or flag == "vn" and not words):
            break
        words.append(word)
    if not words:
        return []
    noun = "".join(words)
    heads = [noun] + words[-1:] * (len(words) > 1) + ([noun[-1]] if noun[-1] in _HEAD_CHARS else [])
    if gap and gap.endswith(tuple(heads)):
        return []
    spans = _word_spans(sentence)
    out = []
    for j, (word, _, at) in enumerate(spans):
        end = at + len(word)
        head = next((h for h in heads if sentence[:end].endswith(h)), None)
        if head is None:
            continue
        i = j
        while i > 0 and spans[i][2] > end - len(head):
            i -= 1
        while i > 0:
            word, flag, _ = spans[i - 1]
            if word == " ":  # one space between Latin or digit words ('iPhone 15 Pro'), else the name's edge
                if i > 1 and _LATIN_WORD.fullmatch(spans[i - 2][0]) and _LATIN_WORD.match(spans[i][0]):
                    i -= 1
                    continue
                break
            inner = i > 1 and len(word) <= 2 and flag in ("m", "vn") and _nounish(*spans[i - 2][:2])
            lead = (flag == "m" and bool(_LATIN_WORD.fullmatch(word))  # '3' of '3M公司', '58' of '58同城': where the name starts
                    and not (i > 1 and (_nounish(*spans[i - 2][:2]) or spans[i - 2][1] == "m")))  # not '第3' of '锦标赛第3比赛'
            if not (_nounish(word, flag) and word.strip() or inner or lead):
                break
            i -= 1
        found = sentence[spans[i][2] : end]
        before = [(w, f) for w, f, at in spans[i:j + 1] if at + len(w) <= end - len(head)]  # whole words before X
        part = sentence[spans[i][2] + sum(len(w) for w, _ in before) : end - len(head)]  # a word X is the tail of
        if len(found) > len(head) and not _restates(found, question) and _names_one(before, part):
            out.append((found, spans[i][2]))
    return out


_PROPER = ("nr", "ns", "nt", "nz", "j", "eng")
_LATIN_WORD = re.compile(r"[A-Za-z0-9]+")
_RARE = 100  # jieba dictionary count under which a word is a name or a trade word, not a common one


def _names_one(words: list[tuple[str, str]], part: str) -> bool:
    """Whether the words before a 'which X' head make it one X, not a kind ('邮储' 银行, '澳大利亚' 工党, '空客A330' 飞机;
    not '有限' 公司, '优质上市' 公司): a proper name by jieba's tags in the sentence, or a word its dictionary rarely or
    never saw; ``part`` is the front of the word that X ends ('上市' of '上市公司'), judged by its count alone."""
    return (any(flag.startswith(_PROPER) or dictionary_count(word) < _RARE for word, flag in words if word.strip())
            or bool(part) and dictionary_count(part) < _RARE)


def cloze(question: str, sentence: str, dates: bool = True) -> tuple[str | None, int | None]:
    """What fills the question word's place in ``sentence`` (found between the question's words on each side of
    it), and that place (a character offset in ``sentence``; ``None`` when neither side's words are found).

    Without ``dates`` (not a when-question) and where a dateline opens the report, the question's dates are also
    left out of its sides: every report there starts with a date, so it anchors little ('张帅在2021年6月2日哪个赛事…'
    / '2021年6月2日凌晨，中国球员张帅在2021年法网公开赛…'). That reading wins when it frames a gap on both sides, or
    when the one with the dates finds only a time of day ('凌晨') or nothing; a time of day alone is no answer."""
    gap, at, both = _fill(frame(question, sentence), sentence)
    if dates or not _OPENS_DATED.match(sentence) or (undated := without_dates(question)) == question:
        return gap, at
    alt, alt_at, alt_both = _fill(frame(undated, sentence), sentence)
    if alt and (alt_both and not both or not gap or _TIME_ONLY.fullmatch(gap)):
        return alt, alt_at
    return (None, None) if gap and _TIME_ONLY.fullmatch(gap) else (gap, at)  # the rest of the dateline answers nothing


def _fill(framed: tuple[int | None, int | None, str] | None, sentence: str) -> tuple[str | None, int | None, bool]:
    """The gap a framing leaves in ``sentence``, its offset, and whether both sides framed it."""
    if framed is None:
        return None, None, False
    left, right, right_q = framed
    if left is not None and right is not None and 0 < right <= _GAP_MAX:
        gap = sentence[left : left + right]
        gap = gap[m.end() :] if (m := _TIME_LEAD.match(gap)) and m.end() < len(gap) else gap  # '24日，刘连生' past '2021年4月'
        unit = re.match(_UNIT, sentence[left + right :])
        if re.search(r"\d\s*$", gap) and unit:  # '有多少次擒杀' / '共有136次擒杀': the count keeps its unit
            gap += unit.group(0)
        return _trim(gap), left, True
    if left is not None and right is not None and right > _GAP_MAX and (at := sentence.find(right_q[:4], left)) >= 0 and len(right_q) >= 4:
        # the sides far apart ('民生银行发布高层调整公告，…，王晓永被聘任为行长'): the words after the question word lead
        return _trim(_clip(sentence[max(left, at - _OPEN_MAX) : at], forward=False)), at, False
    if left is not None and right == 0:  # 'X新增了多少Y' / 'X新增Y 76例': the answer follows Y
        after = _anchor(right_q, sentence[left:], suffix=False, longest=True)
        end = left + (after or 0)
        return _trim(_clip(sentence[end : end + _OPEN_MAX], forward=True)), end, False
    if left is not None:
        return _trim(_clip(sentence[left : left + _OPEN_MAX], forward=True)), left, False
    if right:  # no left side: ``right`` is where the right side starts in the whole sentence
        return _trim(_clip(sentence[max(0, right - _OPEN_MAX) : right], forward=False)), right, False
    return None, None, False


_OPENS_DATED = re.compile(r"(?:北京时间|当地时间)?\s*(?:\d{4}\s*年\s*)?\d{1,2}\s*月\s*\d{1,2}\s*日")
_TIME_ONLY = re.compile(r"(?:凌晨|上午|中午|下午|晚上|晚间|早上|傍晚|夜间|当天|当日|\d{1,2}(?:时|点|:\d{2})|\d{1,2}\s*[日号]"
                        r"|\d{1,2}\s*月)+")
_TIME_LEAD = re.compile(rf"(?:{_TIME_ONLY.pattern})\s*[，,]\s*")  # the rest of a dateline, before the report


def frame(question: str, sentence: str) -> tuple[int | None, int | None, str] | None:
    """The question's words around its question word, found in ``sentence``: the index just after the left side's
    match, the offset of the right side's match (from there, or from the start without a left side) and the
    question's right side itself; ``None`` when the question has no question word."""
    wh = _WH.search(question)
    if not wh:
        return None
    right_q = question[wh.end() :].strip(_TRAIL)
    left = _anchor(question[: wh.start()].rstrip(_TRAIL), sentence, suffix=True)
    right = _anchor(right_q, sentence if left is None else sentence[left:], suffix=False)
    return left, right, right_q


def framed_gap(question: str, sentence: str) -> tuple[bool, bool]:
    """Whether both sides of the question word frame a gap of at most ``_GAP_MAX`` characters in ``sentence``, and
    (else) whether one side is found there."""
    framed = frame(question, sentence)
    if framed is None:
        return False, False
    left, right, _ = framed
    both = left is not None and right is not None and 0 < right <= _GAP_MAX
    return both, not both and (left is not None or right is not None)


def _anchor(part: str, sentence: str, suffix: bool, longest: bool = False) -> int | None:
    """Where the question's words next to its question word occur in ``sentence``.

    ``suffix``: a piece of ``part`` ending at most ``_SKIP`` characters before its end; the index just after its
    match. Else a piece starting at most ``_SKIP`` characters into ``part``; the index where its match begins (or,
    ``longest``, just after it). Longer pieces first; ``None`` when no two characters of it match.
    """
    order = sorted(((size, skip) for size in range(min(len(part), 8), _ANCHOR_MIN - 1, -1)
                    for skip in range(0, min(_SKIP, len(part) - size) + 1)),
                   key=lambda x: (x[0] >= 3, x[0] - x[1] if suffix else x[0], x[0]), reverse=True)
    for size, skip in order:
        piece = part[len(part) - skip - size : len(part) - skip] if suffix else part[skip : skip + size]
        if not CJK.search(piece) or (size < 3 and skip):  # two characters only right next to the question word
            continue
        at = sentence.rfind(piece) if suffix else sentence.find(piece)
        if at >= 0:
            return at + size if suffix or longest else at
    return None


def _clip(text: str, forward: bool) -> str:
    """Cut ``text`` at the first stop (clause punctuation) in reading order from the anchor."""
    parts = _STOP_LEFT.split(text)
    return parts[0] if forward else parts[-1]


def _trim(text: str) -> str | None:
    titled = re.fullmatch(r"([^《》]*)《([^《》]+)》", text.strip(_TRAIL))
    if titled and not _FILLER.sub("", titled.group(1)):
        return titled.group(2)  # '在《求是》': a title is whole, whatever it ends with ('是')
    text = _TITLED.sub("", text.strip(_TRAIL + "“”\"'「」"))  # a title's marks: kept whole ('《社会分工论》中'), see balanced()
    text = _FILLER.sub("", text).strip(_TRAIL + "“”\"'「」")
    text = text.strip("《》") if text.count("《") == text.count("》") == 1 and text.startswith("《") and text.endswith("》") else text
    if _ASKING.search(text):  # a gap that itself asks ('吉祥物是什么样子的？') answers nothing
        return None
    return text if text and (CJK.search(text) or re.search(r"\w", text)) else None


_ASKING = re.compile(r"什么|哪[里个些儿位]|谁|多少")


def asked_number(question: str, text: str) -> bool:
    """``text`` holds the kind of number asked: an amount of money for a price or profit, a percentage for a rate,
    an index level for points."""
    return all(rx.search(text) for ask, rx in ((MONEY_Q, MONEY), (RATE_Q, PERCENT), (POINTS_Q, POINTS)) if ask.search(question))


def typed_spans(kind: str | None, sentence: str, question: str) -> list[tuple[str, int]]:
    """(span, position) of the kind asked for in ``sentence``, leaving out what the question already says."""
    found: list[tuple[str, int]] = []
    if kind == "date":
        found = [(m.group(0).strip(), m.start()) for m in _DATE_SPAN.finditer(sentence)]
        if not YEAR_ASKED.search(question):  # '什么时候': a day or month before a bare year
            found = [f for f in found if not re.fullmatch(r"(?:19|20)\d{2}年?|[一二三四五六七八九十〇零]{2,4}年", f[0])] or found
        found = [f for f in found if not re.fullmatch(r"\d{1,2}\s*年", f[0])] or found  # '超过30年' is how long, not when
    elif kind == "number":
        found = [(m.group(0).strip(), m.start()) for m in _NUMBER_SPAN.finditer(sentence)]
        found = [s for s in found if not re.fullmatch(r"(?:19|20)\d{2}年?", s[0])] or found
        found = [s for s in found if not (re.search(r"\d$", s[0]) and re.match(r"\s*(?:时|点(?!\d)|分(?!之))",
                                                                          sentence[s[1] + len(s[0]) :]))] or found  # '0—24时'
        found = [s for s in found if asked_number(question, s[0])] or found  # a price or a rate asked: that kind first
    elif kind == "person" and _VERSUS.search(question) and _TEAM.search(sentence):  # '对手是谁': a team
        found = _teams(sentence)
    elif kind == "person":
        found = [(_name_end(m.group(0)), m.start()) for m in _DOTTED.finditer(sentence)]  # '卡万·肖特'
        found += _person_spans(sentence) or [(m.group(1), m.start(1)) for m in _TITLE.finditer(sentence)]
        found = [f for f in found if not any(f != g and f[0] in g[0] and g[1] <= f[1] < g[1] + len(g[0]) for g in found)]
    elif kind == "organisation":
        found = [(m.group(0), m.start()) for m in _ORG.finditer(sentence)] + _tagged_spans(sentence, {"nt"})
    elif kind == "place":
        found = [(m.group(1), m.start(1)) for m in _HELD_IN.finditer(sentence)] + place_spans(sentence)
    return [(s, at) for s, at in found if s and s not in question]


def _word_spans(sentence: str) -> list[tuple[str, str, int]]:
    """(word, jieba part-of-speech flag, offset in ``sentence``) for each tagged word, in order."""
    out, at = [], 0
    for word, flag in tagged(sentence):
        at = sentence.find(word, at)
        if at < 0:
            break
        out.append((word, flag, at))
        at += len(word)
    return out


def _name_end(dotted: str) -> str:
    """A dotted or hyphenated name without the words after its last part ('帕斯卡尔-西亚卡姆贡献' -> '…西亚卡姆')."""
    head, sep, last = max(((dotted[: i], dotted[i], dotted[i + 1 :]) for i in range(len(dotted)) if dotted[i] in "·•・-－"),
                          key=lambda x: len(x[0]), default=("", "", dotted))
    kept = "".join(w for w, _ in itertools.takewhile(
        lambda x: x[1] in _NAME_TAGS or len(x[0]) == 1 and x[0] not in _NOT_NAME and x[1] != "x", tagged(last)))
    return head + sep + (kept or last)


_NAME_TAGS = frozenset({"nr", "nrt", "nrfg", "ns", "nz", "eng"})


def _person_spans(sentence: str) -> list[tuple[str, int]]:
    """Names of people as jieba tags them, whole: the pieces of one name joined ('萨姆索' + '诺娃', '冯德' + '莱恩'), and
    a name jieba cut one character short taken with it ('高启' + '强', '岸' + '田文雄'; '王' + '海' + '鸰'): characters
    next to the name that are no function word (``_NOT_NAME``)."""
    words = _word_spans(sentence)
    out: list[tuple[str, int]] = []
    i = 0
    while i < len(words):
        if words[i][1] not in _PERSON_TAGS:
            i += 1
            continue
        j = i + 1
        while j < len(words) and words[j][1] in _PERSON_TAGS and words[j][2] == words[j - 1][2] + len(words[j - 1][0]):
            j += 1
        start, end = words[i][2], words[j - 1][2] + len(words[j - 1][0])
        if end - start == 1:  # a surname jieba left alone ('王' '海' '鸰', '肖' '晨曦'): a Chinese name of three
            while j < len(words) and _part(words[j], end, 3 - (end - start)):
                end += len(words[j][0])
                j += 1
        else:
            if i and _part(words[i - 1], start, 1, after=False) and end - start + 1 <= _NAME_MAX:
                start -= 1
            if j < len(words) and _part(words[j], end, 1, flags=_NAME_END_FLAGS) and end - start + 1 <= _NAME_MAX:
                end += 1
        if end - start > 1:
            out.append((sentence[start:end], start))
        i = j
    joined: list[tuple[str, int]] = []
    for name, at in out:  # '石龙和肖晨曦': names joined in the text are one answer
        if joined and sentence[joined[-1][1] + len(joined[-1][0]) : at] in _JOINS:
            joined[-1] = (sentence[joined[-1][1] : at + len(name)], joined[-1][1])
        else:
            joined.append((name, at))
    return joined


def _part(word: tuple[str, str, int], at: int, most: int, after: bool = True, flags: frozenset[str] | None = None) -> bool:
    """``word`` (at most ``most`` characters) is right next to a name (after it, or before) and can belong to it."""
    text, flag, ws = word
    touches = ws == at if after else ws + len(text) == at
    return (touches and len(text) <= most and bool(CJK.fullmatch(text[0])) and flag in (flags or _NAME_PART_FLAGS)
            and not any(c in _NOT_NAME for c in text))


_JOINS = ("和", "与", "及", "、")
_NAME_MAX = 5  # characters in a name taken whole (transliterated ones are longer, and keep their '·')
_NAME_PART_FLAGS = frozenset({"n", "ng", "nr", "nrt", "ns", "a", "vg", "zg", "j"})  # what jieba tags a cut-off character
_NAME_END_FLAGS = _NAME_PART_FLAGS - {"n", "ng"}  # after a whole name a noun is more often the next word ('籍', '肘')
_NOT_NAME = frozenset("的地得了着过在和与及或是被把将由对从向为等也都又就才曾已于以说称到去来让给上下中里外前后年月日时人们家")


_WHEN_WORDS = re.compile(r"\d\s*[年月日号时点]|[上下中]午|凌晨|晚上|早上|时间|周[一二三四五六日末]|星期")
_ONE_CHAR_END = re.compile(r"[省市县区州镇乡村岛湾港街路巷]$")
_MULTI_END = re.compile(r"(?:地区|大厦|大厅|会堂|广场|中心|机场|车站|酒店|宾馆|体育场|体育馆|公园|校区|大街)$")
_NOUNISH = frozenset({"n", "nr", "nrt", "nrfg", "ns", "nz", "nt", "nl", "ng"})
_PLACE_MAX = 14
_GENERIC_PLACE = re.compile(r"(?:[省市县区州镇乡村]|地区|自治区|省份|城市|国家|大厅|中心|广场)+")  # a kind of place, not one


def place_spans(sentence: str) -> list[tuple[str, int]]:
    """Places as jieba tags them, with the places and place nouns next to them taken whole: '新疆' + '阿克苏地区' +
    '库车县', '瑞士' + '日内瓦', '莫斯科工会大厦圆柱大厅' (nouns before a place noun)."""
    words = _word_spans(sentence)
    is_place = [flag == "ns" and len(w) > 1 and not _GENERIC_PLACE.fullmatch(w) or len(w) == 1 and bool(_ONE_CHAR_END.match(w))
                or flag in _NOUNISH and (bool(_MULTI_END.search(w)) or len(w) > 2 and bool(_ONE_CHAR_END.search(w)))
                for w, flag, _ in words]  # '毕节市', '地区', '县' after a place; not '股市', '误区'
    out: list[tuple[str, int]] = []
    i = 0
    while i < len(words):
        if not is_place[i]:
            i += 1
            continue
        j = i + 1
        while j < len(words) and words[j][2] == words[j - 1][2] + len(words[j - 1][0]) and (
                is_place[j] or words[j][1] in _NOUNISH and j + 1 < len(words) and is_place[j + 1]):
            j += 1
        start = i
        if words[i][1] != "ns":  # a place noun ('大厦', '中心') takes the nouns before it ('莫斯科工会')
            while start and words[start - 1][1] in _NOUNISH and words[start - 1][2] + len(words[start - 1][0]) == words[start][2] \
                    and words[j - 1][2] + len(words[j - 1][0]) - words[start - 1][2] <= _PLACE_MAX:
                start -= 1
        at, end = words[start][2], words[j - 1][2] + len(words[j - 1][0])
        if end - at > 1 and not _GENERIC_PLACE.fullmatch(sentence[at:end]):
            out.append((sentence[at:end], at))
        i = j
    return out


def _tagged_spans(sentence: str, flags: set[str] | frozenset[str]) -> list[tuple[str, int]]:
    return [(word, at) for word, flag, at in _word_spans(sentence) if flag in flags and len(word) > 1]


def _pieces(text: str) -> list[str]:
    """The two-character pieces of the question (and its Chinese expansions) that a quote can share."""
    return [p for i in range(len(text) - 1) if CJK.search(p := text[i : i + 2]) and " " not in p]


def _distance(span: tuple[str, int], sentence: str, pieces: list[str]) -> int:
    """Characters from the span to the nearest piece of the question found in the sentence."""
    text, at = span
    best = len(sentence)
    for piece in pieces:
        j = sentence.find(piece)
        while j >= 0:
            if j + 2 <= at:
                best = min(best, at - (j + 2))
            elif j >= at + len(text):
                best = min(best, j - (at + len(text)))
            j = sentence.find(piece, j + 1)
    return best


def _fits(kind: str, text: str) -> bool:
    """A cloze gap for a typed question must hold that kind of answer (else the typed spans are tried)."""
    if kind == "date":
        return bool(_DATE_SPAN.search(text))
    if kind == "number":
        return bool(re.search(r"\d|[一二三四五六七八九十百千万亿两]", text))
    if kind == "person" and _SURNAMED.fullmatch(text) and not _common_word(text):
        return True  # '刘连生': jieba does not know every name; '高票' (当选) is a word it knows
    if kind in ("person", "organisation"):  # '由谁主持' / '…大会召开': a name, not the verb next to it
        return bool(typed_spans(kind, text, ""))
    if kind == "place":  # '在哪里举行': a place, not the time or the verb next to it ('于当地时间周六中午12点举行')
        return not _WHEN_WORDS.search(text) and (bool(place_spans(text)) or any(flag in _NOUNISH for _, flag, _ in _word_spans(text)))
    return True


def _common_word(text: str) -> bool:
    """``text`` is one word jieba knows, and not as a name ('高票', not '高峰' or '刘连生')."""
    words = tagged(text)
    return len(words) == 1 and words[0][1] not in _PERSON_TAGS


_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_EN_SPANS = {
    "date": re.compile(rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?!\d)(?:,?\s+\d{{4}})?|\b\d{{1,2}}\s+{_MONTH}(?:,?\s+\d{{4}})?"
                       rf"|\b{_MONTH}\s+\d{{4}}|\b(?:1[5-9]|20)\d{{2}}\b"),
    "number": re.compile(r"\$?\d[\d,.]*\s*(?:%|percent|million|billion|thousand|trillion|people|times|years?|days?|"
                         r"points?|games?|goals?|seconds?|minutes?|hours?|km|miles?|meters?)?|\b(?:one|two|three|four|five|six|"
                         r"seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?|thousands?)\b", re.I),
    "person": re.compile(r"\b[A-Z][a-z]+(?:[ -](?:[A-Z][a-z'\-]+|de|van|von|da|bin))+\b"),
    "place": re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*\b"),
    "organisation": re.compile(r"\b[A-Z][A-Za-z&.\-]*(?:\s+[A-Z][A-Za-z&.\-]*)+\b|\b[A-Z]{2,}\b"),
}
_EN_WORD = re.compile(r"[A-Za-z][a-z]{3,}")


def _new_share(span: str, question_words: set[str]) -> float:
    """Share of a span's words the question does not use ('US Open Women's Singles Championship': 1 of 5)."""
    ws = [re.sub(r"'s$", "", w.lower()) for w in _EN_WORD.findall(span)]
    return sum(w not in question_words for w in ws) / len(ws) if ws else 0.0


def _english_span(query: Query, sentence: str) -> str | None:
    """The typed span of an English quote nearest to the question's words (its answer type's pattern)."""
    rx = _EN_SPANS.get(query.answer_type or "")
    if rx is None:
        return None
    low_q = query.text.lower()
    found = [(m.group(0).strip(), m.start()) for m in rx.finditer(sentence)]
    found = [(t, at) for t, at in found if t and t.lower() not in low_q and not (t[:1].isupper() and at == 0 and " " not in t)]
    words = {w.lower() for w in _EN_WORD.findall(query.text)}
    if query.answer_type in ("person", "place", "organisation"):  # a name the question itself gives is not the answer
        found = [(t, at) for t, at in found if _new_share(t, words) > 0.5]
    if not found:
        return None
    spots = [m.start() for m in _EN_WORD.finditer(sentence) if m.group(0).lower() in words]
    return min(found, key=lambda s: (min((abs(s[1] - j) for j in spots), default=0), s[1]))[0]


_OF_WHAT = re.compile(r"^(?P<pre>.*?)(?P<clause>[^，,。的]{2,24})的(?P<noun>[\u4e00-\u9fff]{1,6}?)(?:是|叫|为|叫做)?"
                      r"(?P<wh>什么|谁|哪(?:一)?[个家位种支所国部款项])[？?]?$")  # '…的公司叫什么


def _subject_asked(question: str) -> tuple[str, str] | None:
    """'更名为复爱合缘集团的公司叫什么' asks for the subject of its clause: its verb and the question read as
    '什么公司更名为复爱合缘集团'."""
    m = _OF_WHAT.match(question)
    if not m or m.group("noun")[0] in "是为":
        return None
    words = tagged(without_dates(m.group("clause")).strip(_TRAIL))
    if not words or words[0][1][:1] != "v":
        return None
    return words[0][0], f"{m.group('pre')}{m.group('wh')}{m.group('noun')}{m.group('clause')}"
