"""Canned replies (常用语): texts supervisors keep for the SMS console and the department desk,
with variables filled per case when an operator or a department picks one.

A body is plain text with variables in braces: {case_number}, {due_date}, {department},
{hotline}. Only those are accepted when a reply is saved (ReplyError names the others); at use
time `render` never fails: a variable the case has no value for reads as NONE_WORD, and braces
that are not a variable stay as written. Services flush; the caller commits.
"""

import re
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from hotline import audit, inputs, sms_texts
from hotline.deadlines import clocks
from hotline.extensions import db
from hotline.models import CannedReply, ReplyScope
from hotline.timeutil import to_local

VARIABLES = ("case_number", "due_date", "department", "hotline")
MAX_TITLE = 100  # the column's length
# A reply becomes an SMS (at most sms_texts.MAX_REPLY characters) or a desk step: one limit for
# both, so a reply written for "any" fits wherever it is used.
MAX_BODY = sms_texts.MAX_REPLY
DEFAULT_HOTLINE = "12315"
# The fill-ins are in the language of whoever reads the text: a caller (always Chinese on this
# hotline) or a case's record; so the empty word follows the locale passed, not the screen's.
NONE_WORD = {"zh": "（暂无）", "en": "(none)"}
_VARIABLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Where each screen's picker offers replies from.
SCOPES_FOR = {
    ReplyScope.SMS: (ReplyScope.SMS, ReplyScope.ANY),
    ReplyScope.DESK: (ReplyScope.DESK, ReplyScope.ANY),
}


class ReplyError(ValueError):
    """A reply that cannot be saved: `code` says why, `unknown` lists the variables refused."""

    def __init__(self, code, unknown=()):
        super().__init__(code)
        self.code, self.unknown = code, tuple(unknown)


@dataclass(frozen=True)
class Choice:
    """A reply as a picker offers it for one case: its text already filled."""

    id: int
    title: str
    text: str
    segments: int


# --- reading ---------------------------------------------------------------------------------


def ordered():
    """Every reply, active first, in the supervisors' order."""
    return db.session.scalars(
        select(CannedReply).order_by(CannedReply.active.desc(), CannedReply.position, CannedReply.id)
    ).all()


def list_for(scope):
    """The active replies a screen of `scope` offers (its own and those for any screen), in
    order; scope None: every active reply."""
    stmt = select(CannedReply).where(CannedReply.active.is_(True))
    if scope is not None:
        stmt = stmt.where(CannedReply.scope.in_(SCOPES_FOR.get(ReplyScope(scope), (ReplyScope(scope),))))
    return db.session.scalars(stmt.order_by(CannedReply.position, CannedReply.id)).all()


def get_active(raw_id, scope=None):
    """The active reply with this id (as typed in a form or URL) that a screen of `scope` offers
    (None: any active reply), else None."""
    reply_id = inputs.parse_int(raw_id, 1, inputs.INT_MAX)
    reply = db.session.get(CannedReply, reply_id) if reply_id is not None else None
    if reply is None or not reply.active:
        return None
    if scope is not None and reply.scope not in SCOPES_FOR.get(ReplyScope(scope), (ReplyScope(scope),)):
        return None
    return reply


# --- variables -------------------------------------------------------------------------------


def unknown_variables(body):
    """The names in braces that are not variables, in order of appearance, once each."""
    return list(dict.fromkeys(n for n in _VARIABLE.findall(body or "") if n not in VARIABLES))


def due_date(ticket):
    """The case's nearest running legal deadline (法定期限), or for a case not yet decided whose
    clock has not started the acceptance deadline, as a local date: what the case page's time
    limits panel shows."""
    due = clocks.next_due_at(ticket)
    return to_local(due, current_app.config["HOTLINE_TIMEZONE"]).date() if due else None


def values(ticket, locale="zh"):
    """{variable: its text for `ticket`}: what render fills in."""
    none = NONE_WORD.get(str(locale)[:2], NONE_WORD["zh"])
    due = due_date(ticket) if ticket is not None and ticket.id is not None else None
    department = getattr(ticket, "department", None)
    return {
        "case_number": getattr(ticket, "number", None) or none,
        "due_date": due.isoformat() if due else none,  # as every screen writes a date
        "department": department.name if department is not None else none,
        "hotline": str(current_app.config.get("HOTLINE_NUMBER") or DEFAULT_HOTLINE),
    }


@dataclass(frozen=True)
class Part:
    text: str
    variable: bool


def parts(body):
    """`body` cut into plain text and variables, for a page to set the variables apart."""
    made, at = [], 0
    for match in _VARIABLE.finditer(body or ""):
        if match.start() > at:
            made.append(Part(body[at:match.start()], False))
        made.append(Part(match.group(0), True))
        at = match.end()
    if at < len(body or ""):
        made.append(Part(body[at:], False))
    return made


def _fill(body, filled):
    return _VARIABLE.sub(lambda m: filled.get(m.group(1), m.group(0)), body or "")


def render(body, ticket, locale="zh"):
    """`body` with its variables filled for `ticket`; anything else in braces left as written."""
    return _fill(body, values(ticket, locale))


def choices(ticket, scope, locale="zh"):
    """The active replies of `scope`, each filled for `ticket`: what a picker offers."""
    filled = values(ticket, locale)
    made = []
    for reply in list_for(scope):
        text = _fill(reply.body, filled)
        made.append(Choice(reply.id, reply.title, text, sms_texts.segments(text)))
    return made


def picked_text(raw_id, ticket, scope, locale="zh"):
    """The filled text of the reply chosen in a form's picker (no JavaScript), or None."""
    reply = get_active(raw_id, scope)
    return render(reply.body, ticket, locale) if reply is not None else None


# --- writing ---------------------------------------------------------------------------------


def _clean(title, body, scope):
    title, body = (title or "").strip(), (body or "").strip()
    if not title or not body:
        raise ReplyError("empty")
    if len(title) > MAX_TITLE or len(body) > MAX_BODY:
        raise ReplyError("too-long")
    unknown = unknown_variables(body)
    if unknown:
        raise ReplyError("unknown-variables", unknown)
    return title, body, ReplyScope(scope)


def create(title, body, scope, actor, active=True, ip=None):
    """A new reply, last in the order."""
    title, body, scope = _clean(title, body, scope)
    last = db.session.scalar(select(func.max(CannedReply.position))) or 0
    reply = CannedReply(title=title, body=body, scope=scope, active=bool(active), position=last + 1,
                        updated_by_id=getattr(actor, "id", None))
    db.session.add(reply)
    db.session.flush()
    audit.record(actor, "canned_reply.create", "canned_reply", reply.id, ip=ip, title=title, scope=scope.value)
    return reply


def update(reply, title, body, scope, actor, active=True, ip=None):
    title, body, scope = _clean(title, body, scope)
    changed = [name for name, value in (("title", title), ("body", body), ("scope", scope), ("active", bool(active)))
               if getattr(reply, name) != value]
    reply.title, reply.body, reply.scope, reply.active = title, body, scope, bool(active)
    reply.updated_by_id = getattr(actor, "id", None)
    db.session.flush()
    if changed:
        audit.record(actor, "canned_reply.update", "canned_reply", reply.id, ip=ip, changed=changed)
    return reply


def deactivate(reply, actor, ip=None):
    """Out of every picker; kept, and active again by editing it."""
    if reply.active:
        reply.active = False
        reply.updated_by_id = getattr(actor, "id", None)
        db.session.flush()
        audit.record(actor, "canned_reply.deactivate", "canned_reply", reply.id, ip=ip)
    return reply


def move(reply, step, actor, ip=None):
    """Move `reply` one place up (step -1) or down (+1) among all replies; positions are
    renumbered 1..n on the way, so ties and gaps left by earlier rows never stall a move."""
    rows = list(db.session.scalars(select(CannedReply).order_by(CannedReply.position, CannedReply.id)))
    at = rows.index(reply)
    to = at + (1 if step > 0 else -1)
    if not 0 <= to < len(rows):
        return False
    rows[at], rows[to] = rows[to], rows[at]
    for position, row in enumerate(rows, start=1):
        row.position = position
    db.session.flush()
    audit.record(actor, "canned_reply.move", "canned_reply", reply.id, ip=ip, position=reply.position)
    return True


# --- defaults --------------------------------------------------------------------------------

DEFAULTS = (
    ("受理告知", ReplyScope.SMS,
     "您好，您反映的问题已登记，案件编号{case_number}。我们将在规定时限内告知您是否受理，"
     "如需补充请回复本短信。"),
    ("转办告知", ReplyScope.ANY,
     "您好，您的案件（编号{case_number}）已转{department}办理，承办单位将与您联系。如有疑问请致电{hotline}。"),
    ("办理时限", ReplyScope.ANY,
     "您好，您的案件（编号{case_number}）正在办理中，当前办理期限为{due_date}，届时将告知您处理结果。"),
    ("补充材料", ReplyScope.ANY,
     "您好，为办理您的案件（编号{case_number}），请补充购物凭证、聊天记录或商品照片等材料，"
     "可回复本短信或致电{hotline}提供。"),
    ("不予受理说明", ReplyScope.SMS,
     "您好，经审查，您反映的问题（编号{case_number}）不属于市场监管部门的受理范围，不予受理。"
     "如有疑问请致电{hotline}咨询。"),
    ("已联系商家", ReplyScope.DESK,
     "已电话联系被投诉方，告知消费者诉求，商家表示将于三个工作日内答复。"),
)


def seed_defaults():
    """The default replies, once: only into an empty table, so a deployment's own list (edited,
    deactivated or emptied on purpose) is never added to. Returns how many rows were added."""
    if db.session.scalar(select(func.count(CannedReply.id))):
        return 0
    for position, (title, scope, body) in enumerate(DEFAULTS, start=1):
        db.session.add(CannedReply(title=title, body=body, scope=scope, position=position))
    db.session.flush()
    return len(DEFAULTS)
