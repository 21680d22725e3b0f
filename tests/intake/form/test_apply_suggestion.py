"""采用建议 without JavaScript (issue 15, leftovers): the suggestion's button posts the intake form,
which comes back with the suggested kind, category and problem type chosen and everything typed
kept, as the knowledge-base answers' buttons do. Nothing is saved until the operator saves."""

import re

from hotline.extensions import db
from hotline.models import Channel, Ticket, TicketKind
from tests.intake.form.helpers import form_data

FACTS = "我要投诉，网购的冰箱不制冷，商家不给退"
TYPED = {"complainant_name": "张三", "complainant_phone": "13800138000", "respondent_name": "某某电器商城",
         "facts": FACTS + "，已经联系客服三次", "demand": "退货退款", "category_group": "services"}
BUTTON = re.compile(r'<button type="submit" form="intake-form" formnovalidate name="apply_suggestion" value="([^"]*)"')


def selected(page, name):
    """The value of the option the browser shows chosen in select `name`."""
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    chosen = re.findall(r'<option[^>]*?value="([^"]*)"[^>]*\bselected\b|<option[^>]*\bselected\b[^>]*?value="([^"]*)"',
                        select)
    return [a or b for a, b in chosen]


def test_the_button_posts_the_form_back_with_the_suggestion_chosen_and_everything_typed_kept(
        client, operator, call_ticket):
    ticket = call_ticket(channel=Channel.SMS, sms=FACTS)
    form_page = client.get(f"/intake/tickets/{ticket.number}").get_data(as_text=True)
    shown = BUTTON.search(form_page).group(1)  # what the panel shows, carried by the button
    kind, category, problem = shown.split("|")
    assert kind == "complaint" and category and problem

    response = client.post(f"/intake/tickets/{ticket.number}",
                           data=form_data(ticket, kind="", apply_suggestion=shown, **TYPED))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert selected(page, "kind") == ["complaint"]
    assert selected(page, "category") == [category] and selected(page, "problem_type") == [problem]
    goods_or_services = re.search(rf'<option value="{category}" data-group="(\w+)"', page).group(1)
    assert selected(page, "category_group") == [goods_or_services]  # the group follows its category
    for value in ("张三", "某某电器商城", "已经联系客服三次", "退货退款"):
        assert value in page
    db.session.expire_all()
    unsaved = db.session.get(Ticket, ticket.id)
    assert unsaved.kind == TicketKind.UNKNOWN and unsaved.category_id is None and unsaved.respondent_name is None


def test_a_part_not_suggested_leaves_the_field_as_chosen(client, operator, call_ticket):
    ticket = call_ticket(channel=Channel.SMS, sms=FACTS)
    page = client.post(f"/intake/tickets/{ticket.number}",
                       data=form_data(ticket, kind="report", category="", problem_type="P01",
                                      apply_suggestion="||", facts=FACTS)).get_data(as_text=True)
    assert selected(page, "kind") == ["report"] and selected(page, "problem_type") == ["P01"]


def test_a_suggestion_that_no_longer_applies_is_refused_and_keeps_the_typing(client, operator, call_ticket):
    ticket = call_ticket(channel=Channel.SMS, sms=FACTS)
    for bad in ("complaint|NOPE|", "robbery||", "complaint", "complaint|G01|P01|extra"):
        response = client.post(f"/intake/tickets/{ticket.number}",
                               data=form_data(ticket, kind="", apply_suggestion=bad, **TYPED))
        assert response.status_code == 400, bad
        page = response.get_data(as_text=True)
        assert "The suggestion can no longer be applied" in page and "某某电器商城" in page
        assert selected(page, "kind") in ([], [""])
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).kind == TicketKind.UNKNOWN
