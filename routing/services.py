"""Routing services: where an accepted case goes, forwarding it, and the rules and departments
supervisors maintain. Matching itself is pure (routing.rule_matching); this module feeds it rows.

Services flush; the view (or the caller's view) commits once.
"""

from dataclasses import dataclass
from functools import cache

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from hotline import audit
from hotline.access import notice_phone
from hotline.deadlines import clocks
from hotline.extensions import db
from hotline.models import (
    Category,
    CategoryGroup,
    ClockKind,
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
from routing import rule_matching as matching
from routing.texts import forwarded_text

RULE_FIELDS = ("name", "position", "active", "kind", "category_id", "problem_type_id", "region",
               "keywords", "respondent", "department_id", "action")
# The events that end or replace a routing suggestion, newest wins.
ROUTING_EVENTS = ("routing_suggested", "routing_triage", "forwarded")
TRIAGE_LIMIT = 200


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
    """An ASK rule's department, waiting for the operator's one click."""

    department: Department
    rule: RoutingRule | None
    rule_version: int | None
    event: TicketEvent


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
        platform=ticket.platform,
        respondent_name=ticket.respondent_name,
        seller=ticket.seller,
        text="\n".join(filter(None, (ticket.summary, ticket.facts))),
    )


def sample_case(text, kind=None, category=None, problem_type=None, region=None, respondent=None, platform=None):
    """A case made from the tester's fields."""
    return matching.Case(
        kind=kind or None, category_ids=category_ids(category),
        problem_type_id=problem_type.id if problem_type else None,
        respondent_region=region or None, platform=platform or None,
        respondent_name=respondent or None, text=text or "",
    )


def decide(case, rules=None):
    """The routing decision for `case` under `rules` (default: the stored ones)."""
    return matching.decide(case, all_rules() if rules is None else rules, platform_regions())


# --- routing and forwarding -------------------------------------------------------------


def route_accepted(ticket, actor):
    """Apply the rules to an accepted case: forward (AUTO), suggest (ASK) or leave in triage."""
    if ticket.status != TicketStatus.ACCEPTED:
        raise NotRoutable(f"case {ticket.number} is {ticket.status.value}, not accepted")
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
        "region": region.value, "region_source": region.source, "platform": region.platform,
        "checks": [{"condition": c.condition, "wanted": c.wanted, "found": c.found} for c in decision.checks],
    }


def forward(ticket, department, actor, rule=None, rule_version=None):
    """Send an accepted case to `department`: FORWARDED, the FORWARD clock stopped, the
    complainant told by SMS; the rule (and version) that routed it recorded."""
    change_status(ticket, TicketStatus.FORWARDED, actor, reason=department.name)
    ticket.department = department
    ticket.forwarded_at = now()
    ticket.routed_by_rule_id = rule.id if rule is not None else None
    ticket.routed_rule_version = (rule_version or rule.version) if rule is not None else None
    record_event(ticket, "forwarded", actor, to_value=department.name,
                 reason=_rule_label(rule) if rule is not None else None,
                 data={"department_id": department.id, "rule_id": ticket.routed_by_rule_id,
                       "rule_version": ticket.routed_rule_version})
    clocks.stop_clock(ticket, ClockKind.FORWARD, actor=actor)
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


def forward_chosen(ticket, department, actor):
    """The operator's forward: credited to the suggesting rule when they took its department."""
    suggestion = latest_suggestion(ticket)
    if suggestion is not None and suggestion.department.id == department.id and suggestion.rule is not None:
        return forward(ticket, department, actor, rule=suggestion.rule, rule_version=suggestion.rule_version)
    return forward(ticket, department, actor)


def triage_cases(limit=TRIAGE_LIMIT):
    """Accepted cases waiting to be forwarded, oldest first, each with its pending suggestion."""
    cases = db.session.scalars(
        select(Ticket).where(Ticket.status == TicketStatus.ACCEPTED)
        .order_by(func.coalesce(Ticket.accepted_at, Ticket.created_at), Ticket.id)
        .options(selectinload(Ticket.category), selectinload(Ticket.caller))
        .limit(limit)
    ).all()
    latest = {}
    if cases:
        events = db.session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id.in_([t.id for t in cases]),
                                      TicketEvent.type.in_(ROUTING_EVENTS))
            .order_by(TicketEvent.id)
        )
        latest = {event.ticket_id: event for event in events}
    return [(ticket, _suggestion_from(latest.get(ticket.id))) for ticket in cases]


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
    if "name" in cleaned:
        cleaned["name"] = (cleaned["name"] or "").strip()
    if "keywords" in cleaned:
        lines = (line.strip() for line in (cleaned["keywords"] or "").splitlines())
        cleaned["keywords"] = "\n".join(dict.fromkeys(line for line in lines if line)) or None
    return cleaned


def create_rule(changes, actor, reason):
    """A new rule, placed just above a trailing catch-all so it can ever be reached."""
    reason = _require_reason(reason)
    rule = RoutingRule(**{"active": True, "action": RuleAction.AUTO, **_clean(changes)})
    rule.position = _room_before_catch_all(actor, reason)
    db.session.add(rule)
    _record_change(rule, actor, reason, None)
    return rule


def _room_before_catch_all(actor, reason):
    """The position for a new rule; a catch-all at the end moves down one to make room."""
    rules = all_rules()
    if not rules:
        return 1
    last = rules[-1]
    if not matching.is_catch_all(last):
        return last.position + 1
    position = last.position
    before = snapshot(last)
    last.position = position + 1
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
DEFAULT_RULES = [
    # key, name, conditions, department code, action
    ("prepaid-gone", "预付卡经营者跑路：确认后转西城所",
     {"category": "S09", "keywords": "跑路\n关门\n联系不上"}, "MS02", RuleAction.ASK),
    ("dongcheng", "被投诉方在东城区", {"region": "东城区"}, "MS01", RuleAction.AUTO),
    ("xicheng", "被投诉方在西城区", {"region": "西城区"}, "MS02", RuleAction.AUTO),
    ("haidian", "被投诉方在海淀区", {"region": "海淀区"}, "MS03", RuleAction.AUTO),
    ("beijing-online", "北京的电商平台（无商家地址）：确认后转海淀所",
     {"category": "S03", "region": "北京"}, "MS03", RuleAction.ASK),
    ("catch-all", "其他：人工分派", {}, None, RuleAction.ASK),
]


def seed_routing_rules():
    """Add each default rule once (rules whose department does not exist yet wait for a later
    run); a rule seeded before is never re-added, even renamed or switched off."""
    seeded = set(db.session.scalars(
        select(RoutingRuleChange.reason).where(RoutingRuleChange.reason.like("默认规则（初始数据 %"))))
    added = 0
    for key, name, conditions, code, action in DEFAULT_RULES:
        reason = SEED_REASON.format(key=key)
        if reason in seeded:
            continue
        changes = _seed_conditions(conditions, code)
        if changes is None:
            continue
        create_rule({"name": name, "action": action, **changes}, None, reason)
        added += 1
    return added


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
