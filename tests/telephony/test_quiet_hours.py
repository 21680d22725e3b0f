"""Quiet hours: notices the caller did not just ask for wait until morning; answers do not."""

from datetime import datetime

import pytest
from freezegun import freeze_time

from hotline import outbox, sms_texts, timeutil
from hotline.extensions import db
from hotline.models import Channel, Contact, Direction, OutboxStatus
from tests.telephony.conftest import CALLER

TZ = "Asia/Shanghai"


def local(*parts):
    return timeutil.local_to_utc(datetime(*parts), TZ)


@pytest.mark.parametrize(
    ("at", "until"),
    [
        (datetime(2026, 11, 24, 22, 30), datetime(2026, 11, 25, 8, 0)),
        (datetime(2026, 11, 24, 21, 0), datetime(2026, 11, 25, 8, 0)),
        (datetime(2026, 11, 24, 0, 5), datetime(2026, 11, 24, 8, 0)),
        (datetime(2026, 11, 24, 7, 59), datetime(2026, 11, 24, 8, 0)),
        (datetime(2026, 11, 24, 8, 0), None),
        (datetime(2026, 11, 24, 20, 59), None),
    ],
)
def test_quiet_hours_run_over_midnight(at, until):
    assert sms_texts.quiet_until(at, "21:00-08:00") == until


def test_quiet_hours_inside_one_day_and_none_at_all():
    assert sms_texts.quiet_until(datetime(2026, 11, 24, 12, 30), "12:00-14:00") == datetime(2026, 11, 24, 14, 0)
    assert sms_texts.quiet_until(datetime(2026, 11, 24, 14, 0), "12:00-14:00") is None
    assert sms_texts.quiet_until(datetime(2026, 11, 24, 23, 0), "") is None


@pytest.fixture
def quiet_app(app_factory):
    app = app_factory(QUIET_HOURS="21:00-08:00")
    with app.app_context():
        yield app


def test_a_notice_written_at_night_waits_for_eight_and_is_sent_then(quiet_app, fake_sender):
    with freeze_time(local(2026, 11, 24, 22, 30)):
        notice = outbox.queue_sms(CALLER, "工单 20261124-00001 已办结", "result_notice", legal=True)
        ack = outbox.queue_sms(CALLER, "您的诉求已收到，工单号 20261124-00002。", "ack")
        db.session.commit()
    assert notice.next_attempt_at == local(2026, 11, 25, 8, 0)
    assert ack.next_attempt_at == local(2026, 11, 24, 22, 30)

    assert outbox.dispatch_due(fake_sender, now=local(2026, 11, 24, 23, 0)) == {"sent": 1}
    assert [body for _id, _to, body in fake_sender.sent] == [ack.body]
    assert outbox.dispatch_due(fake_sender, now=local(2026, 11, 25, 8, 0)) == {"sent": 1}
    assert fake_sender.sent[-1][2] == notice.body


def test_a_notice_written_by_day_goes_at_once(quiet_app):
    with freeze_time(local(2026, 11, 24, 10, 0)):
        notice = outbox.queue_sms(CALLER, "工单 20261124-00001 已转办", "forwarded", legal=True)
    assert notice.next_attempt_at == local(2026, 11, 24, 10, 0)


def test_urgent_can_be_asked_for_by_the_caller_of_queue_sms(quiet_app):
    with freeze_time(local(2026, 11, 24, 23, 0)):
        message = outbox.queue_sms(CALLER, "验证码 123456", "custom", urgent=True)
    assert message.next_attempt_at == local(2026, 11, 24, 23, 0)
    assert message.status == OutboxStatus.PENDING


def test_the_first_reply_to_an_inbound_text_is_timed(app, create_ticket):
    ticket = create_ticket(phone=CALLER, channel=Channel.SMS)
    inbound = Contact(channel=Channel.SMS, direction=Direction.INBOUND, ticket=ticket, body="投诉")
    db.session.add(inbound)
    db.session.commit()
    with freeze_time(local(2026, 11, 24, 10, 0, 7)):
        outbox.queue_sms(CALLER, "已收到", "ack", ticket=ticket)
    with freeze_time(local(2026, 11, 24, 10, 5)):
        outbox.reply_to_caller(ticket, "请补充订单号", actor=None)
    db.session.commit()
    db.session.refresh(inbound)
    # The automatic acknowledgement is the first reply; a later one does not move it.
    assert inbound.first_reply_at == local(2026, 11, 24, 10, 0, 7)
