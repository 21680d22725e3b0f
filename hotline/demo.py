"""Demo data for `make run`: departments, one account per role, and a few dozen cases.

Idempotent: run it twice and nothing is added the second time. Never used in production.
"""

import random
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from hotline import accounts, calls, opening_hours, tickets
from hotline.deadlines import clocks
from hotline.extensions import db
from hotline.knowledge import answers, search
from hotline.knowledge import services as knowledge
from hotline.models import (
    Category,
    CategoryGroup,
    Channel,
    ClockKind,
    Contact,
    Department,
    Direction,
    Role,
    Ticket,
    TicketKind,
    TicketStatus,
    User,
)
from hotline.seeds import seed_reference_data
from hotline.timeutil import clock_at, local_to_utc, now, to_local

DEMO_USERS = [
    ("admin", "admin-demo-pass", Role.ADMIN, "系统管理员", None),
    ("supervisor", "super-demo-pass", Role.SUPERVISOR, "王班长", None),
    ("operator1", "oper1-demo-pass", Role.OPERATOR, "李接线员", None),
    ("operator2", "oper2-demo-pass", Role.OPERATOR, "张接线员", None),
    ("dept1", "dept1-demo-pass", Role.DEPARTMENT, "市场监管一所", "MS01"),
]
# The demo city is Beijing: a market-regulation office for each of its 16 districts (the default
# routing rules send each district's businesses to its office), and the cross-region desk for
# businesses registered elsewhere (Taobao in Hangzhou, Pinduoduo in Shanghai...).
DEPARTMENTS = [
    ("MS01", "东城市场监管所", "东城区"),
    ("MS02", "西城市场监管所", "西城区"),
    ("MS03", "海淀市场监管所", "海淀区"),
    ("MS04", "朝阳市场监管所", "朝阳区"),
    ("MS05", "丰台市场监管所", "丰台区"),
    ("MS06", "石景山市场监管所", "石景山区"),
    ("MS07", "门头沟市场监管所", "门头沟区"),
    ("MS08", "房山市场监管所", "房山区"),
    ("MS09", "通州市场监管所", "通州区"),
    ("MS10", "顺义市场监管所", "顺义区"),
    ("MS11", "昌平市场监管所", "昌平区"),
    ("MS12", "大兴市场监管所", "大兴区"),
    ("MS13", "怀柔市场监管所", "怀柔区"),
    ("MS14", "平谷市场监管所", "平谷区"),
    ("MS15", "密云市场监管所", "密云区"),
    ("MS16", "延庆市场监管所", "延庆区"),
    ("XR01", "跨地区转办组（外省市经营者）", None),
]
DEPARTMENT_PHONE = "010-655501{number:02d}"  # made-up numbers for the demo
DEPARTMENT_HOURS = "09:00-17:00"
CASES = [
    # kind, category, problem, respondent, its address and division, facts, demand
    ("complaint", "G01", "P01", "美的电器专卖店", ("北京市朝阳区建国路87号", "110105"),
     "买的空调用了两周就不制冷，商家拒绝退换。", "退货退款"),
    ("complaint", "S03", "P02", "某数码旗舰店", (None, None), "网购手机未收到货，物流显示已签收，客服不理。", "补发或退款"),
    ("complaint", "S09", "P03", "健身会所", ("西城区西单北大街120号", "110102"),
     "办了年卡三个月后门店关门，老板联系不上。", "退还剩余会费"),
    ("report", "G04", "P07", "便民超市", ("丰台区南三环西路16号", "110106"), "超市在卖过期牛奶，生产日期被重新贴过。", None),
    ("consultation", None, None, None, (None, None), "七天无理由退货适用于哪些商品？", None),
    ("complaint", "S01", "P04", "海鲜酒楼", ("东城区王府井大街255号", "110101"), "菜单价格与结账价格不符，多收了三百元。",
     "退还多收费用"),
    ("complaint", "S04", "P02", "移动营业厅", ("海淀区中关村大街1号", "110108"),
     "宽带故障报修半个月无人上门，已先向运营商投诉。", "尽快修复并减免月费"),
    ("report", "G08", "P05", "美容店", ("通州区新华大街", "110112"), "美容店宣传产品能治病，涉嫌虚假宣传。", None),
]
# An online purchase names its platform, shop and order, not a street address: routing sends it
# by the platform's registered region (京东 is in 大兴区), as the intake form does.
ONLINE = {"某数码旗舰店": {"platform": "京东", "seller": "某数码旗舰店", "order_number": "JD3021876645"}}
PLATFORM_DIVISIONS = {"京东": "110115"}
REGION_NAMES = {"110101": "北京市东城区", "110102": "北京市西城区", "110105": "北京市朝阳区",
                "110106": "北京市丰台区", "110108": "北京市海淀区", "110112": "北京市通州区",
                "110115": "北京市大兴区"}
# dept1 works at 东城 (MS01): its first two cases there wait to be signed for and are in hand.
DEMO_DESK_DIVISION = "110101"
DISTRICT_OFFICES = {"110101": "MS01", "110102": "MS02", "110108": "MS03", "110105": "MS04", "110106": "MS05",
                    "110112": "MS09", "110115": "MS12"}
STATUSES = [
    TicketStatus.NEW,
    TicketStatus.ACCEPTED,
    TicketStatus.FORWARDED,
    TicketStatus.IN_PROGRESS,
    TicketStatus.RESOLVED,
    TicketStatus.CLOSED,
]
PATHS = {
    TicketStatus.NEW: [],
    TicketStatus.ACCEPTED: [TicketStatus.ACCEPTED],
    TicketStatus.FORWARDED: [TicketStatus.ACCEPTED, TicketStatus.FORWARDED],
    TicketStatus.IN_PROGRESS: [TicketStatus.ACCEPTED, TicketStatus.FORWARDED, TicketStatus.IN_PROGRESS],
    TicketStatus.RESOLVED: [
        TicketStatus.ACCEPTED, TicketStatus.FORWARDED, TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED,
    ],
    TicketStatus.CLOSED: [
        TicketStatus.ACCEPTED, TicketStatus.FORWARDED, TicketStatus.IN_PROGRESS,
        TicketStatus.RESOLVED, TicketStatus.CLOSED,
    ],
}


def seed_demo(n_cases=40):
    """Create the demo world unless it exists; returns the demo logins."""
    seed_reference_data()
    departments = _seed_departments()
    seed_reference_data()  # again: the default routing rules wait for their departments
    users = _seed_users(departments)
    # The knowledge base's 51 articles, written and published by the demo supervisor, so a new
    # operator finds answers on the intake form and /knowledge; slugs that exist are skipped.
    knowledge.load_articles(author=users["supervisor"], reviewer=users["supervisor"])
    db.session.flush()
    if db.session.scalar(select(func.count(Ticket.id))) == 0:
        _seed_cases(n_cases, users, departments)
        _seed_call_traffic([users["operator1"], users["operator2"]], days=7)
        _seed_callback_request()
    db.session.flush()
    return [(u, p, r) for u, p, r, _n, _d in DEMO_USERS]


def _seed_departments():
    found = {}
    for number, (code, name, region) in enumerate(DEPARTMENTS, start=1):
        dept = db.session.scalar(select(Department).where(Department.code == code))
        if dept is None:
            dept = Department(code=code, name=name, region=region)
            db.session.add(dept)
        # The forwarding SMS and the department notice give the caller these: never blanks.
        dept.contact_phone = dept.contact_phone or DEPARTMENT_PHONE.format(number=number)
        dept.working_hours = dept.working_hours or DEPARTMENT_HOURS
        found[code] = dept
    db.session.flush()
    return found


def _seed_users(departments):
    found = {}
    for username, password, role, name, dept_code in DEMO_USERS:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            user = accounts.create_user(
                username, password, role, display_name=name,
                department=departments.get(dept_code),
                phone=f"+8613900000{len(found) + 1:03d}",
            )
        found[username] = user
    return found


def _seed_cases(n_cases, users, departments):
    rng = random.Random(12315)
    codes = {c.code: c for c in db.session.scalars(select(Category).where(Category.group != CategoryGroup.PROBLEM))}
    problems = {c.code: c for c in db.session.scalars(select(Category).where(Category.group == CategoryGroup.PROBLEM))}
    operators = [users["operator1"], users["operator2"]]
    for i in range(n_cases):
        kind, cat, prob, respondent, (address, division), facts, demand = CASES[i % len(CASES)]
        caller = tickets.find_or_create_caller(f"1380013{rng.randrange(0, 30):04d}")
        caller.name = caller.name or rng.choice(["陈女士", "刘先生", "赵女士", "孙先生", "周女士"])
        channel = rng.choice([Channel.VOICE, Channel.VOICE, Channel.SMS])
        status = rng.choice(STATUSES) if kind != "consultation" else TicketStatus.ANSWERED
        if division == DEMO_DESK_DIVISION and i < 2 * len(CASES):  # dept1 finds work on its desk
            status = (TicketStatus.FORWARDED, TicketStatus.IN_PROGRESS)[i // len(CASES)]
        hours_ago = rng.randrange(1, 24 * 20)
        if kind == "consultation":  # inside the reports' default week, so the knowledge report shows them
            hours_ago = 7 + hours_ago % (24 * 6 - 7)  # answered 6 hours after: never in the future
        opened = now() - timedelta(hours=hours_ago)
        if channel == Channel.VOICE:  # a call reaches operators only while the hotline is open
            opened = _open_moment_before(opened, rng)
        with clock_at(opened):
            ticket = tickets.open_ticket(
                channel, caller=caller, actor=None, kind=TicketKind(kind),
                facts=facts, demand=demand, respondent_name=respondent, respondent_address=address,
                respondent_division=division, respondent_region=REGION_NAMES.get(division),
                category=codes.get(cat), problem_type=problems.get(prob),
                assigned_to=operators[i % 2], summary=facts[:30], **ONLINE.get(respondent, {}),
            )
            _add_contact(ticket, caller, channel, operators[i % 2], rng)
        path = [TicketStatus.ANSWERED] if status == TicketStatus.ANSWERED else PATHS[status]
        # Steps 6 hours apart, closer for a recent case: never after now.
        gap = min(timedelta(hours=6), (now() - opened) / (len(path) + 1))
        if kind in ("complaint", "report"):
            with clock_at(opened):
                clocks.start_clock(ticket, ClockKind.ACCEPT, start=opened)
        for step_no, step in enumerate(path, start=1):
            if step == TicketStatus.FORWARDED:
                where = division or PLATFORM_DIVISIONS.get(ticket.platform)
                ticket.department = departments[DISTRICT_OFFICES.get(where, "MS03")]
                ticket.forward_instructions = "请核实经营者资质，依法调解。" if i % 2 else None
                ticket.forwarded_at = opened + gap * step_no  # as routing's forward stamps it
            with clock_at(opened + gap * step_no):
                tickets.change_status(ticket, step, actor=operators[i % 2])
                _move_clocks(ticket, step, opened + gap * step_no)
        if kind == "consultation" and (i // len(CASES)) % 2 == 0:
            _answer_from_knowledge(ticket, operators[i % 2], opened + timedelta(hours=6))


def _move_clocks(ticket, step, at):
    """The legal clocks as the services move them at each step (intake's decision, routing's
    forward, the desk's result), so the demo's deadlines, overdue flags and late lists are real."""
    if step == TicketStatus.ACCEPTED:
        clocks.stop_clock(ticket, ClockKind.ACCEPT, at=at)
        clocks.start_clock(ticket, ClockKind.FORWARD, start=at)
        if ticket.kind == TicketKind.COMPLAINT:
            clocks.start_clock(ticket, ClockKind.MEDIATION, start=at)
    elif step == TicketStatus.FORWARDED:
        clocks.stop_clock(ticket, ClockKind.FORWARD, at=at)
    elif step == TicketStatus.RESOLVED:
        clocks.stop_clock(ticket, ClockKind.MEDIATION, at=at)
        clocks.start_clock(ticket, ClockKind.CALLBACK, start=at)
    elif step == TicketStatus.CLOSED:
        clocks.stop_clock(ticket, ClockKind.CALLBACK, at=at)


def _answer_from_knowledge(ticket, operator, at):
    """Half the demo's consultations were answered with an article, as on the intake form, so
    the knowledge report has answers per article and gaps to show."""
    hits = search.search(ticket.facts, limit=1)
    if not hits:
        return
    ticket.answer = hits[0].article.short_answer
    with clock_at(at):
        answers.answer_with(ticket, hits[0].article, operator)


def _add_contact(ticket, caller, channel, operator, rng):
    started = ticket.created_at
    contact = Contact(
        channel=channel, direction=Direction.INBOUND, ticket=ticket, caller=caller,
        from_number=caller.phone, to_number="+8610012315", created_at=started,
        body=ticket.facts if channel == Channel.SMS else None,
    )
    if channel == Channel.VOICE:
        wait = rng.randrange(3, 40)
        talk = rng.randrange(60, 600)
        contact.queued_at = started
        contact.answered_at = started + timedelta(seconds=wait)
        contact.ended_at = contact.answered_at + timedelta(seconds=talk)
        contact.queue_seconds, contact.talk_seconds = wait, talk
        contact.answered_by = operator
        contact.status, contact.queue_result, contact.end_reason = "completed", "bridged", "completed"
        contact.wrapup_ended_at = contact.ended_at + timedelta(seconds=rng.randrange(20, 240))
        contact.wrapup_reason = "handled"  # finished calls: no demo operator starts in after-call work
    db.session.add(contact)


# A demo call starts at least this long before closing, so it ends while the hotline is open.
CALL_BEFORE_CLOSING = 20


def _open_spans(day):
    """The (start, end) minutes of local `day` when the hotline answers calls (OPENING_HOURS,
    closed on public holidays unless OPEN_ON_HOLIDAYS, as hotline.calls.is_open_now), each
    ending CALL_BEFORE_CLOSING minutes early for a call's start."""
    config = current_app.config
    spans = opening_hours.spans_on(day, config.get("OPENING_HOURS", "08:00-20:00"),
                                   open_on_holidays=config.get("OPEN_ON_HOLIDAYS", False))
    return [(start, end - CALL_BEFORE_CLOSING) for start, end in spans if end - CALL_BEFORE_CLOSING > start]


def _at_minute(day, minute, rng):
    """Naive UTC for local `day` at `minute` and a random second."""
    local = datetime.combine(day, datetime.min.time()) + timedelta(minutes=minute, seconds=rng.randrange(60))
    return local_to_utc(local, current_app.config["HOTLINE_TIMEZONE"])


def _open_moment_before(moment, rng):
    """`moment` (naive UTC) when the hotline is open then; else a random moment of the latest
    opening before it (the same day's earlier hours, or an earlier open day's)."""
    local = to_local(moment, current_app.config["HOTLINE_TIMEZONE"])
    minute = local.hour * 60 + local.minute
    day = local.date()
    for back in range(40):  # the longest run of closed days is a holiday week
        spans = _open_spans(day - timedelta(days=back))
        if back == 0:
            if any(start <= minute < end for start, end in spans):
                return moment
            spans = [(start, min(end, minute)) for start, end in spans if start < minute]
        if spans:
            start, end = spans[-1]
            return _at_minute(day - timedelta(days=back), rng.randrange(start, end), rng)
    return moment  # never open in 40 days: OPENING_HOURS says so, the demo cannot help it


def _seed_callback_request():
    """Last night's caller, after closing, who pressed for a call back: the callback list (待回电)
    then shows what it is for. Outside opening hours and never queued, so no figure counts it."""
    tz = current_app.config["HOTLINE_TIMEZONE"]
    yesterday = to_local(now(), tz).date() - timedelta(days=1)
    at = local_to_utc(datetime.combine(yesterday, datetime.min.time()).replace(hour=23, minute=10), tz)
    caller = tickets.find_or_create_caller("13800130099")
    with clock_at(at):
        ticket = tickets.open_ticket(Channel.VOICE, caller=caller, actor=None, summary="夜间来电，请求回电")
        contact = Contact(channel=Channel.VOICE, direction=Direction.INBOUND, ticket=ticket, caller=caller,
                          from_number=caller.phone, to_number="+8610012315", created_at=at,
                          ended_at=at + timedelta(seconds=35), status="completed", end_reason="completed")
        db.session.add(contact)
        db.session.flush()
        calls.request_callback(contact)


def _seed_call_traffic(operators, days, per_day=30):
    """A week of calls that made no case (abandoned in the queue, or answered and needing
    none), so the dashboard has a working day's figures to show: mostly answered, some
    abandoned, a few hung up within 5 seconds. Each starts while the hotline is open: none on
    a day it is closed, none yet today before it opens. Each day draws from its own seed and
    starts with one long and one short abandon, so yesterday's figures are the same whatever the
    hour the demo is seeded (today's later calls, skipped, would otherwise shift the draws)."""
    end = now() - timedelta(minutes=1)
    today = to_local(end, current_app.config["HOTLINE_TIMEZONE"]).date()
    for day_back in range(days):
        day = today - timedelta(days=day_back)
        spans = _open_spans(day)
        minutes = [m for start, stop in spans for m in range(start, stop)]
        rng = random.Random(12300 + day_back)
        for n in range(per_day if minutes else 0):
            started = _at_minute(day, rng.choice(minutes), rng)
            if started >= end:
                continue  # later today: not yet
            contact = Contact(
                channel=Channel.VOICE, direction=Direction.INBOUND,
                from_number=f"+86139{rng.randrange(10**7, 10**8)}", to_number="+8610012315",
                created_at=started, queued_at=started,
            )
            fate = (0.9, 0.99)[n] if n < 2 else rng.random()  # long, short abandon, then by chance
            if fate < 0.85:
                wait, talk = rng.randrange(2, 45), rng.randrange(40, 420)
                contact.answered_at = started + timedelta(seconds=wait)
                contact.ended_at = contact.answered_at + timedelta(seconds=talk)
                contact.wrapup_ended_at = contact.ended_at + timedelta(seconds=rng.randrange(15, 200))
                contact.wrapup_reason = "handled"
                contact.queue_seconds, contact.talk_seconds = wait, talk
                contact.answered_by = rng.choice(operators)
                contact.status, contact.queue_result, contact.end_reason = "completed", "bridged", "completed"
            else:
                wait = rng.randrange(1, 5) if fate > 0.96 else rng.randrange(5, 90)
                contact.abandoned_at = contact.ended_at = started + timedelta(seconds=wait)
                contact.queue_seconds = wait
                contact.status, contact.queue_result, contact.end_reason = "completed", "hangup", "completed"
            db.session.add(contact)
