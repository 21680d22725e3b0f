from hotline.extensions import db
from hotline.search import TicketFilter, filter_tickets, parse_query


def numbers(stmt):
    return {t.number for t in db.session.scalars(stmt)}


def test_one_box_reads_case_numbers_phones_and_words():
    assert parse_query("20261124-00042").number == "20261124-00042"
    assert parse_query("1234").phone == "1234"
    assert parse_query("138 0013 8000").phone == "138 0013 8000"
    assert parse_query("空调 不制冷").text == "空调 不制冷"
    assert parse_query("  ") == TicketFilter()


def test_search_by_phone_tail_full_number_and_words(app, create_ticket):
    a = create_ticket(phone="+8613800001234", facts="空调不制冷")
    b = create_ticket(phone="+8613900005678", facts="手机屏幕碎了")
    assert numbers(filter_tickets(parse_query("1234"))) == {a.number}
    assert numbers(filter_tickets(parse_query("13900005678"))) == {b.number}
    assert numbers(filter_tickets(parse_query("+86 139 0000 5678"))) == {b.number}
    assert numbers(filter_tickets(parse_query("不制冷"))) == {a.number}
    assert numbers(filter_tickets(parse_query(a.number))) == {a.number}


def test_like_wildcards_in_words_are_taken_literally(app, create_ticket):
    create_ticket(facts="退款100元")
    assert numbers(filter_tickets(parse_query("100%"))) == set()
