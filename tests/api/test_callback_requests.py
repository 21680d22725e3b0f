"""The API twin of the callback list (hotline.console.calls): voicemails and callback requests
not yet handled, and "Done", with the console's roles and service; a second "Done" writes nothing."""

from sqlalchemy import select

from hotline.extensions import db
from hotline.models import Role, Ticket, TicketEvent
from tests.calls.test_operator_actions import contact_of, queued_call

RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE9"


def _voicemail(phone):
    caller = queued_call(phone)
    caller.leave_queue("leave", 125)
    caller.press("1")
    caller.record(url=RECORDING)
    return contact_of(caller).ticket


def _done_lines(ticket):
    db.session.expire_all()
    return db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                        TicketEvent.type == "callback_done")).all()


def test_a_voicemail_is_listed_then_done_with_a_note_as_on_the_console(phone, call_clock, as_role, client, make_user,
                                                                       login):
    ticket = _voicemail(phone)
    operator = as_role(Role.OPERATOR)
    (item,) = operator.get("/api/v1/callback-requests").json["items"]
    assert item["number"] == ticket.number and item["request"] == "voicemail"
    assert item["recording_url"] == RECORDING and item["phone_masked"].count("*") == 4

    done = operator.post(f"/api/v1/callback-requests/{ticket.number}/done", json={"note": "已回电，来电人补充了订单号"})
    assert done.status_code == 200
    assert done.json["number"] == ticket.number and done.json["note"] == "已回电，来电人补充了订单号"
    assert operator.get("/api/v1/callback-requests").json["items"] == []
    (line,) = _done_lines(ticket)
    assert line.reason == "已回电，来电人补充了订单号"

    login(make_user())  # the console's list agrees
    assert f'data-ticket="{ticket.number}"' not in client.get("/calls/callbacks").get_data(as_text=True)


def test_a_second_done_is_refused_and_writes_nothing_on_either_side(phone, call_clock, as_role, client, make_user,
                                                                    login):
    ticket = _voicemail(phone)
    operator = as_role(Role.OPERATOR)
    assert operator.post(f"/api/v1/callback-requests/{ticket.number}/done").status_code == 200
    assert operator.post(f"/api/v1/callback-requests/{ticket.number}/done", json={}).status_code == 409
    login(make_user())
    page = client.post(f"/calls/callbacks/{ticket.number}/done", follow_redirects=True).get_data(as_text=True)
    assert f"工单 {ticket.number} 没有待处理的回电：已被标记为完成。" in page
    assert len(_done_lines(ticket)) == 1


def test_who_may_and_what_is_refused(phone, call_clock, as_role, make_department):
    ticket = _voicemail(phone)
    supervisor = as_role(Role.SUPERVISOR)
    assert [i["number"] for i in supervisor.get("/api/v1/callback-requests").json["items"]] == [ticket.number]
    clerk = as_role(Role.DEPARTMENT, department=make_department("D01", "海淀分局"))
    assert clerk.get("/api/v1/callback-requests").status_code == 403
    assert clerk.post(f"/api/v1/callback-requests/{ticket.number}/done").status_code == 403
    assert as_role(Role.ADMIN).get("/api/v1/callback-requests").status_code == 403
    assert supervisor.post("/api/v1/callback-requests/20990101-99999/done").status_code == 404
    refused = supervisor.post(f"/api/v1/callback-requests/{ticket.number}/done", json={"note": 5, "by": "x"})
    assert refused.status_code == 422 and set(refused.json["fields"]) == {"note", "by"}
    too_long = supervisor.post(f"/api/v1/callback-requests/{ticket.number}/done", json={"note": "长" * 501})
    assert too_long.status_code == 422
    assert supervisor.post(f"/api/v1/callback-requests/{ticket.number}/done", data="x",
                           content_type="application/json").status_code == 400
    assert _done_lines(ticket) == []
    assert db.session.get(Ticket, ticket.id) is not None
