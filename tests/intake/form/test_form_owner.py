"""Who owns a case nobody answered (an SMS): the first operator or supervisor who saves its intake
form, or refers the caller elsewhere from it, so the case page names its 接线员. An owner is never
replaced by a later save or referral."""

from hotline.extensions import db
from hotline.models import Channel, Role, Ticket, TicketStatus
from routing import referrals
from tests.intake.form.conftest import english
from tests.intake.form.helpers import COMPLAINT, field_events, form_data, post_form

CARRIER = "中国移动话费多扣了50元，营业厅不处理。"


def reload(ticket):
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


def test_the_first_form_save_of_a_texted_case_makes_the_operator_its_owner(client, operator, call_ticket):
    ticket = call_ticket(channel=Channel.SMS, sms="买的冰箱不制冷，商家不给退")
    assert ticket.assigned_to_id is None
    assert post_form(client, ticket, kind="complaint", facts="冰箱不制冷").status_code == 302
    assert reload(ticket).assigned_to_id == operator.id
    assert field_events(ticket)["assigned_to_id"] == (None, str(operator.id))  # on the history, as any change
    page = client.get(f"/tickets/{ticket.number}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"<dt>Operator</dt><dd>{operator.display_name}</dd>" in page


def test_a_later_save_by_someone_else_keeps_the_owner(client, operator, call_ticket, make_user, login):
    ticket = call_ticket(channel=Channel.SMS, sms="冰箱不制冷")
    post_form(client, ticket, kind="complaint", facts="冰箱不制冷")
    supervisor = english(make_user(role=Role.SUPERVISOR, username="sup-owner"))
    login(supervisor)
    saved = reload(ticket)
    assert post_form(client, saved, **{**COMPLAINT, "confirm": "y"}).status_code == 302
    assert reload(ticket).assigned_to_id == operator.id


def test_a_supervisor_saving_an_unowned_case_owns_it(client, intake_world, call_ticket, make_user, login):
    supervisor = english(make_user(role=Role.SUPERVISOR, username="sup-first"))
    login(supervisor)
    ticket = call_ticket(channel=Channel.SMS, sms="冰箱不制冷")
    post_form(client, ticket, kind="complaint", facts="冰箱不制冷")
    assert reload(ticket).assigned_to_id == supervisor.id


def refer_from_form(client, ticket, **fields):
    """What the form's "Out of scope: refer the caller" then the referral page post: one request."""
    return client.post(f"/intake/tickets/{ticket.number}/refer", data=form_data(ticket, entry="12300", **fields))


def test_referring_a_texted_case_from_the_form_makes_the_operator_its_owner(client, operator, call_ticket):
    referrals.seed_referral_directory()
    ticket = call_ticket(channel=Channel.SMS, sms=CARRIER)
    assert refer_from_form(client, ticket, facts=CARRIER).status_code == 302
    referred = reload(ticket)
    assert referred.status == TicketStatus.REFERRED and referred.assigned_to_id == operator.id
    assert field_events(referred)["assigned_to_id"] == (None, str(operator.id))
    page = client.get(f"/tickets/{ticket.number}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"<dt>Operator</dt><dd>{operator.display_name}</dd>" in page


def test_a_referral_from_the_form_keeps_the_owner_it_has(client, operator, call_ticket, make_user, login):
    referrals.seed_referral_directory()
    ticket = call_ticket(channel=Channel.SMS, sms=CARRIER)
    post_form(client, ticket, facts=CARRIER)  # saved as it stands: the operator owns it
    other = english(make_user(role=Role.OPERATOR, username="op-refers"))
    login(other)
    assert refer_from_form(client, reload(ticket), facts=CARRIER).status_code == 302
    assert reload(ticket).assigned_to_id == operator.id
