"""When a callback visit is due, pure: no Flask, no database.

Times are the hotline's local wall-clock (naive). `spans` are the opening hours as
hotline.opening_hours.parse_hours returns them; `is_working` is the calendar lookup of
hotline.deadlines.calendar. A try lands on a working day inside opening hours; a retry moves to the
next working day and to the other half of the day (morning <-> afternoon), because a person
who missed the phone at 9:00 often misses it at 9:00 again.
"""

from datetime import datetime, time

from hotline.deadlines.calendar import add_working_days


def _at(day, minute):
    return datetime.combine(day, time(minute // 60, minute % 60))


def _is_open(minute, spans):
    return any(start <= minute < end for start, end in spans)


def morning(spans):
    """The first minute the hotline works."""
    return spans[0][0]


def afternoon(spans):
    """The first working minute from the middle of the opening hours on."""
    middle = (spans[0][0] + spans[-1][1]) // 2
    if _is_open(middle, spans):
        return middle
    return next((start for start, _ in spans if start >= middle), spans[-1][0])


def first_try(handled_at, days, spans, is_working):
    """(local due moment, estimated): `days` working days after the result, at the same time
    of day when the hotline is open then, else at the morning slot."""
    due = add_working_days(handled_at.date(), days, is_working)
    minute = handled_at.hour * 60 + handled_at.minute
    return _at(due.day, minute if _is_open(minute, spans) else morning(spans)), due.estimated


def next_try(tried_at, spans, is_working):
    """(local due moment, estimated): the next working day, in the other half of the day."""
    due = add_working_days(tried_at.date(), 1, is_working)
    minute = tried_at.hour * 60 + tried_at.minute
    slot = afternoon(spans) if minute < afternoon(spans) else morning(spans)
    return _at(due.day, slot), due.estimated
