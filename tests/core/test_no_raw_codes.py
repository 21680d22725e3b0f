"""The Chinese console says everything in words: no stored code, no English.

Every role signs in with the zh locale and every GET page it can open without URL parameters is
rendered, plus the case pages of demo cases carrying calls, texts, evidence, a callback visit and
an intake save. The visible text (no <script>, <style>, tags, nor what sits inside a <details>
toggle) must hold no value of the project's enums and codes as a standalone word, and no run of
ASCII letters at all except the few names in ALLOWED (docs/DECISIONS.md, "Say it in words").
"""

import enum
import re
from html.parser import HTMLParser
from io import BytesIO

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from hotline import models, outbox, tickets
from hotline.demo import DEMO_USERS, seed_demo
from hotline.extensions import db
from hotline.models import CaseResult, Channel, Contact, Direction, Ticket, TicketStatus, User
from tests.console.test_translations import PO, POT, _untranslated

# Words a Chinese hotline's screens keep as they are, each for a reason: "English" names the other
# language on the language switch (for whoever cannot read Chinese); Twilio is the provider's name
# and GeoReport the Open311 standard's; CX is the SMS command a caller types; and the acronyms and
# units a Chinese UI writes in Latin letters (API, CSV, JSON, PDF, KB, MB, and Webhook, which Chinese
# products leave untranslated); and keys as printed on the keyboard (the intake form's shortcuts).
ALLOWED = {"English", "Twilio", "GeoReport", "CX", "API", "CSV", "JSON", "PDF", "KB", "MB", "Webhook",
           "Ctrl", "Alt", "Enter"}
# Codes written by services that are not enums: event types, reasons, SMS purposes, outcomes,
# Twilio call states. Every enum of hotline.models is added below.
CODES = {
    "bridged", "ringing", "completed", "hangup", "voice_menu", "answered_the_call", "caller_id",
    "accept_notice", "reject_notice", "ack", "referral", "result_notice", "survey_reply", "optout",
    "optin", "satisfied", "unsatisfied", "not_reached", "handled", "low_score", "queued",
    "in-progress", "no-answer", "busy", "failed", "canceled",
}
# Pages that are not for people to read (feeds, files, pings) or that act on GET.
SKIP = ("/static", "/api/", "/twilio", "/open311", "/healthz", "/logout", "/metrics", "/queue/current-call",
        "/queue/panel", "/dev/")
# Identifiers a page may show as they are: case numbers, SIDs, masked phones, times, sums, URLs
# (anything with a digit), setting names (ROUTING_PLATFORM_REGIONS), file names (receipt.pdf) and
# the {number} placeholder an SMS text is written with.
CODE_LIKE = re.compile(r"^([\w.+*:/#@-]*\d[\w.+*:/#@-]*|[A-Z]+(_[A-Z]+)+|[\w-]+\.[a-z0-9]{2,5}|\{\w+\})$")
WORD = re.compile(r"[A-Za-z]{2,}")


def _enum_values():
    values = set()
    for thing in vars(models).values():
        if isinstance(thing, type) and issubclass(thing, enum.Enum) and thing is not enum.Enum:
            values |= {str(member.value) for member in thing}
    return values


class _Text(HTMLParser):
    """The text a person reads (`parts`): no script or style; no contents of a closed <details>
    toggle (its <summary> is read) nor of <code>, which marks what is typed as is (a username, a
    URL). What a toggle holds is kept apart (`tucked`): it may show an identifier, never a code."""

    HIDDEN = {"script", "style", "template"}

    def __init__(self):
        super().__init__()
        self.parts, self.tucked = [], []
        self._hidden, self._code, self._details, self._summary = 0, 0, 0, 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self._hidden += 1
        elif tag == "code":
            self._code += 1
        elif tag == "details":
            self._details += 1
        elif tag == "summary":
            self._summary += 1

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self._hidden = max(self._hidden - 1, 0)
        elif tag == "code":
            self._code = max(self._code - 1, 0)
        elif tag == "details":
            self._details = max(self._details - 1, 0)
        elif tag == "summary":
            self._summary = max(self._summary - 1, 0)
        self.parts.append(" ")
        self.tucked.append(" ")

    def handle_data(self, data):
        if self._hidden or self._code:
            return
        if self._details and not self._summary:
            self.tucked.append(data)
        else:
            self.parts.append(data)


def visible_text(html, tucked=False):
    """The page's visible text, or (tucked=True) what its toggles hold."""
    parser = _Text()
    parser.feed(html)
    return " ".join("".join(parser.tucked if tucked else parser.parts).split())


def raw_words(text, codes, words=True):
    """The standalone codes (and, unless words=False, English words) in `text`."""
    found = []
    for token in re.split(r"[\s,，。;；:：()（）\[\]【】「」“”\"'·→|<>=?!？！、]+", text):
        token = token.strip(".-_*")
        if token in codes:
            found.append(token)
        elif words and token and not CODE_LIKE.match(token):
            found += [w for w in WORD.findall(token) if w not in ALLOWED]
    return found


def _enrich(app):
    """Give a few demo cases what the timeline shows: texts of every purpose, a call with its
    Twilio states and SID, evidence, an intake save of several fields, a callback visit."""
    from followup import callback_visits
    from intake import evidence

    operator = db.session.scalar(select(User).where(User.username == "operator1"))
    supervisor = db.session.scalar(select(User).where(User.username == "supervisor"))
    cases = list(db.session.scalars(select(Ticket).order_by(Ticket.id)))
    first = cases[0]
    for purpose in ("accept_notice", "ack", "status", "referral", "result_notice", "forwarded", "reply"):
        outbox.queue_sms(first.caller.phone, "您的案件已受理。", purpose, ticket=first, legal=True)
    db.session.add(Contact(channel=Channel.VOICE, direction=Direction.INBOUND, ticket=first, caller=first.caller,
                           from_number=first.caller.phone, to_number="+8610012315",
                           sid="CA0123456789abcdef0123456789abcdef", status="ringing", queue_result="bridged",
                           end_reason="voice_menu"))
    tickets.update_fields(first, {"summary": "新摘要", "demand": "退款", "assigned_to_id": supervisor.id,
                                  "identity_level": "caller_id"}, actor=operator)
    tickets.update_fields(first, {"kind": "report"}, reason="voice menu")  # as hotline.calls records it
    tickets.update_fields(cases[2], {"reject_ground": "out_of_scope", "reject_reason": "非生活消费"}, actor=operator)
    upload = evidence.check_upload("receipt.pdf", BytesIO(b"%PDF-1.4\n" + b"0" * 89 + b"\n%%EOF"))
    assert upload.refused is None, upload.refused
    evidence.attach_file(first, upload, operator, evidence.storage_dir())
    resolved = next(t for t in cases[1:] if t.caller and t.status in (TicketStatus.FORWARDED, TicketStatus.IN_PROGRESS))
    resolved.result = CaseResult.MEDIATED
    tickets.record_event(resolved, "result", operator, to_value=CaseResult.MEDIATED.value, reason="退款 200 元")
    tickets.change_status(resolved, TicketStatus.RESOLVED, actor=operator)  # followup schedules the visit
    tickets.record_event(resolved, "appeal_opened", operator, to_value="department", reason="appeal")
    visit = callback_visits.open_visit(resolved)
    callback_visits.record_outcome(visit, "satisfied", operator, note="很满意")
    db.session.commit()
    return [first.number, resolved.number] + [t.number for t in cases[1:4]], visit.id


@pytest.fixture
def demo(app, tmp_path):
    app.config["EVIDENCE_DIR"] = str(tmp_path)
    seed_demo(n_cases=20)
    db.session.commit()
    return _enrich(app)


def _department_cases():
    """A few cases on the demo department's desk (dept1 is MS01's)."""
    dept = db.session.scalar(select(User).where(User.username == "dept1")).department
    found = [t.number for t in db.session.scalars(select(Ticket).where(Ticket.department == dept).limit(3))]
    assert found, "the demo department has no case to show"
    return found


def _pages(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith(SKIP):
            yield rule.rule


def _scan(client, url, codes):
    response = client.get(url, headers={"Accept-Language": "zh"})
    if response.status_code != 200 or "text/html" not in response.content_type:
        return []
    html = response.get_data(as_text=True)
    # The browser draws its own box for these, in its own language: mm/dd/yyyy, "Choose Files".
    browser_words = [f"<input type={kind}>" for kind in ("date", "datetime-local", "month", "week")
                     if re.search(rf'<input[^>]*\btype="{kind}"', html)]
    # An example web address is typed as it is, in any language.
    placeholders = re.sub(r"https?://\S+", " ", " ".join(re.findall(r'placeholder="([^"]*)"', html)))
    return (raw_words(visible_text(html), codes) + raw_words(visible_text(html, tucked=True), codes, words=False)
            + raw_words(placeholders, codes) + browser_words)


@pytest.mark.parametrize("username", [u for u, *_ in DEMO_USERS if u != "operator2"])
def test_no_page_shows_a_code_or_an_english_word(app, client, demo, username):
    numbers, visit_id = demo
    password = next(p for u, p, *_ in DEMO_USERS if u == username)
    client.post("/lang/zh")
    assert client.post("/login", data={"username": username, "password": password}).status_code == 302
    client.post("/lang/zh")
    # People by name: a login name (operator1) is a code too, except where it is typed (<code>).
    codes = _enum_values() | CODES | {u for u, *_ in DEMO_USERS}
    urls = list(_pages(app)) + [f"/followup/callbacks/{visit_id}", "/routing/rules/1", "/routing/departments/1",
                                "/referrals/directory/1", "/admin/users/1/edit", "/intake/rules/1",
                                # the lists behind the wall's and the reports' numbers
                                "/dashboard/late?which=overdue", "/dashboard/late?which=due_today",
                                "/dashboard/operators?state=away", "/reports/calls/list?figure=answered",
                                "/reports/calls/list?figure=abandoned", "/reports/cases/list?figure=cases.received"]
    for number in numbers + _department_cases():
        urls += [f"/tickets/{number}", f"/desk/tickets/{number}", f"/referrals/tickets/{number}",
                 f"/intake/tickets/{number}"]
    found = {}
    for url in urls:
        words = _scan(client, url, codes)
        if words:
            found[url] = sorted(set(words))
    assert found == {}, "raw codes or English on the zh pages:\n" + "\n".join(f"{u}: {w}" for u, w in found.items())


def test_english_pages_show_no_code_either(app, client, demo):
    """In English a label may read like its code ("New"), so only codes no word looks like
    (snake_case, hyphenated) are looked for."""
    numbers, visit_id = demo
    client.post("/login", data={"username": "supervisor", "password": "super-demo-pass"})
    client.post("/lang/en")
    codes = {c for c in _enum_values() | CODES if "_" in c or "-" in c}
    found = {}
    for url in [f"/tickets/{n}" for n in numbers] + [f"/followup/callbacks/{visit_id}", "/followup/jobs"]:
        html = client.get(url).get_data(as_text=True)
        words = raw_words(visible_text(html), codes, words=False)
        if words:
            found[url] = sorted(set(words))
    assert found == {}


def test_the_sign_in_page_is_chinese(client):
    response = client.get("/my", headers={"Accept-Language": "zh"}, follow_redirects=True)
    assert raw_words(visible_text(response.get_data(as_text=True)), _enum_values() | CODES) == []


def test_every_extracted_message_has_a_chinese_translation():
    with POT.open("rb") as handle:
        template = {m.id for m in read_po(handle) if m.id}
    with PO.open("rb") as handle:
        catalog = {m.id: m for m in read_po(handle) if m.id}
    missing = sorted(str(i) for i in template if i not in catalog or _untranslated(catalog[i]))
    assert missing == [], f"{len(missing)} messages without a zh translation: {missing[:20]}"


def _literals(function, position):
    """The string constants the source passes to `function` (by name) as argument `position`."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    found = set()
    for package in ("hotline", "intake", "routing", "followup"):
        for path in (root / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                name = getattr(getattr(node, "func", None), "attr", None) or getattr(getattr(node, "func", None), "id", None)
                if isinstance(node, ast.Call) and name == function and len(node.args) > position:
                    arg = node.args[position]
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        found.add(arg.value)
    return found


def test_every_code_the_services_write_has_a_label(app):
    """A new event type, SMS purpose or enum member without a label fails here, before a page
    shows it raw."""
    from hotline.console import labels

    for enum_type, table in ((models.TicketStatus, labels.STATUS), (models.TicketKind, labels.KIND),
                             (models.Channel, labels.CHANNEL), (models.Role, labels.ROLE),
                             (models.Availability, labels.AVAILABILITY), (models.Direction, labels.DIRECTION)):
        assert set(enum_type) <= set(table), enum_type
    events = _literals("record_event", 1)
    events |= {f"callback_{s.value}" for s in models.FollowUpStatus if s != models.FollowUpStatus.SCHEDULED}
    assert events - set(labels.EVENT) == set()
    purposes = _literals("queue_sms", 2) | _literals("_notify", 2)
    assert {"ack", "accept_notice", "result_notice"} <= purposes, "the source scan finds the purposes"
    assert purposes - set(labels.PURPOSE) == set()
