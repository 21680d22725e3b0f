"""GET /api/v1/tickets: filters, pagination, masking, a constant number of queries."""

from datetime import datetime

import pytest
from sqlalchemy import event

from hotline import tickets
from hotline.extensions import db
from hotline.models import Category, TicketKind, TicketStatus


def numbers(response):
    assert response.status_code == 200, response.json
    return [item["number"] for item in response.json["items"]]


def category(code):
    return db.session.scalar(db.select(Category).where(Category.code == code))


def test_items_are_newest_first_with_masked_phones(operator_api, create_ticket):
    old = create_ticket(phone="+8613812341234", created_at=datetime(2026, 1, 1, 2))
    new = create_ticket(phone="+8613900005678", created_at=datetime(2026, 1, 2, 2))
    body = operator_api.get("/api/v1/tickets").json
    assert [i["number"] for i in body["items"]] == [new.number, old.number]
    assert body["items"][1]["phone_masked"] == "138****1234"
    assert "13812341234" not in operator_api.get("/api/v1/tickets").get_data(as_text=True)
    assert (body["page"], body["per_page"], body["total"]) == (1, 50, 2)


def test_times_are_shown_in_the_hotlines_zone(operator_api, create_ticket):
    create_ticket(created_at=datetime(2026, 1, 4, 17, 0))
    assert operator_api.get("/api/v1/tickets").json["items"][0]["created_at"] == "2026-01-05T01:00:00+08:00"


def test_status_filter_takes_a_comma_separated_list(operator_api, create_ticket):
    new = create_ticket()
    accepted = tickets.change_status(create_ticket(), TicketStatus.ACCEPTED)
    rejected = tickets.change_status(create_ticket(), TicketStatus.REJECTED)
    db.session.commit()
    assert numbers(operator_api.get("/api/v1/tickets?status=new")) == [new.number]
    assert set(numbers(operator_api.get("/api/v1/tickets?status=accepted,rejected"))) == {
        accepted.number, rejected.number}
    assert set(numbers(operator_api.get("/api/v1/tickets?status=new&status=rejected"))) == {
        new.number, rejected.number}


def test_kind_filter(operator_api, create_ticket):
    report = create_ticket(kind=TicketKind.REPORT)
    create_ticket(kind=TicketKind.COMPLAINT)
    assert numbers(operator_api.get("/api/v1/tickets?kind=report")) == [report.number]


def test_category_filter_by_code(operator_api, create_ticket, categories):
    appliance = create_ticket(category=category("G01"))
    create_ticket(category=category("S03"))
    create_ticket()
    assert numbers(operator_api.get("/api/v1/tickets?category=G01")) == [appliance.number]
    assert operator_api.get("/api/v1/tickets?category=G01").json["items"][0]["category"] == "G01"
    assert numbers(operator_api.get("/api/v1/tickets?category=ZZZ")) == []


def test_department_filter_by_code(operator_api, create_ticket, make_department):
    d1, d2 = make_department("D01"), make_department("D02")
    first = create_ticket(department=d1)
    create_ticket(department=d2)
    body = operator_api.get("/api/v1/tickets?department=D01").json
    assert [i["number"] for i in body["items"]] == [first.number]
    assert body["items"][0]["department"] == "D01"


@pytest.mark.parametrize("query", ["1234", "13812341234", "+86 138 1234 1234", "+8613812341234"])
def test_phone_filter_takes_the_full_number_or_its_tail(operator_api, create_ticket, query):
    mine = create_ticket(phone="+8613812341234")
    create_ticket(phone="+8613900005678")
    assert numbers(operator_api.get("/api/v1/tickets", query_string={"phone": query})) == [mine.number]


def test_text_filter_finds_words_in_the_facts(operator_api, create_ticket):
    aircon = create_ticket(facts="空调不制冷，商家拒绝退货")
    create_ticket(facts="手机屏幕碎了")
    assert numbers(operator_api.get("/api/v1/tickets", query_string={"text": "不制冷"})) == [aircon.number]
    assert numbers(operator_api.get("/api/v1/tickets", query_string={"text": "100%"})) == []


def test_date_filters_read_dates_in_the_hotlines_zone(operator_api, create_ticket):
    # 2026-01-04 17:00 UTC is 2026-01-05 01:00 in Shanghai.
    late = create_ticket(created_at=datetime(2026, 1, 4, 17, 0))
    early = create_ticket(created_at=datetime(2026, 1, 4, 15, 0))  # 23:00 on the 4th, local
    get = operator_api.get
    assert numbers(get("/api/v1/tickets?created_from=2026-01-05")) == [late.number]
    assert numbers(get("/api/v1/tickets?created_to=2026-01-04")) == [early.number]
    assert numbers(get("/api/v1/tickets?created_from=2026-01-04&created_to=2026-01-05")) == [
        late.number, early.number]
    # A datetime without an offset is local; with one it is taken as given; created_to excludes.
    assert numbers(get("/api/v1/tickets?created_from=2026-01-05T00:30:00")) == [late.number]
    assert numbers(get("/api/v1/tickets", query_string={"created_from": "2026-01-04T16:00:00Z"})) == [late.number]
    assert numbers(get("/api/v1/tickets", query_string={"created_to": "2026-01-05T01:00:00+08:00"})) == [
        early.number]


def test_pagination(operator_api, create_ticket):
    made = [create_ticket(created_at=datetime(2026, 1, 1, hour)).number for hour in range(5)]
    newest_first = made[::-1]
    pages = [operator_api.get(f"/api/v1/tickets?per_page=2&page={p}").json for p in (1, 2, 3, 4)]
    assert [[i["number"] for i in page["items"]] for page in pages] == [
        newest_first[:2], newest_first[2:4], newest_first[4:], []]
    assert {page["total"] for page in pages} == {5}
    assert pages[1]["page"] == 2 and pages[1]["per_page"] == 2


def test_filters_combine(operator_api, create_ticket):
    hit = create_ticket(kind=TicketKind.REPORT, facts="假冒 商品", phone="+8613812341234")
    create_ticket(kind=TicketKind.COMPLAINT, facts="假冒 商品", phone="+8613812341234")
    create_ticket(kind=TicketKind.REPORT, facts="假冒 商品", phone="+8613900005678")
    query = {"kind": "report", "text": "假冒", "phone": "1234", "status": "new"}
    assert numbers(operator_api.get("/api/v1/tickets", query_string=query)) == [hit.number]


@pytest.mark.parametrize(
    ("query", "bad"),
    [
        ({"page": "0"}, {"page"}),
        ({"page": "-1"}, {"page"}),
        ({"page": "abc"}, {"page"}),
        ({"page": "9" * 5000}, {"page"}),
        ({"page": "1e3"}, {"page"}),
        ({"per_page": "0"}, {"per_page"}),
        ({"per_page": "201"}, {"per_page"}),
        ({"status": "new,bogus"}, {"status"}),
        ({"status": ","}, {"status"}),
        ({"kind": "complaints"}, {"kind"}),
        ({"created_from": "yesterday"}, {"created_from"}),
        ({"created_to": "2026-13-01"}, {"created_to"}),
        ({"created_to": "9999-12-31"}, {"created_to"}),
        ({"created_from": "0001-01-01T00:00:00"}, {"created_from"}),
        ({"phone": "abc"}, {"phone"}),
        ({"phone": "12"}, {"phone"}),
        ({"text": "a\x00b"}, {"text"}),
        ({"text": "x" * 100_000}, {"text"}),
        ({"category": "G\x0001"}, {"category"}),
        ({"page": "0", "per_page": "500", "kind": "x", "status": "y", "created_from": "z"},
         {"page", "per_page", "kind", "status", "created_from"}),
    ],
)
def test_bad_query_parameters_are_422_naming_each(operator_api, create_ticket, query, bad):
    create_ticket()
    response = operator_api.get("/api/v1/tickets", query_string=query)
    assert response.status_code == 422
    assert response.json["error"] == "validation failed"
    assert set(response.json["fields"]) == bad


def test_listing_costs_the_same_queries_for_3_or_30_tickets(app, operator_api, create_ticket, make_department,
                                                             categories):
    dept = make_department()

    def queries_for_listing():
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert operator_api.get("/api/v1/tickets?per_page=100").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    def add(first, last):
        for i in range(first, last):
            create_ticket(phone=f"+86138000000{i:02d}", department=dept, category=category(f"G0{i % 9 + 1}"),
                          problem_type=category(f"P0{i % 9 + 1}"))

    add(0, 3)
    queries_for_listing()  # the token's first use also records it (at most every 10 minutes)
    db.session.commit()
    few = queries_for_listing()
    add(3, 30)
    assert queries_for_listing() == few


def test_the_total_is_counted_up_to_a_cap_and_says_when_more_match(operator_api, create_ticket, monkeypatch):
    from hotline.api import services

    monkeypatch.setattr(services, "COUNT_CAP", 3)
    for _ in range(5):
        create_ticket()
    body = operator_api.get("/api/v1/tickets?per_page=2").json
    assert (body["total"], body["total_capped"], len(body["items"])) == (3, True, 2)
    assert operator_api.get("/api/v1/tickets?per_page=2&page=3").json["total_capped"] is True
