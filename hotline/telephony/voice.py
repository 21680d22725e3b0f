"""Twilio voice webhooks (/twilio/voice...): menu, queue, voicemail, the operator bridge.

Configure in Twilio's console, on the hotline number: "A call comes in" -> POST
PUBLIC_BASE_URL/twilio/voice, "Call status changes" -> POST PUBLIC_BASE_URL/twilio/voice/status.
Every other URL below is handed to Twilio inside the TwiML.

The prompts are Chinese text, not UI msgids: <Say language="zh-CN"> with a Mandarin voice must
speak Mandarin whatever language the console is in.
"""

import logging
import re

from flask import Blueprint, current_app, request
from twilio.twiml.voice_response import VoiceResponse

from hotline import calls, inputs
from hotline.extensions import db
from hotline.models import Contact, TicketStatus, User
from hotline.telephony.callcontrol import public_url
from hotline.telephony.signature import twilio_webhook, twiml

bp = Blueprint("voice", __name__)
log = logging.getLogger(__name__)

QUEUE_NAME = "hotline"
_CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")
_MAX_NUMBER = 64
_WAIT_PAUSE = 10

PROMPTS = {
    "greeting": "您好，这里是12315消费者投诉举报热线。",
    "menu": "投诉请按1，举报请按2，咨询请按3，查询工单办理进度请按4，重听请按0。",
    "not_understood": "对不起，没有听清您的选择。",
    "queue": "正在为您转接人工服务，请稍候。",
    "position": "您前面还有{ahead}位来电者，请耐心等待。",
    "hold": "坐席正忙，请不要挂机。",
    "requeue": "工作人员暂时未能接听，正在为您重新排队。",
    "blocked": "您的号码已被限制呼入本热线。再见。",
    "closed": "您好，这里是12315消费者投诉举报热线。现在是非工作时间，人工服务时间为每天{hours}。",
    "busy": "对不起，现在坐席繁忙。",
    "offer": "留言请按1，预约回电请按2。",
    "record": "请在提示音后留言，最长两分钟，按井号键结束。",
    "voicemail_thanks": "您的留言已收到，我们会尽快与您联系。再见。",
    "callback_thanks": "已为您登记回电，工作人员会尽快给您回电。再见。",
    "goodbye": "感谢您的来电，再见。",
    "case_prompt": "请输入短信中13位数字的工单号，以井号键结束。",
    "case_status": "您的工单{number}，目前状态：{status}。",
    "case_not_found": "未查询到本号码名下的这个工单号。",
    "apology": "对不起，系统暂时无法处理您的来电，请稍后再拨。再见。",
    "whisper": "热线来电，工单号{number}。",
    "caller_gone": "来电者已挂断。",
    "on_hold": "工作人员正在为您查询，请不要挂机。",
    "resuming": "正在为您接回工作人员，请稍候。",
    "ring_back_missed": "工作人员暂时未能接听，请不要挂机，马上为您接回。",
}
# How a Dial to the operator ends when their phone was not picked up (Twilio's DialCallStatus).
RING_BACK_MISSED = frozenset({"no-answer", "busy", "failed"})
HOLD_PAUSE = 15  # seconds of silence between two hold messages
STATUS_SPOKEN = {
    TicketStatus.NEW: "已登记，等待受理",
    TicketStatus.ACCEPTED: "已受理",
    TicketStatus.REJECTED: "不予受理",
    TicketStatus.FORWARDED: "已转交承办部门",
    TicketStatus.IN_PROGRESS: "正在办理",
    TicketStatus.RESOLVED: "已办结",
    TicketStatus.ANSWERED: "已答复",
    TicketStatus.REFERRED: "已告知受理渠道",
    TicketStatus.CLOSED: "已结案",
}


@bp.route("", methods=["POST"])
@twilio_webhook
def incoming():
    form = request.form
    sid, from_, to = form.get("CallSid", ""), form.get("From", ""), form.get("To", "")
    if not _CALL_SID.match(sid) or not from_ or len(from_) > _MAX_NUMBER or len(to) > _MAX_NUMBER:
        return _apology("incoming call with malformed CallSid/From/To")
    blocked = calls.receive_call(sid, from_, to).blocked
    db.session.commit()  # nothing of the contact is read after: no second transaction
    if blocked:
        return _say_then_hangup("blocked")
    if not calls.is_open_now():
        hours = current_app.config.get("OPENING_HOURS", "08:00-20:00")
        return twiml(_offer(_say(VoiceResponse(), "closed", hours=hours.replace("-", "至"))))
    return twiml(_menu(_say(VoiceResponse(), "greeting")))


@bp.route("/menu", methods=["POST"])
@twilio_webhook
def menu():
    contact = _contact()
    if contact is None:
        return _apology("menu key for an unknown call")
    digit, retry = _digits(), request.args.get("retry") == "1"
    if digit in calls.MENU_KINDS:
        calls.choose_kind(contact, digit)
        return _queue(contact)
    if digit == "4":
        response = VoiceResponse()
        gather = response.gather(
            finish_on_key="#", num_digits=14, timeout=10, action=public_url("voice.case_progress"),
            method="POST", action_on_empty_result=True,
        )
        _say(gather, "case_prompt")
        return twiml(response)
    if digit == "0":
        return twiml(_menu(VoiceResponse(), retry=retry))
    if not retry:
        return twiml(_menu(_say(VoiceResponse(), "not_understood"), retry=True))
    calls.choose_kind(contact, "")
    return _queue(contact)


@bp.route("/case", methods=["POST"])
@twilio_webhook
def case_progress():
    contact = _contact()
    if contact is None:
        return _apology("case progress for an unknown call")
    digits = _digits(32)
    number = calls.case_number_from_digits(digits)
    found = calls.ticket_of_caller(contact, number)
    response = VoiceResponse()
    if found is not None:
        spoken = " ".join(found.number.replace("-", ""))
        _say(response, "case_status", number=spoken, status=STATUS_SPOKEN[found.status])
    else:
        _say(response, "case_not_found" if digits else "not_understood")
    return twiml(_menu(response))


@bp.route("/wait", methods=["POST"])
@twilio_webhook
def wait():
    queue_time, position = _int("QueueTime"), _int("QueuePosition")
    timeout = current_app.config.get("QUEUE_TIMEOUT_SECONDS", 120)
    response = VoiceResponse()
    if queue_time is not None and queue_time > timeout:
        response.leave()
        return twiml(response)
    if position and position > 1:
        _say(response, "position", ahead=position - 1)
    else:
        _say(response, "hold")
    remaining = timeout - (queue_time or 0)
    response.pause(length=max(1, min(_WAIT_PAUSE, remaining + 1)))
    return twiml(response)


@bp.route("/queue-result", methods=["POST"])
@twilio_webhook
def queue_result():
    contact = _contact()
    result = request.form.get("QueueResult", "")[:32]
    if contact is None or not result:
        return _apology("queue result for an unknown call or without QueueResult")
    calls.record_queue_result(contact, result, _int("QueueTime"))
    db.session.commit()
    if result in ("leave", "queue-full", "error", "system-error") and contact.answered_at is None:
        return twiml(_offer(_say(VoiceResponse(), "busy")))
    # An empty answer: after a hang-up nobody listens, and after a REST redirect Twilio is
    # already running the connect TwiML, which a <Hangup/> here must not cut short.
    return twiml(VoiceResponse())


@bp.route("/status", methods=["POST"])
@twilio_webhook
def status():
    contact, call_status = _contact(), request.form.get("CallStatus", "")
    if contact is None or call_status not in calls.CALL_STATUSES:
        log.warning("voice status %r for unknown call %r ignored", call_status[:32], request.form.get("CallSid", "")[:40])
        return "", 204
    calls.record_status(contact, call_status)
    db.session.commit()
    return "", 204


@bp.route("/offer", methods=["POST"])
@twilio_webhook
def offer():
    contact = _contact()
    if contact is None:
        return _apology("voicemail offer for an unknown call")
    digit, retry = _digits(), request.args.get("retry") == "1"
    if digit == "1":
        response = _say(VoiceResponse(), "record")
        response.record(max_length=120, finish_on_key="#", play_beep=True, method="POST",
                        action=public_url("voice.voicemail"))
        return twiml(_say(response, "goodbye"))
    if digit == "2":
        calls.request_callback(contact)
        db.session.commit()
        return _say_then_hangup("callback_thanks")
    if not retry:
        return twiml(_offer(_say(VoiceResponse(), "not_understood"), retry=True))
    return _say_then_hangup("goodbye")


@bp.route("/voicemail", methods=["POST"])
@twilio_webhook
def voicemail():
    contact, url = _contact(), request.form.get("RecordingUrl", "")
    if contact is None:
        return _apology("voicemail for an unknown call")
    if url.startswith("https://") and len(url) <= 500:
        calls.record_voicemail(contact, url, _int("RecordingDuration"))
        db.session.commit()
    else:
        log.warning("voicemail for call %s without a usable RecordingUrl", contact.sid)
    return _say_then_hangup("voicemail_thanks")


@bp.route("/connect/<int:contact_id>/<int:user_id>", methods=["POST"])
@twilio_webhook
def connect(contact_id, user_id):
    contact, user = db.session.get(Contact, contact_id), db.session.get(User, user_id)
    phone = calls.operator_phone(user) if user else None
    if contact is None or phone is None:
        return _apology(f"connect {contact_id} to operator {user_id} without a phone")
    response = VoiceResponse()
    dial = response.dial(action=public_url("voice.dial_result", contact_id=contact.id), method="POST", timeout=20)
    dial.number(phone, url=public_url("voice.whisper", contact_id=contact.id, user_id=user_id), method="POST")
    return twiml(response)


@bp.route("/hold/<int:contact_id>", methods=["POST"])
@twilio_webhook
def on_hold(contact_id):
    """What a held caller hears, again and again (a Redirect to itself) until the operator takes
    the call back (a REST redirect to connect). Past calls.HOLD_MAX_MINUTES, or when the hold has
    already been ended here (a resume this loop's next request overtook), the call goes back to
    the operator who answered it: nobody is left holding for ever."""
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.ended_at is not None or contact.answered_by is None:
        return _apology(f"hold of unknown or ended call {contact_id}")
    if contact.held_at is None or calls.held_too_long(contact):
        calls.resume(contact)
        db.session.commit()
        response = _say(VoiceResponse(), "resuming")
        response.redirect(public_url("voice.connect", contact_id=contact.id, user_id=contact.answered_by_id),
                          method="POST")
        return twiml(response)
    response = _say(VoiceResponse(), "on_hold")
    response.pause(length=HOLD_PAUSE)
    response.redirect(public_url("voice.on_hold", contact_id=contact.id), method="POST")
    return twiml(response)


@bp.route("/whisper/<int:contact_id>/<int:user_id>", methods=["POST"])
@twilio_webhook
def whisper(contact_id, user_id):
    contact, user = db.session.get(Contact, contact_id), db.session.get(User, user_id)
    if contact is None or user is None or contact.ended_at is not None:
        return _say_then_hangup("caller_gone")
    calls.bridge(contact, user)
    db.session.commit()
    number = " ".join(contact.ticket.number.replace("-", "")) if contact.ticket else ""
    return twiml(_say(VoiceResponse(), "whisper", number=number))


@bp.route("/dial-result/<int:contact_id>", methods=["POST"])
@twilio_webhook
def dial_result(contact_id):
    """The Dial to an operator's phone ended. Never answered: the caller goes back to the queue.
    Answered before (a ring-back after a hold, calls.resume) and not picked up this time: the
    caller is held again, not told goodbye in the middle of their case; the operator's call bar
    shows the hold (its poll) and resume rings again, as does the hold's own time limit."""
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        return _say_then_hangup("goodbye")
    if contact.answered_at is None:
        calls.release(contact, missed=True)
        return _queue(contact, prompt="requeue")
    if contact.ended_at is None and request.form.get("DialCallStatus") in RING_BACK_MISSED:
        calls.hold(contact, None)  # nobody pressed hold: the ring-back was not picked up
        db.session.commit()
        response = _say(VoiceResponse(), "ring_back_missed")
        response.redirect(public_url("voice.on_hold", contact_id=contact.id), method="POST")
        return twiml(response)
    return _say_then_hangup("goodbye")


def _queue(contact, prompt="queue"):
    calls.enqueue(contact)
    db.session.commit()
    response = _say(VoiceResponse(), prompt)
    response.enqueue(
        QUEUE_NAME, action=public_url("voice.queue_result"), method="POST",
        wait_url=public_url("voice.wait"), wait_url_method="POST",
    )
    return twiml(response)


def _menu(response, retry=False):
    gather = response.gather(
        num_digits=1, timeout=6, method="POST", action_on_empty_result=True,
        action=public_url("voice.menu", **({"retry": "1"} if retry else {})),
    )
    _say(gather, "menu")
    return response


def _offer(response, retry=False):
    gather = response.gather(
        num_digits=1, timeout=6, method="POST", action_on_empty_result=True,
        action=public_url("voice.offer", **({"retry": "1"} if retry else {})),
    )
    _say(gather, "offer")
    return response


def _say(node, key, **values):
    voice = current_app.config.get("VOICE_NAME", "Polly.Zhiyu")
    node.say(PROMPTS[key].format(**values), language="zh-CN", voice=voice)
    return node


def _say_then_hangup(key):
    response = _say(VoiceResponse(), key)
    response.hangup()
    return twiml(response)


def _apology(why):
    log.warning("twilio voice %s: %s; apologised and hung up", request.path, why)
    return _say_then_hangup("apology")


def _contact():
    sid = request.form.get("CallSid", "")
    return calls.find_call(sid) if _CALL_SID.match(sid) else None


def _digits(limit=8):
    return request.form.get("Digits", "").strip()[:limit]


def _int(name):
    """A count Twilio sends (QueueTime, QueuePosition, RecordingDuration); None when it is not one."""
    return inputs.parse_int(request.form.get(name, ""))
