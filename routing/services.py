"""Routing services: where an accepted case goes, forwarding it, and the rules and departments
supervisors maintain. Matching itself is pure (routing.rule_matching); this module feeds it rows.

Services flush; the view (or the caller's view) commits once.
"""

from dataclasses import dataclass
from functools import cache

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from hotline import audit, tickets
from hotline.access import notice_phone
from hotline.deadlines import clocks
from hotline.extensions import db
from hotline.models import (
    Category,
    CategoryGroup,
    Clock,
    ClockKind,
    ClockState,
    Department,
    RoutingRule,
    RoutingRuleChange,
    RuleAction,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from hotline.outbox import queue_sms
from hotline.tickets import change_status, record_event
from hotline.timeutil import now
from routing import divisions
from routing import rule_matching as matching
from routing.texts import forwarded_text

RULE_FIELDS = ("name", "position", "active", "kind", "category_id", "problem_type_id", "region",
               "division", "keywords", "respondent", "department_id", "action")
# The events that end or replace a routing suggestion, newest wins.
ROUTING_EVENTS = ("routing_suggested", "routing_triage", "forwarded")
TRIAGE_LIMIT = 200
MAX_INSTRUCTIONS = 2000
# A rule's fields as the console's form and the API take them (RuleForm, routing/api.py).
MAX_RULE_NAME, MAX_RULE_REGION, MAX_RULE_RESPONDENT = 200, 100, 200
MAX_RULE_KEYWORDS = 5000  # all the keywords, one a line
MAX_RULE_REASON = 500  # why the rule changes (edit, move, switch on or off)


class ReasonRequired(ValueError):
    """Every change to a routing rule must say why."""


class NotRoutable(ValueError):
    """Only an ACCEPTED case is routed."""


@dataclass(frozen=True)
class RoutingOutcome:
    """Where an accepted case went: AUTO forwarded it, ASK suggested the department,
    action None left it in triage (no rule, the catch-all, or an inactive department)."""

    rule: RoutingRule | None
    department: Department | None
    action: RuleAction | None
    decision: matching.Decision | None = None

    @property
    def forwarded(self):
        return self.action == RuleAction.AUTO


@dataclass(frozen=True)
class Suggestion:
    """A department for an accepted case, waiting for the operator's one click: an ASK rule's
    (its event), or the one the current rules name for a case left in triage."""

    department: Department
    rule: RoutingRule | None
    rule_version: int | None
    event: TicketEvent | None = None
    region: str | None = None  # where the business is, as the rule saw it

    @property
    def reason(self):
        """The rule that names the department, as "name (vN)"."""
        return self.event.reason if self.event is not None else _rule_label(self.rule)


@dataclass(frozen=True)
class TriageRow:
    """One accepted case in the triage list: its forwarding deadline and where it should go."""

    ticket: Ticket
    suggestion: Suggestion | None
    due_at: object | None  # the FORWARD clock's due time (naive UTC), None without a clock
    overdue: bool
    returned: TicketEvent | None = None  # the department's 退单, when that is why the case is back here
    estimated: bool = False  # the due time was counted partly without the official calendar

    @property
    def returned_by(self):
        """The id of the department that sent the case back, or None."""
        value = self.returned.from_value if self.returned is not None else None
        return int(value) if value and value.isdigit() else None

    @property
    def preselected(self):
        """The department the list chooses for one-click forwarding: the suggestion, unless it is
        the department that just sent the case back (one click would send it straight back)."""
        if self.suggestion is None or self.suggestion.department.id == self.returned_by:
            return None
        return self.suggestion.department


# --- matching against the stored rules --------------------------------------------------


@cache
def _default_platforms():
    return matching.load_platform_regions()


def platform_regions():
    """Platform -> region: the config's ROUTING_PLATFORM_REGIONS, else the shipped data."""
    return current_app.config.get("ROUTING_PLATFORM_REGIONS") or _default_platforms()


def all_rules():
    """Every rule in the order they are tried."""
    return db.session.scalars(
        select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id)
        .options(selectinload(RoutingRule.department), selectinload(RoutingRule.category),
                 selectinload(RoutingRule.problem_type))
    ).all()


def category_ids(category):
    """The category and its parents: a rule on a parent covers its children."""
    found, seen = set(), 0
    while category is not None and seen < 10:
        found.add(category.id)
        category, seen = category.parent, seen + 1
    return frozenset(found)


def case_of(ticket):
    """What the rules look at in a stored case."""
    return matching.Case(
        kind=str(ticket.kind) if ticket.kind else None,
        category_ids=category_ids(ticket.category),
        problem_type_id=ticket.problem_type_id,
        respondent_region=ticket.respondent_region,
        respondent_division=ticket.respondent_division,
        platform=ticket.platform,
        respondent_name=ticket.respondent_name,
        seller=ticket.seller,
        text="\n".join(filter(None, (ticket.summary, ticket.facts))),
    )


def sample_case(text, kind=None, category=None, problem_type=None, region=None, respondent=None, platform=None):
    """A case made from the tester's fields; `region` is an address or a region's name, read
    as the intake form reads the respondent's address."""
    return matching.Case(
        kind=kind or None, category_ids=category_ids(category),
        problem_type_id=problem_type.id if problem_type else None,
        respondent_region=region or None, respondent_division=division_of(region),
        platform=platform or None, respondent_name=respondent or None, text=text or "",
    )


def home_division():
    """The hotline's own area (HOME_DIVISION): where a district name typed alone is looked for first."""
    return current_app.config.get("HOME_DIVISION") or None


def division_of(text):
    """The division an address or a region's name points to, or None."""
    if not (text or "").strip():
        return None
    return divisions.from_name(text, home_division()) or divisions.from_address(text, home_division())


def place_respondent(ticket, actor):
    """A case that reached routing with the business's address but no division (an API or
    Open311 filing, a case from before division codes) gets the division its address names."""
    if ticket.respondent_division or not (ticket.respondent_address or "").strip():
        return None
    code = divisions.from_address(ticket.respondent_address, home_division())
    if code is not None:
        tickets.update_fields(ticket, {"respondent_division": code,
                                       "respondent_region": divisions.full_name(code)}, actor)
    return code


def decide(case, rules=None):
    """The routing decision for `case` under `rules` (default: the stored ones)."""
    return matching.decide(case, all_rules() if rules is None else rules, platform_regions())


# --- routing and forwarding -------------------------------------------------------------


def route_accepted(ticket, actor):
    """Apply the rules to an accepted case: forward (AUTO), suggest (ASK) or leave in triage."""
    if ticket.status != TicketStatus.ACCEPTED:
        raise NotRoutable(f"case {ticket.number} is {ticket.status.value}, not accepted")
    place_respondent(ticket, actor)
    decision = decide(case_of(ticket))
    rule = decision.rule
    department = db.session.get(Department, rule.department_id) if rule and rule.department_id else None
    if department is None or not department.active:
        _triage_event(ticket, actor, decision, department)
        return RoutingOutcome(rule, None, None, decision)
    if rule.action == RuleAction.AUTO:
        forward(ticket, department, actor, rule=rule)
        return RoutingOutcome(rule, department, RuleAction.AUTO, decision)
    record_event(ticket, "routing_suggested", actor, to_value=department.name, reason=_rule_label(rule),
                 data={**_rule_data(rule), "department_id": department.id, "why": _why(decision)})
    db.session.flush()
    return RoutingOutcome(rule, department, RuleAction.ASK, decision)


def _triage_event(ticket, actor, decision, inactive_department):
    data = {**_rule_data(decision.rule), "why": _why(decision)}
    if inactive_department is not None:
        data["inactive_department_id"] = inactive_department.id
    record_event(ticket, "routing_triage", actor, reason=_rule_label(decision.rule), data=data)
    db.session.flush()


def _rule_label(rule):
    return f"{rule.name} (v{rule.version})" if rule is not None else None


def _rule_data(rule):
    return {"rule_id": rule.id, "rule_version": rule.version} if rule is not None else {"rule_id": None}


def _why(decision):
    region = decision.region
    return {
        "region": region.value, "region_code": region.code, "region_source": region.source,
        "platform": region.platform,
        "checks": [{"condition": c.condition, "wanted": c.wanted, "found": c.found} for c in decision.checks],
    }


def forward(ticket, department, actor, rule=None, rule_version=None, instructions=None):
    """Send an accepted case to `department`: FORWARDED, the FORWARD clock stopped, the
    complainant told by SMS (unless it is the department they were told of last); the rule
    (and version) that routed it recorded, and the instructions the department reads first: on
    the case while it holds it, and on this forward's event for the history."""
    instructions = (instructions or "").strip() or None
    # The department the complainant was last told of (a returned case no longer names it):
    # a re-forward there tells them nothing new, so no second, identical notice.
    told = db.session.scalar(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.type == "forwarded")
        .order_by(TicketEvent.id.desc()).limit(1))
    changed = told is None or (told.data or {}).get("department_id") != department.id
    change_status(ticket, TicketStatus.FORWARDED, actor, reason=department.name)
    ticket.department = department
    ticket.forwarded_at = now()
    ticket.forward_instructions = instructions
    ticket.routed_by_rule_id = rule.id if rule is not None else None
    ticket.routed_rule_version = (rule_version or rule.version) if rule is not None else None
    record_event(ticket, "forwarded", actor, to_value=department.name,
                 reason=_rule_label(rule) if rule is not None else None,
                 data={"department_id": department.id, "rule_id": ticket.routed_by_rule_id,
                       "rule_version": ticket.routed_rule_version, "instructions": instructions})
    clocks.stop_clock(ticket, ClockKind.FORWARD, actor=actor)
    if changed:
        notify_forwarded(ticket, department, actor)
    db.session.flush()
    return ticket


def notify_forwarded(ticket, department, actor):
    """The legally required notice naming the department; none for an anonymous case."""
    phone = notice_phone(ticket)
    if phone is None:
        return None
    body = forwarded_text(ticket.kind, ticket.number, department.name, department.contact_phone,
                          department.working_hours)
    return queue_sms(phone, body, "forwarded", ticket=ticket, legal=True, actor=actor)


def latest_suggestion(ticket):
    """The pending ASK suggestion of an accepted case, or None."""
    if ticket.status != TicketStatus.ACCEPTED:
        return None
    event = db.session.scalar(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.type.in_(ROUTING_EVENTS))
        .order_by(TicketEvent.id.desc()).limit(1)
    )
    return _suggestion_from(event)


def _suggestion_from(event):
    if event is None or event.type != "routing_suggested" or not event.data:
        return None
    department = db.session.get(Department, event.data.get("department_id") or 0)
    if department is None or not department.active:
        return None
    rule = db.session.get(RoutingRule, event.data.get("rule_id") or 0)
    return Suggestion(department, rule, event.data.get("rule_version"), event)


def forward_chosen(ticket, department, actor, instructions=None):
    """The operator's forward: credited to the suggesting rule when they took its department
    (a pending ASK suggestion, else the rule that names this department now)."""
    if len((instructions or "").strip()) > MAX_INSTRUCTIONS:
        raise ValueError(f"instructions are at most {MAX_INSTRUCTIONS} characters")
    suggestion = latest_suggestion(ticket) or current_suggestion(ticket)
    if suggestion is not None and suggestion.department.id == department.id and suggestion.rule is not None:
        return forward(ticket, department, actor, rule=suggestion.rule, rule_version=suggestion.rule_version,
                       instructions=instructions)
    return forward(ticket, department, actor, instructions=instructions)


def current_suggestion(ticket, rules=None):
    """What the rules say now for a case waiting in triage (they may have changed since it was
    accepted, or it came back from a department): a Suggestion when a rule names an active
    department, else None."""
    decision = decide(case_of(ticket), rules)
    rule = decision.rule
    department = rule.department if rule is not None and rule.department_id else None
    if department is None or not department.active:
        return None
    return Suggestion(department, rule, rule.version, None, decision.region.value)


def triage_cases(limit=TRIAGE_LIMIT, at=None):
    """Accepted cases waiting to be forwarded, oldest first: each with the department to
    forward it to (a pending ASK suggestion, else what the rules say now) and its deadline."""
    cases = db.session.scalars(
        select(Ticket).where(Ticket.status == TicketStatus.ACCEPTED)
        .order_by(func.coalesce(Ticket.accepted_at, Ticket.created_at), Ticket.id)
        .options(selectinload(Ticket.category), selectinload(Ticket.caller))
        .limit(limit)
    ).all()
    if not cases:
        return []
    ids = [t.id for t in cases]
    events = db.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id.in_(ids), TicketEvent.type.in_(ROUTING_EVENTS))
        .order_by(TicketEvent.id)
    )
    latest = {event.ticket_id: event for event in events}
    # Back from a department (退单): the latest return, unless the case was forwarded again since.
    returned = {event.ticket_id: event for event in db.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id.in_(ids), TicketEvent.type == "returned")
        .order_by(TicketEvent.id))}
    due = {ticket_id: (due_at, estimated) for ticket_id, due_at, estimated in db.session.execute(
        select(Clock.ticket_id, Clock.due_at, Clock.estimated)
        .where(Clock.ticket_id.in_(ids), Clock.kind == ClockKind.FORWARD, Clock.state == ClockState.RUNNING)
    ).all()}
    rules, moment = all_rules(), at or now()
    rows = []
    for ticket in cases:
        suggestion = _suggestion_from(latest.get(ticket.id)) or current_suggestion(ticket, rules)
        due_at, estimated = due.get(ticket.id, (None, False))
        back = returned.get(ticket.id)
        if back is not None and latest.get(ticket.id) is not None and latest[ticket.id].id > back.id \
                and latest[ticket.id].type == "forwarded":
            back = None
        rows.append(TriageRow(ticket, suggestion, due_at, due_at is not None and due_at < moment, back,
                              bool(estimated)))
    return rows


def department_names():
    """{id: name} of every department, inactive ones too (a case may name one that has closed)."""
    return dict(db.session.execute(select(Department.id, Department.name)).all())


def active_departments():
    """Departments a case can be forwarded to, by code."""
    return db.session.scalars(
        select(Department).where(Department.active.is_(True)).order_by(Department.code)
    ).all()


def departments_for(ticket):
    """Active departments, those handling the case's category first."""
    handles = category_ids(ticket.category)
    departments = db.session.scalars(
        select(Department).where(Department.active.is_(True)).order_by(Department.code)
        .options(selectinload(Department.categories))
    ).all()
    return sorted(departments, key=lambda d: not any(c.id in handles for c in d.categories))


# --- editing rules, with history ---------------------------------------------------------


def snapshot(rule):
    """The fields of a rule a change is recorded with (JSON-ready)."""
    values = {name: getattr(rule, name) for name in RULE_FIELDS}
    values["kind"] = str(values["kind"]) if values["kind"] else None
    values["action"] = str(values["action"]) if values["action"] else None
    return values


def _require_reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired("a change to a routing rule needs a reason")
    return reason


def _record_change(rule, actor, reason, before):
    """Bump the version and keep who, when, why, before and after."""
    rule.version = (rule.version or 0) + 1 if before is not None else 1
    rule.updated_at = now()
    db.session.flush()
    change = RoutingRuleChange(rule_id=rule.id, version=rule.version, user_id=getattr(actor, "id", None),
                               reason=reason, before=before, after=snapshot(rule))
    db.session.add(change)
    db.session.flush()
    return change


def _clean(changes):
    """Form values as the columns store them."""
    cleaned = dict(changes)
    if "kind" in cleaned:
        cleaned["kind"] = TicketKind(cleaned["kind"]) if cleaned["kind"] else None
    if "action" in cleaned:
        cleaned["action"] = RuleAction(cleaned["action"] or RuleAction.AUTO)
    for name in ("region", "respondent"):
        if name in cleaned:
            cleaned[name] = (cleaned[name] or "").strip() or None
    if "division" in cleaned:
        # A division replaces a text region; its full name is kept beside the code for display.
        cleaned["division"] = divisions.checked(cleaned["division"])
        if cleaned["division"]:
            cleaned["region"] = divisions.full_name(cleaned["division"])
    if "name" in cleaned:
        cleaned["name"] = (cleaned["name"] or "").strip()
    if "keywords" in cleaned:
        lines = (line.strip() for line in (cleaned["keywords"] or "").splitlines())
        cleaned["keywords"] = "\n".join(dict.fromkeys(line for line in lines if line)) or None
    return cleaned


def create_rule(changes, actor, reason, position=None):
    """A new rule, placed just above a trailing catch-all so it can ever be reached (or at
    `position`, room already made there)."""
    reason = _require_reason(reason)
    rule = RoutingRule(**{"active": True, "action": RuleAction.AUTO, **_clean(changes)})
    rule.position = position if position is not None else _room_before_catch_all(actor, reason)
    db.session.add(rule)
    _record_change(rule, actor, reason, None)
    return rule


def _room_before_catch_all(actor, reason, count=1):
    """The position for `count` new rules; a catch-all at the end moves down to make room."""
    rules = all_rules()
    if not rules:
        return 1
    last = rules[-1]
    if not matching.is_catch_all(last):
        return last.position + 1
    position = last.position
    before = snapshot(last)
    last.position = position + count
    _record_change(last, actor, reason, before)
    return position


def update_rule(rule, changes, actor, reason):
    """Change a rule's conditions or target; None when nothing changed (no new version)."""
    reason = _require_reason(reason)
    before = snapshot(rule)
    for name, value in _clean(changes).items():
        setattr(rule, name, value)
    if snapshot(rule) == before:
        return None
    return _record_change(rule, actor, reason, before)


def set_active(rule, active, actor, reason):
    """Switch a rule on or off; None when it already was."""
    return update_rule(rule, {"active": bool(active)}, actor, reason)


def move_rule(rule, direction, actor, reason):
    """Swap a rule with its neighbour above (direction -1) or below (+1); both get a version."""
    reason = _require_reason(reason)
    rules = all_rules()
    index = next(i for i, r in enumerate(rules) if r.id == rule.id)
    other_index = index + (-1 if direction < 0 else 1)
    if not 0 <= other_index < len(rules):
        return []
    _renumber(rules)
    other = rules[other_index]
    before = {r.id: snapshot(r) for r in (rule, other)}
    rule.position, other.position = other.position, rule.position
    return [_record_change(r, actor, reason, before[r.id]) for r in (rule, other)]


def _renumber(rules):
    """Make positions distinct (1, 2, ...) without changing the order, so a swap is a real move.
    Silent: the order is unchanged, so no rule behaves differently."""
    for number, rule in enumerate(rules, start=1):
        rule.position = number


def history(rule):
    """The rule's changes, newest first."""
    return db.session.scalars(
        select(RoutingRuleChange).where(RoutingRuleChange.rule_id == rule.id)
        .options(selectinload(RoutingRuleChange.user))
        .order_by(RoutingRuleChange.version.desc(), RoutingRuleChange.id.desc())
    ).all()


def draft_of(rule, changes):
    """The rule as it would be saved with `changes`, for the tester; not stored."""
    values = snapshot(rule) if rule is not None else {"active": True, "action": "auto"}
    values.update({k: (str(v) if k in ("kind", "action") and v else v) for k, v in _clean(changes).items()})
    if rule is None:
        values["position"] = _new_position_preview()
    return matching.Draft(id=rule.id if rule is not None else None,
                          version=(rule.version + 1) if rule is not None else 1, **values)


def _new_position_preview():
    rules = all_rules()
    if not rules:
        return 1
    last = rules[-1]
    # Same position as a trailing catch-all, but tried first (id None sorts before it).
    return last.position if matching.is_catch_all(last) else last.position + 1


# --- departments -------------------------------------------------------------------------

DEPARTMENT_FIELDS = ("code", "name", "region", "contact_phone", "working_hours", "description",
                     "sms_lead", "active")
# A department's fields as the console's form and the API take them (DepartmentForm, routing/api.py).
MAX_DEPARTMENT_CODE, MAX_DEPARTMENT_NAME, MAX_DEPARTMENT_REGION = 32, 200, 100
MAX_DEPARTMENT_PHONE, MAX_DEPARTMENT_DESCRIPTION = 32, 2000
DEPARTMENT_CODE = r"^[0-9A-Za-z_-]+$"
WORKING_HOURS = r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$"  # HH:MM-HH:MM
MAX_WORKING_HOURS = len("08:30-17:30")


def department_snapshot(department):
    values = {name: getattr(department, name) for name in DEPARTMENT_FIELDS}
    values["categories"] = sorted(c.code for c in department.categories)
    return values


def save_department(department, changes, categories, actor, ip=None):
    """Create (department None) or change a department, audited with before and after."""
    before = department_snapshot(department) if department is not None else None
    if department is None:
        department = Department()
        db.session.add(department)
    for name, value in changes.items():
        setattr(department, name, value.strip() or None if isinstance(value, str) else value)
    department.categories = list(categories)
    db.session.flush()
    after = department_snapshot(department)
    if before != after:
        audit.record(actor, "department_saved", "department", department.id, ip=ip, before=before, after=after)
    return department


def handled_category(code):
    """The category a department may handle (handled_categories) with `code`, or None."""
    return db.session.scalar(
        select(Category).where(Category.code == code, Category.active.is_(True), Category.parent_id.is_not(None),
                               Category.group != CategoryGroup.PROBLEM))


def rule_category(code, *groups):
    """The active category of `groups` with `code` that a rule may name (the form's choices), or None."""
    return db.session.scalar(
        select(Category).where(Category.code == code, Category.active.is_(True), Category.group.in_(groups)))


def code_taken(code, department=None):
    """Whether another department already uses `code`."""
    found = db.session.scalar(select(Department).where(Department.code == code.strip()))
    return found is not None and (department is None or found.id != department.id)


def departments():
    """Every department, by code, with its categories."""
    return db.session.scalars(
        select(Department).order_by(Department.active.desc(), Department.code)
        .options(selectinload(Department.categories))
    ).all()


def handled_categories():
    """Categories a department may handle: goods and services classes (not problem types)."""
    return db.session.scalars(
        select(Category).where(Category.active.is_(True), Category.parent_id.is_not(None),
                               Category.group != CategoryGroup.PROBLEM)
        .order_by(Category.code)
    ).all()


# --- the default rule set ----------------------------------------------------------------

SEED_REASON = "默认规则（初始数据 {key}）"


def seed_key(reason):
    """The default rule's key a change was seeded under (the history shows it as an id), or None."""
    head, _, tail = SEED_REASON.partition("{key}")
    if reason and reason.startswith(head) and reason.endswith(tail):
        return reason[len(head):len(reason) - len(tail)] or None
    return None
# The demo city (Beijing, 110000): one market-regulation bureau per district, and out-of-town
# businesses (most often the big platforms' operators) to the cross-region desk, which passes
# them to the regulator where the business is. Rules whose department does not exist are not
# seeded, so a deployment without these departments gets only the catch-all.
BEIJING_DISTRICTS = [
    # seed key (the first three as seeded before division codes), division, department code, name
    ("dongcheng", "110101", "MS01", "东城区"), ("xicheng", "110102", "MS02", "西城区"),
    ("haidian", "110108", "MS03", "海淀区"), ("chaoyang", "110105", "MS04", "朝阳区"),
    ("fengtai", "110106", "MS05", "丰台区"), ("shijingshan", "110107", "MS06", "石景山区"),
    ("mentougou", "110109", "MS07", "门头沟区"), ("fangshan", "110111", "MS08", "房山区"),
    ("tongzhou", "110112", "MS09", "通州区"), ("shunyi", "110113", "MS10", "顺义区"),
    ("changping", "110114", "MS11", "昌平区"), ("daxing", "110115", "MS12", "大兴区"),
    ("huairou", "110116", "MS13", "怀柔区"), ("pinggu", "110117", "MS14", "平谷区"),
    ("miyun", "110118", "MS15", "密云区"), ("yanqing", "110119", "MS16", "延庆区"),
]
# Provinces where the shipped platforms' operators are registered (routing/data/platform_regions.json).
OUT_OF_TOWN = [("330000", "浙江省"), ("310000", "上海市"), ("440000", "广东省"), ("320000", "江苏省")]
CROSS_REGION = "XR01"
DEFAULT_RULES = [
    # key, name, conditions, department code, action
    ("prepaid-gone", "预付卡经营者跑路：确认后转西城所",
     {"category": "S09", "keywords": "跑路\n关门\n联系不上"}, "MS02", RuleAction.ASK),
    *((key, f"被投诉方在{name}", {"division": code}, dept, RuleAction.AUTO)
      for key, code, dept, name in BEIJING_DISTRICTS),
    *((f"out-of-town-{code}", f"被投诉方在{name}（外省市）：跨地区转办", {"division": code}, CROSS_REGION,
       RuleAction.AUTO) for code, name in OUT_OF_TOWN),
    ("beijing-online", "北京的电商平台（区不明）：确认后转海淀所",
     {"category": "S03", "division": "110000"}, "MS03", RuleAction.ASK),
    ("catch-all", "其他：人工分派", {}, None, RuleAction.ASK),
]


def seed_routing_rules():
    """Add each default rule once (rules whose department does not exist yet wait for a later
    run); a rule seeded before is never re-added, even renamed or switched off."""
    seeded = set(db.session.scalars(
        select(RoutingRuleChange.reason).where(RoutingRuleChange.reason.like("默认规则（初始数据 %"))))
    due = []
    for key, name, conditions, code, action in DEFAULT_RULES:
        reason = SEED_REASON.format(key=key)
        changes = None if reason in seeded else _seed_conditions(conditions, code)
        if changes is not None:
            due.append(({"name": name, "action": action, **changes}, reason))
    # The others, in order, just above an existing catch-all, which moves down once for all of
    # them (one line in its history, not one per rule); a new catch-all goes last.
    catch_all = [d for d in due if len(d[0]) == 2]  # nothing but name and action
    others = [d for d in due if len(d[0]) > 2]
    if others:
        first = _room_before_catch_all(None, f"默认规则（初始数据）：为 {len(others)} 条新规则让位", count=len(others))
        for offset, (changes, reason) in enumerate(others):
            create_rule(changes, None, reason, position=first + offset)
    for changes, reason in catch_all:
        create_rule(changes, None, reason)
    return len(due)


def _seed_conditions(conditions, code):
    """Conditions with codes turned into ids; None when a category or department is missing."""
    changes = {k: v for k, v in conditions.items() if k != "category"}
    if "category" in conditions:
        category = db.session.scalar(select(Category).where(Category.code == conditions["category"]))
        if category is None:
            return None
        changes["category_id"] = category.id
    if code is not None:
        department = db.session.scalar(select(Department).where(Department.code == code))
        if department is None:
            return None
        changes["department_id"] = department.id
    return changes
