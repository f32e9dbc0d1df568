"""Time expressions resolved into date ranges against several "as of" dates."""

from __future__ import annotations

from datetime import date

import pytest

from rag.query import analyze
from rag.timeparse import DateRange, iso_span, parse_as_of, question_range, resolve


def _one(text: str, as_of: str) -> tuple[str, str]:
    got = resolve(text, as_of)
    assert len(got) == 1, got
    return got[0].start.isoformat(), got[0].end.isoformat()


@pytest.mark.parametrize(
    ("text", "as_of", "expected"),
    [
        ("去年7月深圳发生了什么?", "2020-05-01", ("2019-07-01", "2019-07-31")),
        ("去年7月深圳发生了什么?", "2023-01-10", ("2022-07-01", "2022-07-31")),
        ("前年发生了什么", "2024-03-01", ("2022-01-01", "2022-12-31")),
        ("今年年初的政策", "2023-06-14", ("2023-01-01", "2023-03-31")),
        ("上个月的数据", "2023-01-15", ("2022-12-01", "2022-12-31")),
        ("上个月的数据", "2023-03-31", ("2023-02-01", "2023-02-28")),
        ("上周发生了什么", "2023-06-14", ("2023-06-05", "2023-06-11")),
        ("上周发生了什么", "2023-06-19", ("2023-06-12", "2023-06-18")),
        ("三年前的事故", "2023-06-14", ("2020-01-01", "2020-12-31")),
        ("两年前的7月初新增了多少例", "2024-11-12", ("2022-07-01", "2022-07-31")),  # that year's July, not 2022..2024-07
        ("五年前12月21日谁被起诉", "2024-11-12", ("2019-12-21", "2019-12-21")),
        ("今年2月中旬股价如何", "2024-11-12", ("2024-02-01", "2024-02-29")),  # a part of a month: the month (loosely)
        ("四年前6月底推荐了什么", "2024-11-12", ("2020-06-01", "2020-06-30")),
        ("八月下旬的会议", "2024-11-12", ("2024-08-01", "2024-08-31")),
        ("去年底的会议", "2024-11-12", ("2023-10-01", "2023-12-31")),  # a part of a year
        ("去年的这个时候发生了什么", "2024-11-12", ("2023-01-01", "2023-12-31")),  # that year: '这个时候' is used loosely
        ("去年的今天", "2024-11-12", ("2023-11-12", "2023-11-12")),
        ("四年前的这个时候", "2024-11-12", ("2020-01-01", "2020-12-31")),
        ("3月初步统计", "2024-11-12", ("2024-03-01", "2024-03-31")),  # '初步' is no part of March
        ("四年前四月的新闻", "2024-11-12", ("2020-04-01", "2020-04-30")),
        ("近两年的变化", "2023-06-14", ("2021-06-14", "2023-06-14")),
        ("昨天", "2020-03-01", ("2020-02-29", "2020-02-29")),
        ("what happened last year?", "2021-02-01", ("2020-01-01", "2020-12-31")),
        ("what happened last month?", "2021-01-05", ("2020-12-01", "2020-12-31")),
        ("two years ago", "2023-03-10", ("2021-01-01", "2021-12-31")),
        ("in the past 3 years", "2023-06-01", ("2020-06-01", "2023-06-01")),
        ("7月23日发生了什么", "2023-05-01", ("2022-07-23", "2022-07-23")),  # July has not come yet in May
        ("7月23日发生了什么", "2023-09-01", ("2023-07-23", "2023-07-23")),
    ],
)
def test_relative_expressions_follow_the_as_of_date(text: str, as_of: str, expected: tuple[str, str]) -> None:
    assert _one(text, as_of) == expected


@pytest.mark.parametrize(
    ("text", "expected", "granularity"),
    [
        ("2020年4月2日广州发生了什么交通事故？", ("2020-04-02", "2020-04-02"), "day"),
        ("2019年7月的新闻", ("2019-07-01", "2019-07-31"), "month"),
        ("哪些城市在2015年成为示范城市", ("2015-01-01", "2015-12-31"), "year"),
        ("which cities were named in 2015?", ("2015-01-01", "2015-12-31"), "year"),
        ("on July 23, 2019", ("2019-07-23", "2019-07-23"), "day"),
        ("in July 2019", ("2019-07-01", "2019-07-31"), "month"),
        ("from 2015 to 2021", ("2015-01-01", "2021-12-31"), "span"),
        ("2015年至2021年的历程", ("2015-01-01", "2021-12-31"), "span"),
        ("2015年上半年", ("2015-01-01", "2015-06-30"), "quarter"),
        ("二〇一九年", ("2019-01-01", "2019-12-31"), "year"),
        ("2023年7月30日和31日北京降雨多少", ("2023-07-30", "2023-07-31"), "day"),  # both days, not the 30th alone
        ("2023年7月30日至8月2日", ("2023-07-30", "2023-08-02"), "day"),
        ("2021年1月5日至2月20日", ("2021-01-05", "2021-02-20"), "span"),
    ],
)
def test_explicit_dates_are_ranges_at_their_granularity(text: str, expected: tuple[str, str], granularity: str) -> None:
    for as_of in ("2016-01-01", "2024-08-30"):  # explicit dates do not move with as_of
        got = resolve(text, as_of)
        assert [(r.start.isoformat(), r.end.isoformat()) for r in got] == [expected]
        assert got[0].granularity == granularity and not got[0].relative


def test_until_opens_the_start_of_the_range() -> None:
    r = question_range("截至上周，荣盛发展的股价连续多少日涨停？", "2023-06-14")
    assert r is not None and r.start == date(1, 1, 1) and r.end == date(2023, 6, 11)


def test_a_time_compared_with_is_not_the_time_asked_about() -> None:
    assert question_range("船闸货运量与去年相比提前了几天突破亿吨？", "2024-05-01") is None
    r = question_range("今年上半年销量较去年同期增长多少？", "2024-05-01")
    assert r is not None and (r.start, r.end) == (date(2024, 1, 1), date(2024, 6, 30))
    r = question_range("去年同期的销量是多少？", "2024-05-01")  # asked about, not compared with
    assert r is not None and r.start == date(2023, 1, 1)
    assert analyze("船闸货运量比去年提前了几天？", 2023).years == () and analyze("去年销量是多少？", 2023).years == (2022,)


def test_numbers_that_are_not_dates_and_anaphora_are_left_alone() -> None:
    assert resolve("这家公司有3000名员工", "2023-01-01") == []
    assert resolve("A和B是在同一月份吗？", "2023-01-01") == []
    assert resolve("会议召开当天发生了什么", "2023-01-01") == []  # 当天 is the event's day, not as_of


def test_as_of_parsing_and_iso_spans() -> None:
    assert parse_as_of("2024-1月20日") == date(2024, 1, 20)
    assert parse_as_of(None) == date.today()
    with pytest.raises(ValueError, match="as_of must be a date"):
        parse_as_of("yesterday-ish")
    assert iso_span("2019-07") == (date(2019, 7, 1), date(2019, 7, 31))
    assert iso_span("") is None
    r = DateRange(date(2019, 7, 1), date(2019, 7, 31), "2019年7月", "month")
    assert r.contains("2019") and r.contains("2019-07-23") and not r.contains("2019-08-01") and not r.contains(None)


def test_relative_dates_are_written_out_for_search() -> None:
    from rag.timeparse import absolutize

    assert absolutize("去年7月哪部电影上映？", "2024-11-12") == "2023年7月哪部电影上映？"
    assert absolutize("五年前联合国面临的财务问题是什么？", "2024-11-12") == "2019年联合国面临的财务问题是什么？"
    assert absolutize("四年前的今天，国奥队表现如何", "2024-01-15") == "2020年1月15日，国奥队表现如何"
    assert absolutize("what happened last year in Shenzhen?", "2024-11-12") == "what happened in 2023 in Shenzhen?"
    assert absolutize("2015年哪些城市", "2024-11-12") == "2015年哪些城市"  # explicit dates stay as written


def test_dates_are_blanked_out_of_a_question() -> None:
    from rag.timeparse import without_dates

    assert without_dates("2024年3月7日萨克拉门托国王队对哪支球队取得胜利？") == " 萨克拉门托国王队对哪支球队取得胜利？"
    assert without_dates("常园夺得2024年8月9日的金牌是什么项目？") == "常园夺得 的金牌是什么项目？"
    assert without_dates("国王队赢了几场？") == "国王队赢了几场？"
    assert without_dates("2024年2月中旬新海股份的实控人做了什么？") == " 新海股份的实控人做了什么？"  # '中旬' is no topic
    assert without_dates("2024年2月中国经济怎样？") == " 中国经济怎样？"
