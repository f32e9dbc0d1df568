"""Web pages: decoding by the bytes, main-content extraction, the publication date and how fields were found."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.clean import clean, clean_text, document_date, find_dateline, title_dateline
from rag.html import decode_page, drop_layout_rows, extract, headline_in_title, markup_date, parse_markup_date, url_date
from rag.load import RawArticle, Skipped, load

BODY = [
    "国家统计局今天发布数据，今年前三季度全国居民人均可支配收入比上年名义增长百分之五点二。",
    "分城乡看，城镇居民人均可支配收入增长百分之四点七，农村居民人均可支配收入增长百分之六点六。",
    "统计局新闻发言人表示，居民收入增长与经济增长基本同步，消费市场稳步恢复。",
    "专家认为，下一阶段应继续稳就业、促消费，推动居民收入持续较快增长。",
]
CHROME = ["设为首页", "加入收藏", "网站地图", "联系我们", "版权所有 某某新闻网 2023", "去年收入情况回顾 2022-10-24", "相关报道第3篇"]


def page(charset: str = "utf-8", head_extra: str = "", dateline: str = "2023-10-18 10:30 来源：新华社") -> str:
    related = "".join(f"<li><a href='/n{i}.html'>相关报道第{i}篇 2021-0{i}-1{i}</a></li>" for i in range(1, 6))
    paras = "".join(f"<p>{s}</p>" for s in BODY)
    return (
        f"<html><head><meta charset='{charset}'><title>前三季度居民收入增长 - 某某新闻网</title>{head_extra}</head><body>"
        "<div class='top'><a href='/'>设为首页</a> | <a href='/fav'>加入收藏</a> | <a href='/map'>网站地图</a></div>"
        "<div class='nav'><ul><li><a href='/a'>国内</a></li><li><a href='/b'>国际</a></li><li><a href='/c'>财经</a></li></ul></div>"
        f"<div class='article'><h1>前三季度居民收入增长</h1><div class='info'>{dateline}</div>{paras}</div>"
        f"<div class='related'><h3>相关新闻</h3><ul><li><a href='/old.html'>去年收入情况回顾 2022-10-24</a></li>{related}</ul></div>"
        "<div class='foot'><a href='/contact'>联系我们</a><p>版权所有 某某新闻网 2023</p></div></body></html>"
    )


def _flat(s: str) -> str:
    return "".join(s.split())


def test_article_kept_and_chrome_dropped() -> None:
    p = extract(page().encode("utf-8"))
    assert all(_flat(s) in _flat(p.text) for s in BODY)
    assert not [c for c in CHROME if _flat(c) in _flat(p.text)]
    assert p.title == "前三季度居民收入增长" and p.found["text"] == "trafilatura"


def test_date_is_the_dateline_not_a_related_list_date() -> None:
    p = extract(page().encode("utf-8"))
    assert p.date == "2023-10-18" and p.found["date"] == "dateline:title"


def test_no_dateline_no_date_rather_than_a_related_list_date() -> None:
    p = extract(page(dateline="").encode("utf-8"))
    assert p.date is None and "date" not in p.found


def test_markup_date_wins_and_says_so() -> None:
    meta = "<meta property='article:published_time' content='2023-10-17T08:00:00+08:00'>"
    p = extract(page(head_extra=meta, dateline="").encode("utf-8"))
    assert p.date == "2023-10-17" and p.found["date"] == "meta:article:published_time"


def test_declared_gb2312_but_utf8_bytes() -> None:
    data = page(charset="gb2312").encode("utf-8")
    text, enc = decode_page(data)
    assert enc == "utf-8" and BODY[0] in text
    assert _flat(BODY[0]) in _flat(extract(data).text)


def test_gbk_page_with_stray_gb18030_bytes() -> None:
    html = page(charset="gbk").replace(BODY[1], BODY[1] + "价格为100€。")
    data = html.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("gbk")
    text, enc = decode_page(data)
    assert enc == "gb18030" and "100€" in text


def test_a_few_bad_bytes_are_replaced_not_the_page_lost() -> None:
    data = page(charset="gbk").encode("gbk")
    data = data[:400] + b"\xff" + data[400:]
    text, _ = decode_page(data)
    assert text.count("\ufffd") == 1 and BODY[2] in text


def test_page_wrapped_in_a_form_still_extracts() -> None:
    html = page().replace("<body>", "<body><form method='post' action='x.aspx'>").replace("</body>", "</form></body>")
    p = extract(html.encode("utf-8"))
    assert all(_flat(s) in _flat(p.text) for s in BODY)


def test_layout_table_rows_dropped_content_rows_kept() -> None:
    text = "| 首页 \\| 新闻 \\| 论坛 |\n| 最新评论 |\n| 这是一段很长的正文内容，写在表格里的文章也要保留下来。 |\n普通段落。"
    assert drop_layout_rows(text).split("\n") == ["这是一段很长的正文内容，写在表格里的文章也要保留下来。", "普通段落。"]


def test_find_dateline_kinds() -> None:
    assert find_dateline(["某网站", "标题在这里", "2020年3月4日 12:00 来源：本报"], "标题在这里") == "2020-03-04"
    assert find_dateline(["正文。", "发表于 2004年12月27日 12:40 - (阅读:37)"]) == "2004-12-27"
    assert find_dateline(["本贴由", "某人", "于2005年8月12日16:12:21在〖", "某论坛", "〗发表"]) == "2005-08-12"
    assert find_dateline(["正文提到2019年1月1日的事。"]) is None


def test_loader_records_how_fields_were_found(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_bytes(page(charset="gbk").encode("gbk"))
    (art,) = list(load([tmp_path]))
    assert isinstance(art, RawArticle) and art.is_html
    assert art.meta["found.encoding"] == "gb18030" and art.meta["found.date"] == "dateline:title"
    doc = clean(art)
    assert doc.date == "2023-10-18" and doc.title == "前三季度居民收入增长"
    assert not [c for c in CHROME if _flat(c) in _flat(doc.text)]


def test_undecodable_page_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "bad.html").write_bytes(b"<html>" + b"\x81\xff\xfe\x80" * 200 + b"</html>")
    items = list(load([tmp_path]))
    assert len(items) == 1 and isinstance(items[0], Skipped) and "undecodable" in items[0].reason


def test_rag_show_returns_stored_documents_as_json(tmp_path: Path, ingest_hash, capsys) -> None:  # type: ignore[no-untyped-def]
    import json

    from rag.cli import main

    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "a.html").write_bytes(page().encode("utf-8"))
    (folder / "b.txt").write_text("第二篇文章的正文。", encoding="utf-8")
    _, index = ingest_hash(folder)
    assert main(["show", "a.html", "b.txt", "--index", str(index), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [d["doc_id"] for d in shown] == ["a.html", "b.txt"]
    a = shown[0]
    assert a["title"] == "前三季度居民收入增长" and a["date"] == "2023-10-18" and a["duplicates"] == []
    assert all(_flat(s) in _flat(a["text"]) for s in BODY) and set(a) >= {"source", "url", "found"}
    assert main(["show", "a.html", "nope", "--index", str(index)]) == 1
    out = capsys.readouterr()
    assert "前三季度居民收入增长" in out.out and "not in index: nope" in out.err


def test_undeclared_big5_page_is_not_read_as_gb18030() -> None:
    html = "<html><head><title>新聞</title></head><body><p>臺灣地區今年經濟成長率預估為百分之三點二，出口持續回溫。</p></body></html>"
    data = html.encode("big5")
    data.decode("gb18030")  # the trap: these bytes are also valid GB18030
    text, enc = decode_page(data)
    assert enc == "big5" and "臺灣地區今年經濟成長率" in text


# --- publication dates: markup, the byline under the headline, numeric dates, the address, document dates ---


def _soup(html: str):  # type: ignore[no-untyped-def]
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "html.parser")


def test_markup_dates_published_not_modified() -> None:
    ld = ('<script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"NewsArticle",'
          '"dateModified":"2023-05-02T10:00:00+08:00","datePublished":"2023-04-30T09:00:00+08:00"}]}</script>')
    assert markup_date(_soup(f"<head>{ld}</head>")) == ("2023-04-30", "json-ld:datePublished")
    assert markup_date(_soup("<meta property='article:modified_time' content='2023-05-02'>")) == (None, None)
    both = "<meta name='date' content='2023-06-01'><meta name='PubDate' content='2023-05-31 08:00:00'>"
    assert markup_date(_soup(both)) == ("2023-05-31", "meta:pubdate")  # the specific tag over the generic one
    assert markup_date(_soup("<p>刊于<time pubdate datetime='2019-12-24'>平安夜</time></p>")) == ("2019-12-24", "time:pubdate")
    assert markup_date(_soup("<span itemprop='datePublished' content='2018-03-04'>三月四日</span>")) == (
        "2018-03-04", "itemprop:datePublished")
    assert markup_date(_soup("<meta name='pubdate' content='不详'>")) == (None, None)
    related = "<ul><li><a href='/b'>另一篇</a><span itemprop='datePublished'>2019-01-01</span></li></ul>"
    assert markup_date(_soup(related + "<time pubdate datetime='2019-12-24'>12月24日</time>")) == (
        "2019-12-24", "time:pubdate")  # not the related article's date


def test_parse_markup_date_formats() -> None:
    assert parse_markup_date("2022-02-06T12:48:06+00:00") == "2022-02-06"
    assert parse_markup_date("20220128") == "2022-01-28"
    assert parse_markup_date("2022/1/8 9:00") == "2022-01-08"
    assert parse_markup_date("2022年01月28日") == "2022-01-28"
    assert parse_markup_date("Mon, 07 Feb 2022 12:48:06 GMT") == "2022-02-07"
    assert parse_markup_date("1644206400") == "2022-02-07"  # a Unix timestamp, read in China time
    assert parse_markup_date("2022-13-01") is None and parse_markup_date("2999-01-01") is None


def test_url_date_patterns() -> None:
    assert url_date("http://news.example.cn/2005-09/11/content_12345.htm") == "2005-09-11"
    assert url_date("https://example.com/archive/2005/09/07/543698.aspx") == "2005-09-07"
    assert url_date("http://paper.example.cn/n1/2023/0110/c1008-32603569.html") == "2023-01-10"
    assert url_date("http://www.example.gov.cn/zwgk/202201/t20220128_8389416.html") == "2022-01-28"
    assert url_date("http://blog.example.com/archives.php?date=200506&id=1854") is None  # no day, and a query
    assert url_date("http://blog.example.com/2756656.html") is None
    assert url_date("http://example.com/20051399/x.html") is None and url_date(None) is None


def test_byline_under_the_headline_beats_a_date_elsewhere_on_the_page() -> None:
    html = ("<html><head><title>某地举行春季运动会 - 某某网</title></head><body>"
            "<div class='side'><span class='date'>2024-03-06 08:00</span> 网站公告</div>"
            "<h1>某地举行春季运动会</h1><div>发布时间：2024年03月05日 | 来源：某某日报</div>"
            + "".join(f"<p>{s}</p>" for s in BODY) + "</body></html>")
    p = extract(html.encode("utf-8"))
    assert p.date == "2024-03-05" and p.found["date"] == "dateline:title"


def test_byline_skips_a_related_content_line_under_the_headline() -> None:
    lines = ["某篇技术文章的标题", "相关推荐文章于 2024-05-07 22:12:13 发布", "作者某某", "于 2024-05-06 15:47:53 发布", "正文。"]
    assert title_dateline(lines, ["某篇技术文章的标题"]) == "2024-05-06"
    assert title_dateline(lines, ["不在页面上的标题"]) is None


def test_numeric_dates_only_where_the_order_is_certain() -> None:
    assert find_dateline(["作者：", "来源：", "发布日期：", "9/17/2004 5:54:13 AM"]) == "2004-09-17"
    assert find_dateline(["发布日期： 7/5/2005 9:23:57 PM"]) == "2005-07-05"  # 12-hour clock: month first
    assert find_dateline(["发布日期： 17/09/2004"]) == "2004-09-17"  # 17 cannot be a month: day first
    assert find_dateline(["发表时间：", "06/02/2022 - 13:48"]) is None  # 6 Feb or 2 Jun: not guessed


def test_official_document_date_over_the_posting_date() -> None:
    lines = ["索引号：1234/2022-00001", "成文日期：", "2022年03月01日", "发文字号：某政发〔2022〕1号", "发布日期：", "2022年03月03日"]
    assert document_date(lines) == "2022-03-01"
    assert document_date(["发布日期：2022年03月03日"]) is None
    html = ("<html><head><meta name='PubDate' content='2022-03-03 00:00:00'><title>某市人民政府关于某事的通知</title></head><body>"
            "<table><tr><td>成文日期：</td><td>2022年03月01日</td><td>发布日期：</td><td>2022年03月03日</td></tr></table>"
            "<h1>某市人民政府关于某事的通知</h1>" + "".join(f"<p>{s}</p>" for s in BODY) + "</body></html>")
    p = extract(html.encode("utf-8"))
    assert p.date == "2022-03-01" and p.found["date"] == "document-date"


def test_recommended_reading_ends_the_article() -> None:
    text = "\n".join([*BODY, "推荐阅读：某地交警开展电动车专项整治", "猜你喜欢"])
    kept = clean_text(text)
    assert BODY[-1] in kept and "推荐阅读" not in kept and "专项整治" not in kept


def test_a_date_labelled_as_something_else_is_not_the_posting_date() -> None:
    thread = ["求助：周末去哪里爬山好", "楼主 某网友", "注册时间：2004-3-2", "最后登录 2005-8-20 09:00", "帖子 120",
              "发表于 2005-8-22 10:23", "大家周末一般去哪里爬山？"]
    assert title_dateline(thread, ["求助：周末去哪里爬山好"]) == "2005-08-22"
    assert find_dateline(["某网友", "注册时间：2004-3-2", "正文。"]) is None
    assert find_dateline(["报名截止日期：2024年5月1日", "发布时间：2024年4月2日"]) == "2024-04-02"


def test_headline_in_title() -> None:
    assert headline_in_title("某地举行春季运动会 - 某某新闻网", ["某地举行春季运动会"]) == "某地举行春季运动会"
    assert headline_in_title("读书频道 | 新书推荐：春天的故事", ["网站导航", "新书推荐：春天的故事"]) == "新书推荐：春天的故事"
    assert headline_in_title("某地举行春季运动会", ["某地举行春季运动会"]) is None  # already the headline
    assert headline_in_title("春天的故事（上）", ["春天的故事"]) is None  # a part of a longer headline, not a site name
    html = ("<html><head><meta property='og:title' content='某地举行春季运动会 - 某某网'><title>某地举行春季运动会_某某网</title>"
            "</head><body><h1>某地举行春季运动会</h1>"
            + "".join(f"<p>{s}</p>" for s in BODY) + "</body></html>")
    p = extract(html.encode("utf-8"))
    assert p.title == "某地举行春季运动会" and p.found["title"].endswith("+h1")
