"""Helpers for the intake-form tests: a complete complaint, posting the form, reading history."""

from hotline.extensions import db
from hotline.models import Clock, ClockKind
from intake import services as intake_services

CALLER = "+8613800138000"
COMPLAINT = {
    "kind": "complaint",
    "complainant_name": "张三",
    "complainant_phone": "13800138000",
    "complainant_address": "北京市东城区东长安街1号",
    "respondent_name": "某某电器商城",
    "respondent_address": "北京市朝阳区建国路88号",
    "respondent_region": "朝阳区",
    "category_group": "goods",
    "category": "G01",
    "problem_type": "P01",
    "facts": "买的冰箱三天就不制冷了，商家拒绝退货。",
    "demand": "退货退款",
    "amount": "3299.00",
    "purchase_date": "2025-05-01",
}


def form_data(ticket, **fields):
    """What the browser posts: the case's version and last seen event, plus `fields`."""
    data = {"version": str(ticket.version), "seen_event": str(intake_services.last_event_id(ticket))}
    data.update({k: v for k, v in fields.items() if v is not None})
    return data


def post_form(client, ticket, **fields):
    return client.post(f"/intake/tickets/{ticket.number}", data=form_data(ticket, **fields))


def field_events(ticket):
    """{field: (from, to)} of the case's field changes, latest per field."""
    return {e.field: (e.from_value, e.to_value) for e in ticket.events if e.type == "field"}


def accept_clocks(ticket):
    return db.session.query(Clock).filter_by(ticket_id=ticket.id, kind=ClockKind.ACCEPT).all()
