"""The knowledge report (/reports/knowledge): answers per article in the period only, the
consultations answered without an article grouped by wording, the articles to act on; the page in
both languages, its CSV equal to it, the reports' roles, a mistyped period refused in words."""

import csv
import io
import re
from datetime import date, datetime

import pytest
from freezegun import freeze_time

from hotline import tickets
from hotline.extensions import db
from hotline.knowledge import figures, services
from hotline.models import Category, CategoryGroup, Role, TicketKind, TicketStatus
from hotline.timeutil import clock_at, local_to_utc
from tests.core.test_no_raw_codes import _enum_values, raw_words, visible_text

TODAY = datetime(2026, 11, 10, 2, 0)  # 10:00 on 10 November in Beijing
PERIOD = "start=2026-11-02&end=2026-11-08"
EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh"}


def _at(*parts):
    return local_to_utc(datetime(*parts), "Asia/Shanghai")


def _article(slug, title, reviewer, category=None, **content):
    article, version = services.create_article(
        slug, services.Content(title=title, short_answer="可以。", category_code=category, **content), reviewer)
    services.publish(version, reviewer, today=date(2026, 6, 1))  # review due 2027-06 unless set below
    return article


def _consultation(create_ticket, facts, closed, status=TicketStatus.ANSWERED, kind=TicketKind.CONSULTATION):
    with clock_at(closed):
        ticket = create_ticket(kind=kind, facts=facts)
        tickets.change_status(ticket, status)
        db.session.commit()
    return ticket


def _use(article, user, ticket, moment, texted=False):
    with clock_at(moment):
        services.record_use(article, user, ticket, texted=texted)
    db.session.commit()


@pytest.fixture
def world(app, make_user, create_ticket):
    """Three articles, answers given with two of them inside and outside the period, four
    consultations answered without an article, and articles due for each kind of attention."""
    with freeze_time(TODAY):
        db.session.add(Category(group=CategoryGroup.SERVICES, code="S-TEST-FIT", name_zh="健身服务",
                                name_en="Fitness services"))
        boss = make_user(Role.SUPERVISOR, username="kb-boss")
        op = make_user(Role.OPERATOR, username="kb-op")
        cards = _article("prepaid", "预付卡退费", boss, "S-TEST-FIT")
        seven = _article("seven-day", "七日无理由退货", boss)
        quiet = _article("quiet", "没人问的条目", boss)
        answered = _consultation(create_ticket, "预付卡能退吗", _at(2026, 11, 3, 9))
        _use(cards, op, answered, _at(2026, 11, 3, 9, 5), texted=True)
        _use(cards, op, None, _at(2026, 11, 8, 23, 30))  # the last evening of the period, local time
        _use(seven, op, None, _at(2026, 11, 2, 0, 10))  # the first minutes of the period
        _use(cards, op, None, _at(2026, 11, 1, 23, 50))  # the evening before: outside
        _use(seven, op, None, _at(2026, 11, 9, 0, 5))  # the morning after: outside
        gym1 = _consultation(create_ticket, "健身房突然关门了，办的预付卡里的钱怎么退", _at(2026, 11, 4, 10))
        gym2 = _consultation(create_ticket, "办了健身房的预付卡，老板跑路了，卡里的钱能退吗", _at(2026, 11, 6, 15))
        parcel = _consultation(create_ticket, "快递寄丢了，快递公司只肯按运费赔怎么办", _at(2026, 11, 5, 11))
        # Not gaps: closed before the period, referred elsewhere, a complaint.
        _consultation(create_ticket, "健身房关门预付卡怎么退", _at(2026, 10, 30, 10))
        _consultation(create_ticket, "健身房预付卡关门了怎么退", _at(2026, 11, 4, 11), status=TicketStatus.REFERRED)
        _consultation(create_ticket, "健身房预付卡退不了", _at(2026, 11, 4, 12), status=TicketStatus.ACCEPTED,
                      kind=TicketKind.COMPLAINT)
        # Attention, as of 10 November.
        for slug, title, fields in [
            ("old-review", "该复核的条目", {"review_due": date(2026, 11, 1)}),
            ("expired", "已失效的条目", {"valid_until": date(2026, 10, 31)}),
            ("expiring", "快失效的条目", {"valid_until": date(2026, 12, 5)}),
            ("later", "明年才生效的条目", {"valid_from": date(2027, 1, 1)}),
            ("far", "远未失效的条目", {"valid_until": date(2027, 6, 1)}),
        ]:
            article = _article(slug, title, boss)
            for name, value in fields.items():
                setattr(article, name, value)
        db.session.commit()
        yield {"boss": boss, "op": op, "cards": cards, "seven": seven, "quiet": quiet,
               "gym": [gym2.number, gym1.number], "parcel": parcel.number, "answered": answered.number}


def _page(client, world, headers=EN, query=PERIOD):
    with freeze_time(TODAY):
        return client.get(f"/reports/knowledge?{query}", headers=headers)


def _signed_in(login, world):
    login(world["boss"])


def _csv(response):
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for Chinese
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_uses_are_counted_per_article_in_the_period_only(app, world):
    first, after = _at(2026, 11, 2), _at(2026, 11, 9)
    rows = {r.article.slug: (r.uses, r.texted) for r in figures.uses_per_article(first, after)}
    assert rows == {"prepaid": (2, 1), "seven-day": (1, 0)}


def test_gaps_group_two_wordings_of_one_question_and_keep_another_apart(app, world):
    found = figures.gaps(_at(2026, 11, 2), _at(2026, 11, 9))
    assert (found.total, found.capped) == (3, False)
    groups = [g.numbers for g in found.groups]
    assert groups == [world["gym"], [world["parcel"]]]
    assert found.groups[0].representative.question.startswith("办了健身房")  # the newest


def test_gaps_say_when_they_are_capped(app, world):
    found = figures.gaps(_at(2026, 11, 2), _at(2026, 11, 9), limit=2)
    assert (found.total, found.capped) == (2, True)
    newest_two = sorted([world["gym"][0], world["parcel"]])  # closed on the 6th and the 5th
    assert sorted(n for g in found.groups for n in g.numbers) == newest_two


def test_attention_lists_what_to_do_as_of_today(app, world):
    items = {(a.article.slug, a.reason) for a in figures.attention(date(2026, 11, 10))}
    assert items == {("old-review", "review"), ("expired", "expired"), ("expiring", "expiring"),
                     ("later", "not_yet_valid")}


def test_the_page_shows_the_figures_in_english(client, login, world):
    _signed_in(login, world)
    response = _page(client, world)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    prepaid = re.search(r'data-article="prepaid">(.*?)</tr>', page, re.S).group(1)
    assert "Fitness services" in prepaid and 'data-col="uses">2<' in prepaid and 'data-col="texted">1<' in prepaid
    assert "2026-11-09 07:30" not in prepaid and "2026-11-08 23:30" in prepaid  # local time
    assert "没人问的条目" not in re.search(r'id="uses-table">(.*?)</table>', page, re.S).group(1)
    assert re.findall(r'data-col="count">(\d+)<', page) == ["2", "1"]
    assert 'data-testid="total-uses">Answers given with an article: 3<' in page
    assert "Consultations answered without an article: 3<" in page
    assert page.count('data-testid="attention-row"') == 4
    assert "renew it with a new version" in page and 'data-testid="gaps-capped"' not in page
    # Three lists over the period and no series over time: no "group by" that would change nothing.
    assert 'id="range-group"' not in page and "by day" not in page
    assert 'id="range-group"' in client.get("/reports/cases", headers=EN).get_data(as_text=True)
    assert "Knowledge base" in client.get("/reports/", headers=EN).get_data(as_text=True)


def test_the_page_is_chinese_without_codes_or_english(client, login, world):
    _signed_in(login, world)
    client.post("/lang/zh")
    page = _page(client, world, ZH).get_data(as_text=True)
    text = visible_text(page)
    assert "健身服务" in text and "S-TEST-FIT" not in text
    # The signed-in login name in the top bar is the only Latin allowed on the screen.
    assert raw_words(text.replace(world["boss"].username, ""), _enum_values()) == []


def test_empty_states_say_what_they_mean(client, login, world):
    _signed_in(login, world)
    page = _page(client, world, query="start=2025-01-01&end=2025-01-07").get_data(as_text=True)
    assert "No answer was given with an article in this period." in page
    assert "No consultation was closed without an article in this period." in page


def test_each_csv_equals_its_table(client, login, world):
    _signed_in(login, world)
    page = _page(client, world).get_data(as_text=True)
    uses = _csv(_page(client, world, query=PERIOD + "&format=csv&table=uses"))
    assert uses[0] == ["Article", "Category", "Answers", "Of which texted", "Last used"]
    assert uses[1:] == [["预付卡退费", "Fitness services", "2", "1", "2026-11-08 23:30"],
                        ["七日无理由退货", "Not classified", "1", "0", "2026-11-02 00:10"],
                        ["Total", "", "3", "1", ""]]
    gaps = _csv(_page(client, world, query=PERIOD + "&format=csv&table=gaps"))
    assert [row[0] for row in gaps[1:]] == re.findall(r'data-col="count">(\d+)<', page)
    assert gaps[1][2].split() == world["gym"]
    attention = _csv(_page(client, world, query=PERIOD + "&format=csv&table=attention"))
    assert len(attention) - 1 == page.count('data-testid="attention-row"')
    assert attention[1][:4] == ["已失效的条目", "Not classified", "Validity ended", "2026-10-31"]
    whole = _csv(_page(client, world, query=PERIOD + "&format=csv"))
    assert whole[: len(uses)] == uses and whole[len(uses) + 1] == gaps[0]


def test_the_csv_is_chinese_on_the_chinese_screen(client, login, world):
    _signed_in(login, world)
    client.post("/lang/zh")
    rows = _csv(_page(client, world, ZH, query=PERIOD + "&format=csv&table=uses"))
    assert rows[1][1] == "健身服务" and "Article" not in rows[0]


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.DEPARTMENT, Role.ADMIN])
def test_only_supervisors_read_it_like_the_other_reports(client, login, make_user, make_department, world, role):
    department = make_department("D09", "西城所") if role == Role.DEPARTMENT else None
    login(make_user(role, department=department))
    assert _page(client, world).status_code == 403
    assert _page(client, world, query=PERIOD + "&format=csv").status_code == 403


@pytest.mark.parametrize("query", ["start=2026-13-01&end=2026-11-08", "start=2026-11-09&end=2026-11-02",
                                   "start=2024-01-01&end=2026-11-08", PERIOD + "&table=nope"])
def test_a_mistyped_period_is_refused_in_words(client, login, world, query):
    _signed_in(login, world)
    response = _page(client, world, query=query)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'data-testid="range-error"' in page and 'id="uses-table"' not in page
    if "2026-13-01" in query:
        assert 'value="2026-13-01"' in page  # what was typed is shown back
    assert _page(client, world, query=query + "&format=csv").status_code == 400
