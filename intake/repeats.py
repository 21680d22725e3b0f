"""Repeat detection: the same caller with another case, or the same respondent with similar
facts, within REPEAT_WINDOW_DAYS (30); and hot respondents for supervisors.

Respondent names are compared by one normalisation done in SQL on both sides (spaces,
half and full width, removed; lower case), so the hot-respondent count can be a GROUP BY
over the indexed created_at range. Facts are "similar" when the Jaccard index of their
character bigrams reaches REPEAT_SIMILARITY (0.5): Chinese has no spaces to split words on,
and a story told twice shares most of its character pairs while two different stories
about the same shop share few.
"""

import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, literal, or_, select

from hotline.extensions import db
from hotline.models import Caller, Ticket
from hotline.tickets import record_event
from hotline.timeutil import now
from intake.verification import given_phone

LIMIT = 20  # links shown per list
CANDIDATES = 500  # same-respondent cases compared by facts, newest first


class DuplicateRefused(ValueError):
    """A case cannot be a duplicate of itself or of one of its own duplicates."""


@dataclass
class Repeats:
    same_caller: list = field(default_factory=list)  # Tickets
    same_respondent: list = field(default_factory=list)  # (Ticket, similarity)

    def __bool__(self):
        return bool(self.same_caller or self.same_respondent)


@dataclass
class HotRespondent:
    name: str
    count: int
    tickets: list  # rows of (number, status, created_at), newest first


def respondent_key(column):
    """SQL expression of a respondent name as compared: no spaces, lower case."""
    return func.lower(func.replace(func.replace(func.trim(column), " ", ""), "\u3000", ""))


def bigrams(text):
    """The set of adjacent letter/digit pairs of a text (NFKC-folded, punctuation dropped)."""
    chars = [ch for ch in unicodedata.normalize("NFKC", text or "").lower() if unicodedata.category(ch)[0] in "LN"]
    if len(chars) < 2:
        return set(chars)
    return {a + b for a, b in zip(chars, chars[1:], strict=False)}


def similarity(a, b):
    """Jaccard index of the two texts' character bigrams, 0.0 to 1.0."""
    first, second = bigrams(a), bigrams(b)
    if not first or not second:
        return 0.0
    return len(first & second) / len(first | second)


def find_repeats(ticket):
    """Other cases of the same caller, and of the same respondent with similar facts, near in time."""
    days = current_app.config.get("REPEAT_WINDOW_DAYS", 30)
    # Not itself, and not the other half of a complaint-and-report: that one is linked already.
    window = (Ticket.id.not_in([i for i in (ticket.id, ticket.linked_ticket_id) if i is not None]),
              Ticket.created_at.between(ticket.created_at - timedelta(days=days),
                                        ticket.created_at + timedelta(days=days)))
    return Repeats(same_caller=_same_caller(ticket, window), same_respondent=_same_respondent(ticket, window))


def _same_caller(ticket, window):
    """Cases from any of this case's numbers (calling or given), by calling or given number."""
    numbers = {n for n in (ticket.caller.phone if ticket.caller else None, given_phone(ticket)) if n}
    if not numbers:
        return []
    by_number = or_(
        Ticket.caller_id.in_(select(Caller.id).where(Caller.phone.in_(numbers))),
        Ticket.complainant_phone.in_(numbers),
    )
    return db.session.scalars(
        select(Ticket).where(by_number, *window).order_by(Ticket.created_at.desc()).limit(LIMIT)
    ).all()


def _same_respondent(ticket, window):
    """Cases against the same respondent whose facts are similar, most similar first."""
    if not (ticket.respondent_name or "").strip() or not (ticket.facts or "").strip():
        return []
    threshold = current_app.config.get("REPEAT_SIMILARITY", 0.5)
    candidates = db.session.scalars(
        select(Ticket)
        .where(respondent_key(Ticket.respondent_name) == respondent_key(literal(ticket.respondent_name)), *window)
        .order_by(Ticket.created_at.desc())
        .limit(CANDIDATES)
    ).all()
    scored = [(other, similarity(ticket.facts, other.facts)) for other in candidates]
    similar = sorted((pair for pair in scored if pair[1] >= threshold), key=lambda pair: -pair[1])
    return similar[:LIMIT]


def link_duplicate(ticket, original, actor):
    """Mark `ticket` as a duplicate of `original`, on the timeline."""
    seen, cursor = {ticket.id}, original
    for _ in range(50):  # a chain of duplicates is short; the bound only guards bad data
        if cursor is None:
            break
        if cursor.id in seen:
            raise DuplicateRefused(original.number)
        seen.add(cursor.id)
        cursor = cursor.duplicate_of
    previous = ticket.duplicate_of.number if ticket.duplicate_of else None
    ticket.duplicate_of = original
    record_event(ticket, "duplicate_of", actor, from_value=previous, to_value=original.number)
    db.session.flush()
    return ticket


def hot_respondents(threshold=None, days=None, moment=None):
    """Respondents with at least `threshold` cases created in the last `days`, most cases first."""
    config = current_app.config
    threshold = threshold or config.get("HOT_RESPONDENT_THRESHOLD", 5)
    since = (moment or now()) - timedelta(days=days or config.get("HOT_RESPONDENT_DAYS", 7))
    key = respondent_key(Ticket.respondent_name)
    recent = (Ticket.created_at >= since, Ticket.respondent_name.is_not(None), key != "")
    rows = db.session.execute(
        select(key.label("key"), func.min(Ticket.respondent_name).label("name"), func.count(Ticket.id).label("n"))
        .where(*recent)
        .group_by(key)
        .having(func.count(Ticket.id) >= threshold)
        .order_by(func.count(Ticket.id).desc(), key)
        .limit(200)
    ).all()
    hot = {row.key: HotRespondent(row.name, row.n, []) for row in rows}
    if hot:
        cases = db.session.execute(
            select(key.label("key"), Ticket.number, Ticket.status, Ticket.created_at)
            .where(*recent, key.in_(list(hot)))
            .order_by(Ticket.created_at.desc())
        ).all()
        for case in cases:
            if len(hot[case.key].tickets) < LIMIT:
                hot[case.key].tickets.append(case)
    return list(hot.values())
