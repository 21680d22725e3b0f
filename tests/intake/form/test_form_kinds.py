"""The intake form, kind by kind: from the call's case to a saved, classified case with its history."""

from decimal import Decimal
from html.parser import HTMLParser

import pytest

from hotline.extensions import db
from hotline.models import Channel, ClockState, IdentityLevel, Role, Ticket, TicketKind, TicketStatus
from tests.intake.form.helpers import CALLER, COMPLAINT, accept_clocks, field_events, post_form


class Inputs(HTMLParser):
    """The values of a page's form fields, by name (selected option for selects)."""

    def __init__(self):
        super().__init__()
        self.values, self._select, self._textarea = {}, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name"):
            if a.get("type") == "checkbox":
                self.values[a["name"]] = "checked" in a
            else:
                self.values[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.values[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag == "textarea" and self._textarea:
            # Browsers drop one newline right after <textarea>, as WTForms writes it.
            self.values[self._textarea] = self.values[self._textarea].removeprefix("\r\n").removeprefix("\n")
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def inputs(response):
    parser = Inputs()
    parser.feed(response.get_data(as_text=True))
    return parser.values


def test_form_opens_prefilled_from_the_call(client, operator, call_ticket, create_ticket):
    earlier = create_ticket(phone=CALLER, respondent_name="旧案商家")
    ticket = call_ticket(operator)
    ticket.caller.name, ticket.caller.address = "李四", "上海市黄浦区"
    db.session.commit()
    response = client.get(f"/intake/tickets/{ticket.number}")
    assert response.status_code == 200
    values = inputs(response)
    # The calling number is there, masked: the full number is an audited reveal (issue 13).
    assert values["complainant_phone"] == "138****8000"
    assert "13800138000" not in response.get_data(as_text=True)
    assert values["complainant_name"] == "李四"
    assert values["complainant_address"] == "上海市黄浦区"
    assert values["version"] == str(ticket.version)
    page = response.get_data(as_text=True)
    assert earlier.number in page and "旧案商家" in page  # the caller's earlier cases beside the form


def test_sms_case_starts_with_the_message_as_facts_and_a_suggestion(client, operator, call_ticket):
    ticket = call_ticket(channel=Channel.SMS, sms="我要投诉，网购的手机是假货，商家不退款")
    response = client.get(f"/intake/tickets/{ticket.number}")
    assert inputs(response)["facts"] == "我要投诉，网购的手机是假货，商家不退款"
    assert 'data-testid="suggestion"' in response.get_data(as_text=True)


def test_complaint_saved_with_history_clock_and_wrapup(client, operator, call_ticket):
    ticket = call_ticket(operator)
    response = post_form(client, ticket, **COMPLAINT)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/tickets/{ticket.number}")
    db.session.expire_all()
    saved = db.session.get(Ticket, ticket.id)
    assert saved.kind == TicketKind.COMPLAINT and saved.status == TicketStatus.NEW
    assert saved.complainant_phone == CALLER and saved.identity_level == IdentityLevel.CALLER_ID
    assert saved.amount == Decimal("3299.00") and saved.purchase_date.isoformat() == "2025-05-01"
    assert saved.category.code == "G01" and saved.problem_type.code == "P01"
    assert saved.caller.name == "张三"  # known next time they call
    changes = field_events(saved)
    assert changes["kind"] == ("unknown", "complaint")
    assert changes["respondent_name"] == (None, "某某电器商城")
    assert changes["demand"] == (None, "退货退款")
    assert all(e.actor_id == operator.id for e in saved.events if e.type == "field")
    clocks = accept_clocks(saved)
    assert len(clocks) == 1 and clocks[0].started_at == saved.created_at
    call = saved.contacts.first()
    assert call.wrapup_ended_at is not None and call.wrapup_ended_at >= call.ended_at
    page = client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    assert "某某电器商城" in page and "退货退款" in page


def reload(ticket):
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


def kept_but_missing(client, response):
    """A save kept incomplete: back on the form, whose notice names what acceptance still needs."""
    assert response.status_code == 302 and "/intake/tickets/" in response.headers["Location"]
    page = client.get(response.headers["Location"], headers={"Accept-Language": "en"}).get_data(as_text=True)
    return page.split("Still needed before it can be accepted:", 1)[1].split("</p>", 1)[0]


def test_complaint_missing_fields_kept_and_named(client, operator, call_ticket):
    ticket = call_ticket(operator)
    data = dict(COMPLAINT, complainant_address="", respondent_address="", demand="  ")
    missing = kept_but_missing(client, post_form(client, ticket, **data))
    for label in ("Complainant address", "Respondent address", "Demand"):
        assert label in missing
    assert "Facts" not in missing
    db.session.expire_all()
    saved = db.session.get(Ticket, ticket.id)
    assert saved.kind == TicketKind.COMPLAINT and saved.facts == COMPLAINT["facts"]  # kept, not thrown away
    assert saved.status == TicketStatus.NEW  # not accepted


def test_kind_need_not_be_chosen_to_keep_notes_but_must_be_a_kind(client, operator, call_ticket):
    ticket = call_ticket(operator)
    assert post_form(client, ticket, **dict(COMPLAINT, kind="")).status_code == 302
    response = post_form(client, ticket, **dict(COMPLAINT, kind="lawsuit"))
    assert response.status_code == 400
    assert "Choose the kind of case." in response.get_data(as_text=True)


def test_consultation_answered_and_closed_on_the_spot(client, operator, call_ticket):
    ticket = call_ticket(operator)
    response = post_form(client, ticket, kind="consultation", facts="七天无理由退货包括定制商品吗？",
                         answer="定制商品不适用七天无理由退货。", category="S03", respondent_name="不该保存")
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Ticket, ticket.id)
    assert saved.kind == TicketKind.CONSULTATION and saved.status == TicketStatus.ANSWERED
    assert saved.answer == "定制商品不适用七天无理由退货。" and saved.closed_at is not None
    assert saved.respondent_name is None  # a consultation keeps only what it needs
    assert [(e.from_value, e.to_value) for e in saved.events if e.type == "status"] == [("new", "answered")]
    assert not accept_clocks(saved)
    assert saved.contacts.first().wrapup_ended_at is not None


def test_consultation_needs_the_answer(client, operator, call_ticket):
    ticket = call_ticket(operator)
    response = post_form(client, ticket, kind="consultation", facts="怎么退货？")
    assert response.status_code == 400
    assert "Answer given to the caller" in response.get_data(as_text=True).split('data-testid="missing"', 1)[1]


def test_complaint_and_report_split_into_two_linked_cases(client, operator, call_ticket):
    ticket = call_ticket(operator)
    response = post_form(client, ticket, **dict(COMPLAINT, kind="mixed", confidential="y",
                                                report_facts="该商城销售无3C认证的电器。"))
    assert response.status_code == 302
    db.session.expire_all()
    complaint = db.session.get(Ticket, ticket.id)
    report = complaint.linked_ticket
    assert complaint.kind == TicketKind.COMPLAINT and report.kind == TicketKind.REPORT
    assert report.linked_ticket_id == complaint.id
    assert report.caller_id == complaint.caller_id and report.complainant_name == "张三"
    assert report.facts == "该商城销售无3C认证的电器。" and complaint.facts == COMPLAINT["facts"]
    assert report.respondent_name == complaint.respondent_name and report.confidential
    assert [e.to_value for e in complaint.events if e.type == "split"] == [report.number]
    assert [e.to_value for e in report.events if e.type == "split"] == [complaint.number]
    assert len(accept_clocks(complaint)) == 1 and len(accept_clocks(report)) == 1
    page = client.get(f"/tickets/{complaint.number}").get_data(as_text=True)
    assert report.number in page  # the linked case is one click away


def test_a_split_case_cannot_be_split_again(client, operator, call_ticket):
    ticket = call_ticket(operator)
    post_form(client, ticket, **dict(COMPLAINT, kind="mixed", report_facts="无证经营"))
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    response = post_form(client, ticket, **dict(COMPLAINT, kind="mixed", report_facts="无证经营", confirm="y"))
    assert response.status_code == 400
    assert "already split" in response.get_data(as_text=True)
    assert db.session.query(Ticket).count() == 2


def test_anonymous_report_keeps_no_identity(client, operator, call_ticket):
    ticket = call_ticket(operator)
    response = post_form(client, ticket, kind="report", anonymous="y", complainant_name="不该保存",
                         complainant_phone="13900139000", id_number="11010519491231002X",
                         respondent_name="某黑作坊", facts="在居民楼里生产食品，无证经营。")
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Ticket, ticket.id)
    assert saved.kind == TicketKind.REPORT and saved.anonymous
    assert (saved.complainant_name, saved.complainant_phone, saved.id_number_hash) == (None, None, None)
    assert saved.identity_level == IdentityLevel.NONE
    assert len(accept_clocks(saved)) == 1


def test_named_report_needs_name_and_phone(client, operator, call_ticket):
    ticket = call_ticket(operator)
    missing = kept_but_missing(client, post_form(client, ticket, kind="report", respondent_name="某黑作坊",
                                                 facts="无证经营。"))
    assert "Complainant name" in missing
    assert "Complainant phone" not in missing  # the calling number reaches the reporter


def test_another_phone_than_the_calling_number_is_not_verified(client, operator, call_ticket):
    ticket = call_ticket(operator)
    post_form(client, ticket, **dict(COMPLAINT, complainant_phone="139 0013 9000"))
    db.session.expire_all()
    saved = db.session.get(Ticket, ticket.id)
    assert saved.complainant_phone == "+8613900139000"
    assert saved.identity_level == IdentityLevel.NONE
    assert saved.caller.name is None  # not the caller's own details


def test_telecom_complaint_asks_whether_the_operator_was_asked_first(client, operator, call_ticket):
    ticket = call_ticket(operator)
    data = dict(COMPLAINT, category_group="services", category="S04")
    missing = kept_but_missing(client, post_form(client, ticket, **data))
    assert "Did you complain to the operator first?" in missing
    response = post_form(client, reload(ticket), **data, q_operator_first="yes", q_operator_first_date="2025-04-01")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/tickets/{ticket.number}")
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).answers == {"operator_first": "yes", "operator_first_date": "2025-04-01"}


def test_category_must_match_its_group(client, operator, call_ticket):
    ticket = call_ticket(operator)
    response = post_form(client, ticket, **dict(COMPLAINT, category_group="services", category="G01"))
    assert response.status_code == 400
    assert "does not belong to the chosen group" in response.get_data(as_text=True)


def test_bad_amount_and_future_date_explained(client, operator, call_ticket):
    ticket = call_ticket(operator)
    response = post_form(client, ticket, **dict(COMPLAINT, amount="-5", purchase_date="2999-01-01"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "0 or more" in page and "cannot be in the future" in page
    response = post_form(client, ticket, **dict(COMPLAINT, amount="三百", purchase_date="2025/05/41"))
    page = response.get_data(as_text=True)
    assert "0 or more" in page and "YYYY-MM-DD" in page


@pytest.mark.parametrize("typed", ["2025-05-01", "2025年05月01日", "2025-5-1", "2025/5/1", "2025.05.01", "2025年5月1日", "20250501",
                                   "２０２５年５月１日", "２０２５－０５－０１"])
def test_a_purchase_date_is_taken_as_the_operator_types_it(client, operator, call_ticket, typed):
    """A text box, not the browser's date box (which reads mm/dd/yyyy on a Chinese page in an
    English browser): the ways people write a date, from a Chinese input method too."""
    ticket = call_ticket(operator)
    assert post_form(client, ticket, **dict(COMPLAINT, purchase_date=typed)).status_code == 302
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).purchase_date.isoformat() == "2025-05-01"
    assert 'type="date"' not in client.get(f"/intake/tickets/{ticket.number}").get_data(as_text=True)


def test_only_intake_roles_open_the_form(client, intake_world, make_user, login, call_ticket):
    ticket = call_ticket()
    for role in (Role.DEPARTMENT, Role.ADMIN):
        login(make_user(role=role))
        assert client.get(f"/intake/tickets/{ticket.number}").status_code == 403
    login(make_user(role=Role.SUPERVISOR))
    assert client.get(f"/intake/tickets/{ticket.number}").status_code == 200
    assert client.get("/intake/tickets/20990101-00001").status_code == 404


def test_ticket_page_offers_the_form(client, operator, call_ticket):
    ticket = call_ticket(operator)
    page = client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    assert f'href="/intake/tickets/{ticket.number}"' in page and "Intake form" in page
    post_form(client, ticket, **COMPLAINT)
    page = client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    assert "Edit case" in page


def test_reclassified_consultation_cancels_the_accept_clock(client, operator, call_ticket):
    ticket = call_ticket(operator)
    post_form(client, ticket, **COMPLAINT)
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    response = post_form(client, ticket, kind="consultation", facts="其实只是咨询", answer="已解答", confirm="y")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status == TicketStatus.ANSWERED
    assert [c.state for c in accept_clocks(ticket)] == [ClockState.CANCELLED]


def test_category_questions_are_data_a_supervisor_can_change(client, operator, call_ticket):
    from hotline.models import Category
    from hotline.questions import seed_category_questions

    assert seed_category_questions() >= 1
    telecom = db.session.query(Category).filter_by(code="S04").one()
    assert [q["code"] for q in telecom.questions] == ["operator_first", "operator_first_date"]
    telecom.questions = [{"code": "contract_no", "zh": "合同编号？", "en": "Contract number?", "type": "text",
                          "required": True}]
    db.session.commit()
    seed_category_questions()
    db.session.expire_all()
    telecom = db.session.query(Category).filter_by(code="S04").one()
    assert [q["code"] for q in telecom.questions] == ["contract_no"]  # an edited list is never overwritten
    ticket = call_ticket(operator)
    data = dict(COMPLAINT, category_group="services", category="S04")
    assert "Contract number?" in kept_but_missing(client, post_form(client, ticket, **data))
    assert post_form(client, reload(ticket), **data, q_contract_no="HT-2025-001").status_code == 302
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).answers == {"contract_no": "HT-2025-001"}
