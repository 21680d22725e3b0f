"""Who owns a case nobody answered (an SMS): the first operator or supervisor who saves its intake
form, so the case page names its 接线员. An owner is never replaced by a later save."""

from hotline.extensions import db
from hotline.models import Channel, Role, Ticket
from tests.intake.form.conftest import english
from tests.intake.form.helpers import COMPLAINT, field_events, post_form


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
