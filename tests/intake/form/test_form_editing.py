"""ID numbers, editing a submitted case (confirmation, per-field history, two operators at once),
drafts saved as the operator types, and after-call work."""

from datetime import timedelta

from sqlalchemy import update

from hotline.extensions import db
from hotline.models import Contact, IntakeDraft, Role, Ticket, TicketEvent, TicketKind
from hotline.timeutil import clock_at, now
from intake import services as intake_services
from intake.identity import keyed_hash
from tests.intake.form.conftest import english
from tests.intake.form.helpers import COMPLAINT, field_events, form_data, post_form

GOOD_ID = "11010519491231002X"


def reload(ticket):
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


def page(response):
    return response.get_data(as_text=True)


# ---- resident ID numbers -------------------------------------------------------------------

def test_id_number_stored_only_hashed_and_masked(client, operator, call_ticket, app):
    ticket = call_ticket(operator)
    assert post_form(client, ticket, **COMPLAINT, id_number=GOOD_ID.lower()).status_code == 302
    saved = reload(ticket)
    assert saved.id_number_masked == "110105********002X"
    assert saved.id_number_hash == keyed_hash(GOOD_ID, app.config["SECRET_KEY"])
    history = " ".join(f"{e.from_value} {e.to_value}" for e in saved.events)
    assert GOOD_ID not in history and "110105********002X" in history
    form_page = page(client.get(f"/intake/tickets/{ticket.number}"))
    assert GOOD_ID not in form_page and "110105********002X" in form_page


def test_wrong_check_digit_refused_with_everything_kept(client, operator, call_ticket):
    ticket = call_ticket(operator)
    response = post_form(client, ticket, **COMPLAINT, id_number="110105194912310021")
    assert response.status_code == 400
    assert "check digit" in page(response)
    assert 'value="110105194912310021"' in page(response)  # typed values stay for correcting
    assert COMPLAINT["respondent_name"] in page(response)
    saved = reload(ticket)
    assert saved.kind == TicketKind.UNKNOWN and saved.id_number_hash is None
    assert not [e for e in saved.events if e.type == "field"]


def test_impossible_birth_date_refused(client, operator, call_ticket):
    ticket = call_ticket(operator)
    response = post_form(client, ticket, **COMPLAINT, id_number="110105194902301234")
    assert response.status_code == 400
    assert "birth date in this ID number does not exist" in page(response)
    response = post_form(client, ticket, **COMPLAINT, id_number="1101051949")
    assert "18 characters" in page(response)
    assert reload(ticket).kind == TicketKind.UNKNOWN


# ---- editing a submitted case -----------------------------------------------------------------

def test_editing_an_accepted_case_asks_for_confirmation(client, operator, call_ticket):
    from intake.decisions import accept_ticket

    ticket = call_ticket(operator)
    post_form(client, ticket, **COMPLAINT)
    accept_ticket(reload(ticket), operator)  # past intake: a change now reaches others
    db.session.commit()
    ticket = reload(ticket)
    edited = dict(COMPLAINT, demand="退货退款并赔偿", amount="3300")
    response = post_form(client, ticket, **edited)
    assert response.status_code == 200
    assert "You are changing a submitted case: 2 fields." in page(response)
    assert reload(ticket).demand == "退货退款"  # nothing written before the confirmation
    response = post_form(client, reload(ticket), **edited, confirm="y")
    assert response.status_code == 302
    saved = reload(ticket)
    assert field_events(saved)["demand"] == ("退货退款", "退货退款并赔偿")
    assert field_events(saved)["amount"] == ("3299.00", "3300.00")
    last_two = [e for e in saved.events if e.type == "field"][-2:]
    assert {e.field for e in last_two} == {"demand", "amount"} and {e.actor_id for e in last_two} == {operator.id}


def test_saving_an_unchanged_case_writes_nothing(client, operator, call_ticket):
    ticket = call_ticket(operator)
    post_form(client, ticket, **COMPLAINT)
    ticket = reload(ticket)
    count = ticket.events.count()
    response = post_form(client, ticket, **COMPLAINT, confirm="y")
    assert response.status_code == 302
    assert reload(ticket).events.count() == count


def test_stale_version_shows_what_the_other_operator_changed(client, operator, call_ticket, make_user, login):
    ticket = call_ticket(operator)
    post_form(client, ticket, **COMPLAINT)
    ticket = reload(ticket)
    mine = form_data(ticket, **dict(COMPLAINT, facts="冰箱不制冷，商家拒绝退货，已打过三次电话。"))
    other = english(make_user(role=Role.SUPERVISOR, username="chen"))
    login(other)
    post_form(client, ticket, **dict(COMPLAINT, respondent_name="某某电器商城朝阳店"), confirm="y")
    login(operator)
    response = client.post(f"/intake/tickets/{ticket.number}", data=dict(mine, confirm="y"))
    assert response.status_code == 409
    text = page(response)
    assert "Someone else changed this case" in text
    conflict = text.split('data-testid="conflict"', 1)[1].split("</div>", 1)[0]
    assert "chen" in conflict and "某某电器商城朝阳店" in conflict
    assert "已打过三次电话" in text  # nothing the operator typed is lost
    assert reload(ticket).facts == COMPLAINT["facts"]
    # Saving again from the conflict page knowingly overwrites (the page carries the new version).
    resubmit = dict(mine, version=str(reload(ticket).version), seen_event=str(intake_services.last_event_id(ticket)),
                    confirm="y")
    assert client.post(f"/intake/tickets/{ticket.number}", data=resubmit).status_code == 302
    assert reload(ticket).facts == mine["facts"]


def test_a_save_racing_another_is_refused_whole(client, operator, call_ticket, monkeypatch):
    ticket = call_ticket(operator)
    real_save = intake_services.save_intake

    def racing_save(case, values, actor, **options):
        # Another worker commits between our version check and our write.
        db.session.execute(update(Ticket).where(Ticket.id == case.id).values(version=Ticket.version + 1)
                           .execution_options(synchronize_session=False))
        return real_save(case, values, actor, **options)

    monkeypatch.setattr(intake_services, "save_intake", racing_save)
    response = post_form(client, ticket, **COMPLAINT)
    assert response.status_code == 409
    assert "Someone else changed this case" in page(response)
    saved = reload(ticket)
    assert saved.kind == TicketKind.UNKNOWN and not [e for e in saved.events if e.type == "field"]


def test_a_form_without_its_version_is_not_trusted(client, operator, call_ticket):
    ticket = call_ticket(operator)
    data = form_data(ticket, **COMPLAINT)
    del data["version"]
    assert client.post(f"/intake/tickets/{ticket.number}", data=data).status_code == 409
    assert reload(ticket).kind == TicketKind.UNKNOWN


# ---- drafts ------------------------------------------------------------------------------------

def test_draft_saved_as_typed_and_restored_on_reopen(client, operator, call_ticket):
    ticket = call_ticket(operator)
    typed = form_data(ticket, kind="complaint", facts="冰箱坏了，商家不理", id_number=GOOD_ID, csrf_token="x")
    response = client.post(f"/intake/tickets/{ticket.number}/draft", data=typed)
    assert response.status_code == 200 and response.json["saved_at"]
    draft = db.session.get(IntakeDraft, {"ticket_id": ticket.id, "user_id": operator.id})
    assert draft.data["facts"] == "冰箱坏了，商家不理"
    assert "id_number" not in draft.data and "csrf_token" not in draft.data  # never kept in clear
    client.post(f"/intake/tickets/{ticket.number}/draft", data=dict(typed, facts="冰箱坏了，商家不理，要退货"))
    reopened = page(client.get(f"/intake/tickets/{ticket.number}"))
    assert 'data-testid="draft-restored"' in reopened and "冰箱坏了，商家不理，要退货" in reopened
    assert reload(ticket).facts is None  # a draft is not the case
    # The ID number typed is not back, and the notice says why rather than let it look lost.
    assert GOOD_ID not in reopened and 'data-testid="draft-no-id"' in reopened


def test_draft_is_per_operator_and_gone_after_saving(client, operator, call_ticket, make_user, login):
    ticket = call_ticket(operator)
    client.post(f"/intake/tickets/{ticket.number}/draft", data=form_data(ticket, facts="只有我能看到"))
    login(english(make_user(role=Role.OPERATOR)))
    assert "只有我能看到" not in page(client.get(f"/intake/tickets/{ticket.number}"))
    login(operator)
    assert post_form(client, ticket, **COMPLAINT).status_code == 302
    assert db.session.query(IntakeDraft).filter_by(ticket_id=ticket.id, user_id=operator.id).count() == 0


def test_draft_discarded_on_request(client, operator, call_ticket):
    ticket = call_ticket(operator)
    client.post(f"/intake/tickets/{ticket.number}/draft", data=form_data(ticket, facts="不要了"))
    response = client.post(f"/intake/tickets/{ticket.number}/draft/discard")
    assert response.status_code == 302
    assert "不要了" not in page(client.get(f"/intake/tickets/{ticket.number}"))


def test_oversized_draft_refused(client, operator, call_ticket):
    ticket = call_ticket(operator)
    response = client.post(f"/intake/tickets/{ticket.number}/draft", data={"facts": "长" * 30_000})
    assert response.status_code == 413
    assert db.session.query(IntakeDraft).count() == 0


# ---- after-call work ------------------------------------------------------------------------------

def test_wrapup_ends_at_the_first_save_after_hang_up(client, operator, call_ticket):
    ticket = call_ticket(operator, ended=False)
    start = now()
    with clock_at(start):
        post_form(client, ticket, **COMPLAINT)  # saved while still talking
    call = db.session.query(Contact).filter_by(ticket_id=ticket.id).one()
    assert call.wrapup_ended_at == start
    call.ended_at = start + timedelta(minutes=2)
    db.session.commit()
    with clock_at(start + timedelta(minutes=3)):
        post_form(client, reload(ticket), **dict(COMPLAINT, demand="退货"), confirm="y")
    assert db.session.get(Contact, call.id).wrapup_ended_at == start + timedelta(minutes=3)
    with clock_at(start + timedelta(hours=2)):
        post_form(client, reload(ticket), **dict(COMPLAINT, demand="退款"), confirm="y")
    db.session.expire_all()
    assert db.session.get(Contact, call.id).wrapup_ended_at == start + timedelta(minutes=3)


def test_wrapup_is_the_saving_operators_call_only(client, operator, call_ticket, make_user):
    colleague = make_user(role=Role.OPERATOR)
    ticket = call_ticket(colleague)
    post_form(client, ticket, **COMPLAINT)
    assert db.session.query(Contact).filter_by(ticket_id=ticket.id).one().wrapup_ended_at is None
    assert db.session.query(TicketEvent).filter_by(ticket_id=ticket.id, type="field").count() > 0
