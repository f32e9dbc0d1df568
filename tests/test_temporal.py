"""Time-aware questions over the real seed index: which came first, timelines, counts, as-of ranges."""

from __future__ import annotations

from datetime import date

import pytest

from rag import temporal
from rag.errors import InputError
from rag.temporal import plan
from rag.types import Chunk, Hit

BAOTOU = "002_b7bf3aecb8f9b87f.txt"
LIAOCHENG = "001_601d5aada0628d2c.txt"


def test_plans_read_what_a_question_asks_about_time() -> None:
    p = plan("COTODAMA歌词音箱和苹果停产iPhone 6系列哪个事件更早发生？")
    assert p is not None and p.kind == "compare" and p.events == ("COTODAMA歌词音箱", "苹果停产iPhone 6系列")
    p = plan("A公司被约谈、B市发生地震和C队夺冠，哪个事件最晚发生？")
    assert p is not None and p.kind == "compare" and p.latest and len(p.events) == 3
    p = plan("白俄罗斯召见乌克兰代办和美国公布6月CPI数据是在同一个月发生的吗？")
    assert p is not None and p.kind == "same" and p.unit == "month" and len(p.events) == 2
    p = plan("杭州亚运会延期当天，孙颖的案件在哪个法院公开审理？")
    assert p is not None and p.kind == "anchored" and p.events == ("杭州亚运会延期",) and "法院" in p.rest
    p = plan("2019年有多少篇报道提到质量强市?")
    assert p is not None and p.kind == "count" and p.topic == "质量强市" and p.range and p.range.start == date(2019, 1, 1)
    p = plan("what happened with the quality-city campaign from 2015 to 2021?")
    assert p is not None and p.kind == "timeline" and p.range and (p.range.start.year, p.range.end.year) == (2015, 2021)
    assert plan("哪些城市成为示范城市?") is None


def test_a_part_that_only_says_when_is_the_range_not_an_event() -> None:
    p = plan("在2020年，甲市地铁开通和乙省高考改革这两个事件是发生在同一个月吗？")
    assert p is not None and p.kind == "same" and p.events == ("甲市地铁开通", "乙省高考改革") and p.range
    p = plan("在2021年3月1日和2021年5月9日之间，海口和三亚哪个地方更早发布预警？")
    assert p is not None and p.kind == "compare" and p.events == ("海口", "三亚")
    p = plan("甲市地铁开通，乙省召开高考改革会议，以及丙县撤县设区，这三个活动中哪一个最早发生？")  # '这三个活动' no event
    assert p is not None and p.kind == "compare" and p.events == ("甲市地铁开通", "乙省召开高考改革会议", "丙县撤县设区")
    p = plan("丙队夺冠和丁公司上市是否发生在同一年？")
    assert p is not None and p.kind == "same" and p.unit == "year" and p.events == ("丙队夺冠", "丁公司上市")
    p = plan("丙队夺冠和丁公司上市是同年同月发生的吗？")  # the finest unit named
    assert p is not None and p.kind == "same" and p.unit == "month"
    p = plan("戊会议闭幕、己大桥通车、庚卫星发射，事件从早到晚的顺序是什么？")
    assert p is not None and p.kind == "compare" and p.order and len(p.events) == 3
    p = plan("甲市和乙市分别获得了什么称号？")
    assert p is not None and p.kind == "each" and p.events == ("甲市", "乙市") and p.rest == "获得了什么称号？"


def test_each_event_is_answered_from_its_own_report(assistant) -> None:  # type: ignore[no-untyped-def]
    a = assistant.ask("包头市城市质量发展大会和聊城实施质量强市战略动员大会分别是什么时候召开的？")
    assert not a.refused
    assert {c.doc_id for c in a.citations} == {BAOTOU, LIAOCHENG}
    lines = [line for line in a.text.splitlines() if line]
    assert lines[0].startswith("包头") and "2016年4月14日" in lines[0] and lines[1].startswith("聊城")


def test_a_hit_in_the_range_outranks_one_outside_it() -> None:
    def hit(cid: str, text: str, day: str | None, score: float) -> Hit:
        return Hit(Chunk(cid, cid, text, 0, len(text), None, day, None), score)

    rng = plan("去年7月发生了什么?", "2020-05-01").range  # type: ignore[union-attr]
    hits = [hit("a", "会议召开。", "2018-07-02", 1.0), hit("b", "会议召开。", "2019-07-15", 0.8),
            hit("c", "据悉，2019年7月3日会议召开。", "2020-01-01", 0.7), hit("d", "会议召开。", None, 0.9)]
    ranked = [h.chunk.chunk_id for h in temporal.boost(hits, rng)]
    assert ranked.index("b") < ranked.index("a") and ranked.index("c") < ranked.index("a")  # published or stated in range
    assert "d" in ranked  # an undated article is not excluded by a soft range


def test_a_report_reads_a_day_without_a_year_as_the_nearest_one() -> None:
    ahead = temporal.stated_dates("研究生入学考试将于12月25日至27日举行。", "2021-12-24")  # upcoming, both days
    assert [(r.start, r.end) for r in ahead] == [(date(2021, 12, 25), date(2021, 12, 27))]
    back = temporal.stated_dates("3月5日，会议召开。", "2021-07-10")
    assert [r.start for r in back] == [date(2021, 3, 5)]
    assert [r.start for r in temporal.stated_dates("10月8日，会议召开。", "2021-03-01")] == [date(2020, 10, 8)]  # nearer back
    rng = plan("2021年12月26日举行的是什么考试？", "2024-08-30").range  # type: ignore[union-attr]
    report = Hit(Chunk("a", "a", "研究生入学考试将于12月25日至27日举行。", 0, 20, None, "2021-12-24", None), 1.0)
    assert temporal.fit(report, rng, precise=True) >= temporal.IN_RANGE


def test_a_year_a_passage_states_does_not_place_it_on_a_day() -> None:
    def hit(text: str, day: str | None) -> Hit:
        return Hit(Chunk("a", "a", text, 0, len(text), None, day, None), 1.0)

    rng = plan("2022年1月5日全国新增确诊病例数？", "2024-01-01").range  # type: ignore[union-attr]
    year_only, that_day = hit("2022年全年，全国居民消费价格指数上涨2%。", None), hit("1月5日，全国新增确诊病例189例。", "2022-01-06")
    assert temporal.fit(year_only, rng) == temporal.IN_RANGE  # the soft boost still reads the year
    assert temporal.fit(year_only, rng, precise=True) < temporal.IN_RANGE <= temporal.fit(that_day, rng, precise=True)


def test_which_came_first_is_answered_from_each_events_dated_evidence(assistant) -> None:  # type: ignore[no-untyped-def]
    a = assistant.ask("包头市城市质量发展大会和聊城实施质量强市战略动员大会哪个更早?")
    assert not a.refused
    first = a.text.splitlines()[0]
    assert first.startswith("答：") and "聊城" in first and "包头" not in first  # the verdict is the short answer line
    assert {c.doc_id for c in a.citations} == {BAOTOU, LIAOCHENG}
    assert "2016年4月14日" in a.text  # the date the Baotou report states, not its publication date
    a = assistant.ask("包头市城市质量发展大会和聊城实施质量强市战略动员大会哪个更晚?")
    assert "包头" in a.text.splitlines()[0]


def test_timeline_lists_dated_cited_reports_oldest_first(assistant) -> None:  # type: ignore[no-untyped-def]
    a = assistant.ask("质量强市的时间线")
    assert not a.refused and len(a.citations) >= 4
    lines = [line for line in a.text.splitlines()[1:] if line and "日期不详" not in line]
    years = [int(line[:4]) for line in lines]
    assert years == sorted(years) and years[0] == 2015
    assert len({c.doc_id for c in a.citations}) == len(a.citations)  # one passage per story
    assert a.kind == "timeline" and [d.date for d in a.dated if d.date] == sorted(d.date for d in a.dated if d.date)
    after = assistant.ask("质量强市的时间线", history=[("2030年火星基地一共住了多少名宇航员?", "资料库中没有找到答案。")])
    assert after.kind == "timeline" and after.text == a.text  # short, but its own question: not folded into the last


def test_count_comes_from_the_index(assistant) -> None:  # type: ignore[no-untyped-def]
    a = assistant.ask("2016年有多少篇报道提到质量强市?")
    assert a.text.startswith("答：共有1篇报道") and [c.doc_id for c in a.citations] == [BAOTOU]
    a = assistant.ask("有多少篇报道提到质量强市?")
    assert a.text.startswith("答：共有5篇报道")
    assert assistant.ask("2030年有多少篇报道提到质量强市?").refused


def test_as_of_moves_relative_questions(assistant) -> None:  # type: ignore[no-untyped-def]
    q = "去年有多少篇报道提到质量强市?"
    assert assistant.ask(q, as_of="2016-05-01").text.startswith("答：共有2篇报道")  # 2015: Shenzhen and Liaocheng
    assert assistant.ask(q, as_of="2017-03-01").text.startswith("答：共有1篇报道")  # 2016: Baotou
    assert assistant.ask(q, as_of="2019-01-01").refused
    with pytest.raises(InputError, match="as_of must be a date"):
        assistant.ask(q, as_of="last tuesday")


def test_search_returns_ranked_hits_with_the_same_analysis_and_filters(assistant) -> None:  # type: ignore[no-untyped-def]
    hits = assistant.search("which cities were named in 2015?", k=5)
    assert hits and "000_134084127a1d6434.txt" in [h.chunk.doc_id for h in hits[:3]]
    assert all(h.found_by and h.chunk.chunk_id and h.score > 0 for h in hits)
    dated = assistant.search("质量强市", k=10, date_from="2016", date_to="2016-12-31")
    assert dated and {h.chunk.doc_id for h in dated} == {BAOTOU}
    recent = assistant.search("去年的质量大会", k=3, as_of="2017-02-01")  # 去年 = 2016: Baotou first
    assert recent[0].chunk.doc_id == BAOTOU
    source = assistant.search("质量强市", k=10, source="中国质量新闻网")
    assert source and all(h.chunk.source == "中国质量新闻网" for h in source)
    assert assistant.search("质量强市", k=10, source="no such outlet") == []
    with pytest.raises(InputError, match="date_from must be"):
        assistant.search("质量强市", date_from="last year")


def test_the_search_tab_lists_articles_sortable_by_date(assistant) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("gradio")
    from rag.ui.handlers import Handlers

    h = Handlers(assistant)
    html = h.search("质量强市", 10, "", "", "", "", "oldest")
    dates = [d for d in ("2015-02-02", "2015-06-15", "2016-04-21", "2021-09-17") if d in html]
    assert len(dates) == 4 and [html.index(d) for d in dates] == sorted(html.index(d) for d in dates)
    newest = h.search("质量强市", 10, "", "", "", "", "newest")
    assert newest.index("2021-09-17") < newest.index("2015-02-02")
    assert "as_of must be a date" in h.search("质量强市", 10, "", "", "someday", "", "relevance")


def test_with_an_llm_the_timeline_leads_with_its_summary_of_the_same_evidence(assistant) -> None:  # type: ignore[no-untyped-def]
    from langchain_core.language_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    from rag.generators.chat import ChatGenerator

    plain = assistant.ask("质量强市的时间线")
    good = "2015年2月，国务院张纲参事就全国质量强市示范城市创建工作进行了点评[1]。"
    bad = "质量强市运动在2030年彻底失败了[1]。"
    before = assistant.generator
    try:
        assistant.generator = ChatGenerator(GenericFakeChatModel(messages=iter([AIMessage(good)])), "openai")
        a = assistant.ask("质量强市的时间线")
        assistant.generator = ChatGenerator(GenericFakeChatModel(messages=iter([AIMessage(bad)])), "openai")
        b = assistant.ask("质量强市的时间线")
    finally:
        assistant.generator = before
    assert a.text.startswith("2015年2月，国务院") and a.generator == "openai" and a.kind == "timeline"
    assert plain.text.splitlines()[0] in a.text  # the dated lines follow the summary
    assert len(a.dated) == len(plain.dated) and a.citations[0].doc_id == plain.citations[0].doc_id
    assert b.text == plain.text and any("summary" in w for w in b.warnings)  # unsupported: left out



def _hits(*texts: str, day: str | None = None, top: float = 1.0, step: float = 0.1) -> list[Hit]:
    return [Hit(Chunk(t, t, t, 0, len(t), None, day, None), top - i * step) for i, t in enumerate(texts)]


def test_comparisons_are_read_however_they_are_worded() -> None:
    """'哪一事件…最早', '最迟', '发生在前', '是不是…同一年', '，是否…同一月份', a numbered list after the question."""
    p = plan("甲市地铁开通、乙省召开高考改革会议和丙县撤县设区，哪一事件发生最早？")
    assert p is not None and p.kind == "compare" and not p.latest and len(p.events) == 3
    p = plan("甲市地铁开通、乙省发布新规，哪个事件最迟发生？")
    assert p is not None and p.kind == "compare" and p.latest and p.events == ("甲市地铁开通", "乙省发布新规")
    p = plan("甲队夺冠和乙公司上市，哪个发生在前？")
    assert p is not None and p.kind == "compare" and not p.latest
    p = plan("甲队夺冠和乙公司上市，哪个事件在时间上发生得更早？")  # the compared word further from 哪个
    assert p is not None and p.kind == "compare" and p.events == ("甲队夺冠", "乙公司上市")
    p = plan("甲队夺冠和乙公司上市是不是发生在同一年？")
    assert p is not None and p.kind == "same" and p.unit == "year" and p.events == ("甲队夺冠", "乙公司上市")
    p = plan("甲队夺冠和乙公司上市的事件，是否发生在同一月份？")
    assert p is not None and p.kind == "same" and p.unit == "month" and p.events == ("甲队夺冠", "乙公司上市")
    p = plan("在2023年的联赛中，甲队和乙队哪一场比赛更晚？", "2024-01-01")  # where both happened is no event
    assert p is not None and p.kind == "compare" and p.latest and p.events == ("甲队", "乙队")
    assert all(r is not None and r.start == date(2023, 1, 1) for r in p.ranges)
    p = plan("Which happened first, the Baotou conference or the Liaocheng meeting?")  # the list after a comma
    assert p is not None and p.kind == "compare" and p.events == ("the Baotou conference", "the Liaocheng meeting")
    p = plan("Did the Baotou conference and the Liaocheng meeting happen in the same year?")
    assert p is not None and p.kind == "same" and p.unit == "year"
    assert p.events == ("the Baotou conference", "the Liaocheng meeting")
    p = plan("Were the Baotou conference and the Liaocheng meeting on the same day?")
    assert p is not None and p.kind == "same" and p.unit == "day"
    p = plan("以下哪个事件发生得最早：1. 甲队夺冠 2. 乙公司上市 3. 丙县撤县设区？")
    assert p is not None and p.kind == "compare" and p.events == ("甲队夺冠", "乙公司上市", "丙县撤县设区")


def test_an_events_day_ranks_its_passages_by_dates_as_precise_as_the_day() -> None:
    """A report of another day that states the year ('2023年A股市场…') is not taken for one on the event's day."""
    rng = plan("2023年4月13日A股市场的整体表现如何？", "2023-10-30").range
    year_only = _hits("2023年以来，A股市场整体表现平稳。", day="2023-06-01", top=1.0)
    that_day = _hits("4月13日，A股市场整体下跌。", day="2023-04-13", top=0.9)
    found = {"text": year_only + that_day}

    def search(text: str, k: int, date_from: str | None, date_to: str | None) -> list[Hit]:
        return [h for h in found["text"] if not date_from or (h.chunk.date or "") >= date_from][:k]

    ranked = temporal._event_hits(search, "2023年4月13日A股市场的整体表现如何", rng)
    assert ranked[0].chunk.date == "2023-04-13"


def test_a_range_said_inside_one_event_ranks_only_that_events_passages() -> None:
    p = plan("2015年甲市获评示范城市和乙省发布新规哪个事件更早发生？", "2024-01-01")
    assert p is not None and p.kind == "compare" and p.range is not None
    assert p.ranges[0] is not None and p.ranges[0].start == date(2015, 1, 1) and p.ranges[1] is None
    p = plan("在2020年，甲市地铁开通和乙省高考改革哪个更早？", "2024-01-01")
    assert p is not None and all(r is not None and r.start == date(2020, 1, 1) for r in p.ranges)  # said of both


def test_runners_up_go_to_the_event_its_retrieval_is_least_sure_of() -> None:
    found = {"甲事件": _hits("甲1", "甲2", "甲3", step=0.5), "乙事件": _hits("乙1", "乙2", "乙3", step=0.5),
             "丙事件": _hits("丙1", "丙2", "丙3", step=0.01)}  # 丙's best two are close: its second may be the one

    def search(text: str, k: int, date_from: str | None, date_to: str | None) -> list[Hit]:
        return found[text][:k]

    ev = temporal.gather(temporal.Plan("compare", None, tuple(found)), search, 5)
    assert [h.chunk.chunk_id for h in ev.hits][:4] == ["甲1", "乙1", "丙1", "丙2"]


def test_an_anchored_question_also_keeps_the_best_matches_at_any_date() -> None:
    """The anchor's day may be wrong (the anchor's own report missing): matches at any date take turns with it."""
    anchor = _hits("2021年6月25日，甲项目正式投产。", day="2021-06-25")
    that_day = _hits("乙地发生袭击一。", "乙地发生袭击二。", "乙地发生袭击三。", day="2021-06-25")
    anywhen = _hits("乙地发生炸弹袭击。", "乙地发生汽车炸弹袭击。", day="2020-01-01", top=2.0)

    def search(text: str, k: int, date_from: str | None, date_to: str | None) -> list[Hit]:
        return (anchor if "投产" in text else that_day if date_from else anywhen)[:k]

    p = plan("甲项目正式投产当天，乙地发生了什么袭击？")
    assert p is not None and p.kind == "anchored"
    ids = [h.chunk.chunk_id for h in temporal.gather(p, search, 5).hits]
    assert len(ids) == 5 and {"乙地发生炸弹袭击。", "乙地发生汽车炸弹袭击。"} <= set(ids)
    assert ids[0] == "乙地发生袭击一。" and ids[-1] == anchor[0].chunk.chunk_id


def test_an_anchor_its_best_passage_barely_matches_does_not_lead_with_its_day() -> None:
    """A passage holding few of the anchor's words dates nothing: matches at any date come first."""
    anchor = _hits("2021年3月1日，丙市召开会议。", day="2021-03-01")
    that_day = _hits("乙地发生袭击一。", "乙地发生袭击二。", day="2021-03-01")
    anywhen = _hits("乙地发生炸弹袭击。", "乙地发生汽车炸弹袭击。", "乙地发生袭击事件。", day="2020-01-01", top=2.0)

    def search(text: str, k: int, date_from: str | None, date_to: str | None) -> list[Hit]:
        return (anchor if "投产" in text else that_day if date_from else anywhen)[:k]

    p = plan("甲项目正式投产当天，乙地发生了什么袭击？")
    assert p is not None and p.kind == "anchored"
    ids = [h.chunk.chunk_id for h in temporal.gather(p, search, 5).hits]
    assert ids[:3] == [h.chunk.chunk_id for h in anywhen] and ids[-1] == anchor[0].chunk.chunk_id


def test_an_events_report_in_its_range_is_found_though_ranked_deep_at_any_date() -> None:
    """'2024年甲公司股价变动': the 2024 report below the first hits found anywhen is searched for within 2024."""
    anywhen = _hits(*(f"甲公司股价变动{i}。" for i in range(9)), day="2019-05-01", step=0.02)  # fused scores are close
    in_2024 = _hits("2024年3月5日，甲公司股价重挫。", day="2024-03-05")

    def search(text: str, k: int, date_from: str | None, date_to: str | None) -> list[Hit]:
        return (in_2024 if date_from else anywhen)[:k]

    p = plan("2024年甲公司股价变动和乙省发布新规哪个更早？", "2024-12-01")
    assert p is not None and p.kind == "compare" and p.ranges[0] is not None
    ev = temporal.gather(p, search, 5)
    assert ev.hits[0].chunk.chunk_id == in_2024[0].chunk.chunk_id and ev.dated[0][2] == "2024-03-05"


def test_events_listed_after_a_colon_or_joined_by_ji_are_each_an_event() -> None:
    p = plan("以下事件中，哪个最早发生：甲市地铁开通、乙省发布新规、丙队夺冠？")
    assert p is not None and p.kind == "compare" and p.events == ("甲市地铁开通", "乙省发布新规", "丙队夺冠")
    p = plan("以下事件中，哪一个最早发生？甲市地铁开通，乙省发布新规，丙队夺冠？")  # listed after the question
    assert p is not None and p.kind == "compare" and p.events == ("甲市地铁开通", "乙省发布新规", "丙队夺冠")
    p = plan("下列事件中，甲市地铁开通、乙省发布新规和丙队夺冠，这三者中最早发生的是哪个？")
    assert p is not None and p.kind == "compare" and p.events == ("甲市地铁开通", "乙省发布新规", "丙队夺冠")
    p = plan("甲市地铁开通、乙省发布新规和丙队夺冠，按时间顺序哪个最早发生？")
    assert p is not None and p.kind == "compare" and p.events == ("甲市地铁开通", "乙省发布新规", "丙队夺冠")
    p = plan("甲市地铁开通、乙省发布新规及丙队夺冠，哪个事件最早发生？")
    assert p is not None and p.events == ("甲市地铁开通", "乙省发布新规", "丙队夺冠")
    p = plan("甲省新增确诊及无症状感染者报告与乙市确诊病例，哪个事件更早？")  # 及 inside one event: 与 splits first
    assert p is not None and p.events == ("甲省新增确诊及无症状感染者报告", "乙市确诊病例")


def test_an_events_passage_that_holds_its_words_leads_its_hits() -> None:
    """Fused retrieval scores are close: the passage holding the event's own words is its best hit."""
    found = {"丁公司董事长辞职": _hits("丁公司发布年报。", "丁公司股价上涨。", "丁公司董事长辞职获批准。", step=0.02),
             "戊市发布暴雨预警": _hits("戊市发布暴雨预警。", day="2020-08-07")}

    def search(text: str, k: int, date_from: str | None, date_to: str | None) -> list[Hit]:
        return found[text][:k]

    ev = temporal.gather(temporal.Plan("compare", None, tuple(found)), search, 5)
    assert ev.hits[0].chunk.chunk_id == "丁公司董事长辞职获批准。"


def test_an_undated_reports_coarser_date_or_its_years_day_still_dates_its_event() -> None:
    """A passage without an article date dates its event by the month or year it states, or by a day whose year
    its sentence states; a 'same month' question with only a year known on one side is not answered yes."""
    assert temporal.event_date(_hits("甲软件于2022年11月底发布，用户很快过亿。")[0], "甲软件发布")[0] == "2022-11"
    assert temporal.event_date(_hits("北京时间4月4日，乙选手在2023年公开赛首轮落败。")[0], "乙选手落败")[0] == "2023-04-04"
    assert temporal.event_date(_hits("丙市于2月4日发布通告。")[0], "2024年2月5日丙市限制供水")[0] == "2024-02-05"
    assert temporal.event_date(_hits("丁某于11月29日去世。")[0], "丁某去世")[0] is None  # no year anywhere: unknown
    found = {"甲软件发布": _hits("甲软件于2022年11月底发布。"), "乙队夺冠": _hits("2022年9月7日，乙队夺冠。", day="2022-09-07")}

    def search(text: str, k: int, date_from: str | None, date_to: str | None) -> list[Hit]:
        return found[text][:k]

    p = temporal.Plan("compare", None, tuple(found))
    text = "".join(temporal.render(p, temporal.gather(p, search, 5)))
    assert text.startswith("答：最早的是乙队夺冠") and "2022年11月" in text
    same = temporal.Plan("same", None, ("甲软件发布", "丙事件"), unit="day")
    found["丙事件"] = _hits("2022年丙事件发生。")
    assert "".join(temporal.render(same, temporal.gather(same, search, 5))) == ""  # days unknown: no verdict
    found["丙事件"] = _hits("2021年丙事件发生。")
    assert "".join(temporal.render(same, temporal.gather(same, search, 5))).startswith("答：不是")  # years differ


def test_each_date_or_each_question_of_a_compound_question_is_asked_on_its_own() -> None:
    p = plan("2023年3月28日和4月13日甲市场的整体表现分别如何？", "2023-10-30")
    assert p is not None and p.kind == "each"
    assert p.events == ("2023年3月28日甲市场的整体表现如何", "2023年4月13日甲市场的整体表现如何")
    assert [r.start for r in p.ranges if r] == [date(2023, 3, 28), date(2023, 4, 13)]
    p = plan("2024年2月期间，深圳舞剧在哪里首演，以及上海证监局对哪类交易进行了处罚？", "2024-11-12")
    assert p is not None and p.kind == "each"
    assert p.events == ("2024年2月期间，深圳舞剧在哪里首演", "2024年2月期间，上海证监局对哪类交易进行了处罚")
    p = plan("甲公司2023年的营收是多少以及同比增长了多少？")  # the second part has no subject of its own
    assert p is not None and p.kind == "range"
    p = plan("华夏银行因何被罚款以及美联储计划启动什么服务？")
    assert p is not None and p.kind == "each" and p.events == ("华夏银行因何被罚款", "美联储计划启动什么服务")
    assert plan("甲市以及乙市的人口是多少？") is None  # one question about two places: not split


def test_whether_all_events_fall_in_a_range_is_answered_from_each_events_date() -> None:
    p = plan("甲软件发布和乙队夺冠都是2022年发生的吗？", "2024-01-01")
    assert p is not None and p.kind == "same" and p.within and p.events == ("甲软件发布", "乙队夺冠")
    found = {"甲软件发布": _hits("甲软件于2022年11月底发布。"), "乙队夺冠": _hits("2022年9月7日，乙队夺冠。", day="2022-09-07")}

    def search(text: str, k: int, date_from: str | None, date_to: str | None) -> list[Hit]:
        return found[text][:k]

    assert "".join(temporal.render(p, temporal.gather(p, search, 5))).startswith("答：是的，都在2022年")
    found["乙队夺冠"] = _hits("2021年9月7日，乙队夺冠。", day="2021-09-07")
    assert "".join(temporal.render(p, temporal.gather(p, search, 5))).startswith("答：不是")
    p = plan("丙队夺冠和丁公司上市，这两个事件都是发生在同一年的吗？")
    assert p is not None and p.kind == "same" and p.events == ("丙队夺冠", "丁公司上市") and not p.within


def test_a_day_without_its_year_still_tells_a_different_month() -> None:
    found = {"甲队夺冠": _hits("2024年1月25日，甲队夺冠。", day="2024-01-25"), "乙球员申请交易": _hits("北京时间7月2日，乙球员申请交易。")}

    def search(text: str, k: int, date_from: str | None, date_to: str | None) -> list[Hit]:
        return found[text][:k]

    p = temporal.Plan("same", None, tuple(found), unit="month")
    text = "".join(temporal.render(p, temporal.gather(p, search, 5)))
    assert text.startswith("答：不是，不是同一个月") and "年份不详" in text
    found["乙球员申请交易"] = _hits("北京时间1月3日，乙球员申请交易。")  # January too, of an unknown year: no verdict
    assert "".join(temporal.render(p, temporal.gather(p, search, 5))) == ""


def test_plans_and_verdicts_hold_on_odd_questions() -> None:
    """Edge cases a second reading found: each is a plan or verdict that must not change for the worse."""
    p = plan("甲市地铁开通和乙省发布新规，哪个更早？请给出日期。")  # a sentence after the question is no list
    assert p is not None and p.kind == "compare" and p.events == ("甲市地铁开通", "乙省发布新规")
    for q in ("2022年世界杯和2023年亚运会都是在卡塔尔举办的吗？", "2023年，甲队和乙队都是联赛冠军吗？"):
        p = plan(q)  # 'all in' a range only when the range is what is asked
        assert p is None or not p.within
    p = plan("东京奥运会开幕、长赐号货轮在埃及苏伊士运河搁浅，哪个更早？")  # 及 inside a word splits nothing
    assert p is not None and p.events == ("东京奥运会开幕", "长赐号货轮在埃及苏伊士运河搁浅")
    p = plan("2023年3月28日和29日A股的表现分别如何？")  # a bare day takes the first date's year and month
    assert p is not None and p.events == ("2023年3月28日A股的表现如何", "2023年3月29日A股的表现如何")
    assert temporal._coarse_date("他于2015年至2021年间担任市长。", "担任市长") is None  # no one date
    found = {"甲软件发布": _hits("甲软件于2022年11月底发布。"), "乙队夺冠": _hits("2022年11月5日，乙队夺冠。", day="2022-11-05")}

    def search(text: str, k: int, date_from: str | None, date_to: str | None) -> list[Hit]:
        return found[text][:k]

    p = temporal.Plan("compare", None, tuple(found))
    assert "".join(temporal.render(p, temporal.gather(p, search, 5))) == ""  # '2022年11月' may be before or after
    found["乙队夺冠"] = _hits("2024年1月2日，乙队夺冠。", day="2024-01-02")
    found["甲软件发布"] = _hits("2024年1月4日，甲软件发布。", day="2024-01-04")
    week = temporal.Plan("same", None, tuple(found), unit="week")
    assert "".join(temporal.render(week, temporal.gather(week, search, 5))).startswith("答：是的，是同一周")


def test_what_a_second_reading_of_the_comparison_wording_found() -> None:
    """None of these is a which-came-first or same-date question, or its events are the ones before the question."""
    p = plan("华为Mate60发布和苹果iPhone15发布哪个更早，分别是哪一天和在哪里？")  # a follow-up after the comma
    assert p is not None and p.kind == "compare" and p.events == ("华为Mate60发布", "苹果iPhone15")
    for q in ("比亚迪和特斯拉哪个公司在前三季度销量更高？", "利物浦和曼城哪一队排名在前？",
              "中国、日本和韩国中，哪些国家在疫情后恢复了免签？", "工行、建行和农行，哪一家银行随后也下调了存款利率？",
              "今年8月CPI和PPI是不是比去年同月上涨了？", "Did exports and imports rise from the same month last year?",
              "Did Messi and Ronaldo win the Ballon d'Or in the same year?"):
        p = plan(q, "2024-09-01")
        assert p is None or p.kind not in ("compare", "same"), q
    p = plan("在上海举行的进博会上、在北京举行的服贸会上，哪个更早？")  # two settings: both are events
    assert p is not None and p.kind == "compare" and len(p.events) == 2
