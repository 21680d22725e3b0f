"""The outbox dispatcher and Twilio's status callbacks: nothing is lost, nothing sent twice."""

import re
import threading
import time
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import select
from twilio.base.exceptions import TwilioRestException

from hotline import outbox, timeutil
from hotline.extensions import db
from hotline.jobs.core_jobs import dispatch_outbox
from hotline.jobs.scheduler import JOBS, run_job
from hotline.models import OutboxMessage, OutboxStatus
from hotline.outbox import PermanentSendError
from hotline.telephony.senders import SandboxSender, TwilioSender, sender_for
from tests.telephony.conftest import CALLER, FakeSender

T0 = timeutil.now().replace(microsecond=0)


def queue(n=1, legal=False, to=CALLER):
    rows = [outbox.queue_sms(to, f"工单 20261124-{i:05d} 已受理", "status", legal=legal) for i in range(n)]
    for row in rows:
        row.next_attempt_at = T0
    db.session.commit()
    return rows


def reload(message):
    db.session.expire_all()
    return db.session.get(OutboxMessage, message.id)


def test_due_messages_are_sent_once_with_their_sid(app, fake_sender):
    first, second = queue(2)
    assert outbox.dispatch_due(fake_sender, now=T0) == {"sent": 2}

    for row in (reload(first), reload(second)):
        assert row.status == OutboxStatus.SENT
        assert row.provider_sid.startswith("SM") and row.sent_at == T0 and row.attempts == 1
    assert [to for _id, to, _body in fake_sender.sent] == [CALLER, CALLER]
    assert outbox.dispatch_due(fake_sender, now=T0 + timedelta(minutes=1)) == {}
    assert len(fake_sender.sent) == 2


def test_messages_not_yet_due_and_suppressed_ones_are_not_sent(app, fake_sender):
    (later,) = queue()
    later.next_attempt_at = T0 + timedelta(minutes=10)
    (quiet,) = queue()
    quiet.status = OutboxStatus.SUPPRESSED
    db.session.commit()

    outbox.dispatch_due(fake_sender, now=T0)
    assert fake_sender.sent == []
    assert reload(quiet).status == OutboxStatus.SUPPRESSED


def test_an_outage_loses_nothing_the_message_waits_and_goes_out_later(app):
    (row,) = queue()
    sender = FakeSender(failures=[ConnectionError("api.twilio.com unreachable")] * 2)

    assert outbox.dispatch_due(sender, now=T0) == {"retry": 1}
    row = reload(row)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert row.last_error == "outage"  # a code the pages word; the exception is logged
    assert row.next_attempt_at == T0 + timedelta(seconds=30)

    assert outbox.dispatch_due(sender, now=T0 + timedelta(seconds=29)) == {}  # still waiting
    outbox.dispatch_due(sender, now=T0 + timedelta(seconds=30))
    assert reload(row).next_attempt_at == T0 + timedelta(seconds=30 + 60)  # doubled

    assert outbox.dispatch_due(sender, now=T0 + timedelta(seconds=90)) == {"sent": 1}
    row = reload(row)
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 3, None)
    assert len(sender.sent) == 1


def test_after_the_last_attempt_the_message_fails(app_factory):
    app = app_factory(OUTBOX_MAX_ATTEMPTS=3, OUTBOX_BACKOFF_SECONDS=10)
    with app.app_context():
        (row,) = queue()
        sender = FakeSender(failures=[TimeoutError("read timed out")] * 10)
        moment = T0
        for _ in range(3):
            outbox.dispatch_due(sender, now=moment)
            moment += timedelta(hours=1)
        row = reload(row)
        assert (row.status, row.attempts) == (OutboxStatus.FAILED, 3)
        assert outbox.dispatch_due(sender, now=moment) == {}
        assert outbox.failed_messages() == [row]


def test_a_permanent_refusal_fails_at_once(app):
    (row,) = queue()
    sender = FakeSender(failures=[PermanentSendError("provider:21211")])
    assert outbox.dispatch_due(sender, now=T0) == {"failed": 1}
    row = reload(row)
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.FAILED, 1, "provider:21211")


class FakeMessages:
    def __init__(self, error=None):
        self.error, self.calls = error, []

    def create(self, **kwargs):
        self.calls.append(kwargs)
        if self.error:
            raise self.error
        return type("Created", (), {"sid": "SM" + "f" * 32})()


class FakeClient:
    def __init__(self, error=None):
        self.messages = FakeMessages(error)


def test_twilio_sender_passes_number_body_and_status_callback(app):
    (row,) = queue()
    client = FakeClient()
    sender = TwilioSender(client, "+8610012315", "http://hotline.test/twilio/sms/status")
    assert sender.send(row) == "SM" + "f" * 32
    assert client.messages.calls == [{
        "to": CALLER, "from_": "+8610012315", "body": row.body,
        "status_callback": "http://hotline.test/twilio/sms/status",
    }]


@pytest.mark.parametrize(("status", "code", "outcome"), [
    (400, 21211, "failed"),  # invalid To: retrying cannot help
    (400, 21610, "failed"),  # the recipient unsubscribed at the carrier
    (400, 21614, "failed"),  # not a mobile number
    (400, 21609, "retry"),  # our status callback URL: a configuration error hits every message
    (422, None, "retry"),
    (401, 20003, "retry"),  # our credentials: fixable, so the message waits
    (429, 20429, "retry"),
    (503, None, "retry"),
])
def test_twilio_errors_are_judged_permanent_or_passing(app, status, code, outcome):
    (row,) = queue()
    error = TwilioRestException(status, "https://api.twilio.com/x", msg="refused", code=code)
    sender = TwilioSender(FakeClient(error), "+8610012315")
    assert outbox.dispatch_due(sender, now=T0) == {outcome: 1}
    assert reload(row).last_error == (f"provider:{code}" if code else f"http:{status}")


def test_the_provider_s_message_quoting_the_number_is_logged_not_stored(app, caplog):
    """Twilio's refusal quotes the whole number in English: the row keeps only its code, which
    the pages word; the log (scrubbed of numbers by hotline.logs) keeps what Twilio said."""
    (row,) = queue()
    error = TwilioRestException(400, "https://api.twilio.com/x", code=21211,
                                msg=f"The 'To' number {CALLER} is not a valid phone number.")
    with caplog.at_level("WARNING", logger="hotline.outbox"):
        outbox.dispatch_due(TwilioSender(FakeClient(error), "+8610012315"), now=T0)
    assert reload(row).last_error == "provider:21211"
    assert "is not a valid phone number" in caplog.text


def test_a_row_left_sending_by_a_dead_dispatcher_goes_back_to_the_queue(app, fake_sender):
    (row,) = queue()
    assert outbox.claim_next(T0).id == row.id
    db.session.commit()  # ... and the dispatcher dies here

    assert outbox.dispatch_due(fake_sender, now=T0 + timedelta(minutes=4)) == {}
    assert reload(row).status == OutboxStatus.SENDING
    assert outbox.dispatch_due(fake_sender, now=T0 + timedelta(minutes=6)) == {"released": 1}
    row = reload(row)
    assert (row.status, row.last_error) == (OutboxStatus.PENDING, outbox.INTERRUPTED)
    outbox.dispatch_due(fake_sender, now=row.next_attempt_at)
    assert reload(row).status == OutboxStatus.SENT


def test_without_an_account_the_sandbox_sends(app):
    assert isinstance(sender_for(app.config), SandboxSender)
    (row,) = queue()
    outbox.dispatch_due(sender_for(app.config), now=T0)
    row = reload(row)
    assert row.status == OutboxStatus.SENT
    assert re.fullmatch(r"SM[0-9a-f]{32}", row.provider_sid)


def test_with_an_account_twilio_sends(app):
    config = {**app.config, "TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "t"}
    sender = sender_for(config)
    assert isinstance(sender, TwilioSender)
    assert sender.status_callback_url == "http://hotline.test/twilio/sms/status"
    assert sender.from_number == app.config["TWILIO_NUMBER"]


def test_the_scheduler_job_dispatches_through_the_sandbox(app):
    assert ("outbox-dispatch", dispatch_outbox, 5) in JOBS
    (row,) = queue()
    assert run_job(app, "outbox-dispatch", dispatch_outbox) == {"sent": 1}
    assert reload(row).status == OutboxStatus.SENT


@pytest.mark.backend("postgresql")  # "SKIP LOCKED needs PostgreSQL; the SQLite test database is one shared connection"
def test_two_dispatchers_never_send_the_same_row(app, backend):
    rows = queue(30)

    class Slow(FakeSender):
        def send(self, message):
            time.sleep(0.01)
            return super().send(message)

    senders = [Slow(), Slow()]
    barrier = threading.Barrier(2)

    def run(sender):
        with app.app_context():
            barrier.wait(timeout=10)
            outbox.dispatch_due(sender, now=T0)
            db.session.remove()

    threads = [threading.Thread(target=run, args=(s,)) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    sent_ids = [message_id for s in senders for message_id, _to, _body in s.sent]
    assert sorted(sent_ids) == sorted(r.id for r in rows)  # each exactly once
    assert all(s.sent for s in senders), "both dispatchers should have taken a share"
    assert {reload(r).status for r in rows} == {OutboxStatus.SENT}


# --- status callbacks ---------------------------------------------------------------------


def sent_row(app, legal=False):
    (row,) = queue(legal=legal)
    outbox.dispatch_due(FakeSender(), now=T0)
    return reload(row)


def callback(twilio_post, sid, status, **extra):
    response = twilio_post("/twilio/sms/status", {"MessageSid": sid, "MessageStatus": status, **extra})
    assert response.status_code == 200
    assert ET.fromstring(response.data).tag == "Response"  # noqa: S314 (our own TwiML)
    return response


def test_delivered_is_recorded_and_a_late_sent_does_not_undo_it(app, twilio_post):
    row = sent_row(app)
    callback(twilio_post, row.provider_sid, "delivered")
    callback(twilio_post, row.provider_sid, "sent")  # arrives out of order
    callback(twilio_post, row.provider_sid, "undelivered", ErrorCode="30003")
    row = reload(row)
    assert (row.status, row.provider_status) == (OutboxStatus.DELIVERED, "delivered")


def test_intermediate_statuses_are_kept_as_the_provider_status(app, twilio_post):
    row = sent_row(app)
    callback(twilio_post, row.provider_sid, "sent")
    row = reload(row)
    assert (row.status, row.provider_status) == (OutboxStatus.SENT, "sent")


def test_an_undelivered_ordinary_notice_fails(app, twilio_post):
    row = sent_row(app)
    callback(twilio_post, row.provider_sid, "undelivered", ErrorCode="30005")
    row = reload(row)
    assert (row.status, row.last_error) == (OutboxStatus.FAILED, "undelivered:30005")
    assert row in outbox.failed_messages()


def test_an_undelivered_legal_notice_is_retried_then_flagged(app, twilio_post):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 2
    (row,) = queue(legal=True)
    sender = FakeSender()
    outbox.dispatch_due(sender, now=T0)
    callback(twilio_post, reload(row).provider_sid, "failed", ErrorCode="30008")
    row = reload(row)
    assert (row.status, row.last_error) == (OutboxStatus.PENDING, "undelivered:30008")

    outbox.dispatch_due(sender, now=row.next_attempt_at)
    row = reload(row)
    assert row.status == OutboxStatus.SENT and len(sender.sent) == 2
    callback(twilio_post, row.provider_sid, "undelivered", ErrorCode="30003")
    row = reload(row)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 2)
    assert row in outbox.failed_messages()


def test_an_unknown_sid_changes_nothing(app, twilio_post):
    row = sent_row(app)
    callback(twilio_post, "SM" + "0" * 32, "delivered")
    assert reload(row).status == OutboxStatus.SENT


def test_a_malformed_status_callback_is_a_400_and_an_unsigned_one_a_403(app, twilio_post, client):
    row = sent_row(app)
    assert twilio_post("/twilio/sms/status", {"MessageStatus": "delivered"}).status_code == 400
    assert twilio_post("/twilio/sms/status", {"MessageSid": row.provider_sid}).status_code == 400
    forged = client.post("/twilio/sms/status", data={"MessageSid": row.provider_sid, "MessageStatus": "delivered"})
    assert forged.status_code == 403
    assert reload(row).status == OutboxStatus.SENT


def test_queue_sms_writes_in_the_callers_transaction(app):
    outbox.queue_sms(CALLER, "工单 1 通知", "status")
    db.session.rollback()  # the change that caused it failed: no message either
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_a_run_stops_at_its_time_budget_and_the_next_run_goes_on(app):
    class SlowSender(FakeSender):
        def send(self, message):
            time.sleep(0.05)
            return super().send(message)

    sender = SlowSender()
    queue(30)
    first = outbox.dispatch_due(sender, now=T0, batch=1000, max_seconds=0.3)
    assert 1 <= first["sent"] < 30  # stopped by the clock, not by the batch
    second = outbox.dispatch_due(sender, now=T0, batch=1000)
    assert first["sent"] + second["sent"] == 30 == len(sender.sent)
