"""Where the business is: the intake form derives the respondent's division from its address,
the operator may correct it from the division list, and an online purchase needs platform and
shop or order number rather than a street address (and then goes by the platform's division)."""

from hotline.extensions import db
from hotline.models import Department, TicketStatus
from intake.decisions import accept_ticket, missing_fields
from routing import services as routing
from tests.intake.form.helpers import COMPLAINT, post_form
from tests.intake.form.test_form_kinds import inputs

ONLINE = {**{k: v for k, v in COMPLAINT.items() if k not in ("respondent_address", "respondent_region")},
          "respondent_name": "某电器旗舰店", "online": "y", "platform": "京东", "seller": "某电器旗舰店"}


def test_the_address_gives_the_division_and_the_form_shows_it_chosen(app, client, operator, call_ticket):
    app.config["HOME_DIVISION"] = "110000"
    ticket = call_ticket(operator)
    assert post_form(client, ticket, **COMPLAINT).status_code == 302
    db.session.refresh(ticket)
    assert (ticket.respondent_division, ticket.respondent_region) == ("110105", "北京市朝阳区")
    shown = inputs(client.get(f"/intake/tickets/{ticket.number}"))
    assert (shown["respondent_province"], shown["respondent_city"], shown["respondent_district"]) == (
        "110000", "110100", "110105")


def test_the_operators_correction_stands_and_a_new_address_moves_an_uncorrected_one(client, operator, call_ticket):
    ticket = call_ticket(operator)
    corrected = {**COMPLAINT, "respondent_province": "110000", "respondent_city": "110100",
                 "respondent_district": "110108", "division_manual": "1"}
    post_form(client, ticket, **corrected)
    db.session.refresh(ticket)
    assert ticket.respondent_division == "110108"  # the address says 朝阳区; the operator knows better
    moved = {**COMPLAINT, "respondent_address": "上海市浦东新区张江路88号", "respondent_province": "110000",
             "respondent_city": "110100", "respondent_district": "110108", "confirm": "1"}
    assert post_form(client, ticket, **moved).status_code == 302
    db.session.refresh(ticket)
    assert (ticket.respondent_division, ticket.respondent_region) == ("310115", "上海市浦东新区")


def test_a_division_off_the_list_is_refused_and_nothing_is_saved(client, operator, call_ticket):
    ticket = call_ticket(operator)
    bad = {**COMPLAINT, "respondent_province": "110000", "respondent_city": "110100",
           "respondent_district": "310115", "division_manual": "1"}
    response = post_form(client, ticket, **bad)
    assert response.status_code == 400 and "Not a division on the list" in response.get_data(as_text=True)
    db.session.refresh(ticket)
    assert ticket.facts is None and ticket.respondent_division is None


def test_an_online_purchase_needs_no_street_address_and_goes_by_its_platform(client, operator, call_ticket, app):
    ticket = call_ticket(operator)
    assert post_form(client, ticket, **ONLINE).status_code == 302
    db.session.refresh(ticket)
    assert ticket.respondent_address is None and ticket.platform == "京东" and missing_fields(ticket) == []
    daxing = Department(code="MS12", name="大兴市场监管所")
    db.session.add(daxing)
    db.session.flush()
    routing.create_rule({"name": "北京大兴", "division": "110115", "department_id": daxing.id}, None, "test")
    accept_ticket(ticket, operator)
    db.session.commit()
    assert (ticket.status, ticket.department_id) == (TicketStatus.FORWARDED, daxing.id)  # 京东 is in 大兴区


def test_an_order_number_stands_in_for_the_shop(client, operator, call_ticket):
    ticket = call_ticket(operator)
    response = post_form(client, ticket, **{**ONLINE, "seller": "", "order_number": "JD-20261201-1"})
    assert response.status_code == 302


def test_online_ticked_without_platform_shop_or_order_still_needs_where_the_business_is(client, operator, call_ticket):
    ticket = call_ticket(operator)
    response = post_form(client, ticket, **{**ONLINE, "platform": "", "seller": "", "order_number": "",
                                            "online": "y"})
    assert response.status_code == 302  # kept, and told what acceptance still needs
    text = client.get(response.headers["Location"], headers={"Accept-Language": "en"}).get_data(as_text=True)
    missing = text.split("Still needed before it can be accepted:", 1)[1].split("</p>", 1)[0]
    # "Online" ticked but nothing traced: where the business is, by street or by platform and shop.
    assert "Respondent address" in missing


def test_a_street_address_is_still_needed_when_nothing_says_online(client, operator, call_ticket):
    ticket = call_ticket(operator)
    response = post_form(client, ticket, **{k: v for k, v in COMPLAINT.items() if k != "respondent_address"})
    assert response.status_code == 302
    text = client.get(response.headers["Location"], headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Respondent address" in text.split("Still needed before it can be accepted:", 1)[1]
