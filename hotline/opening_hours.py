"""When the hotline's operators answer calls. Pure: no Flask, no session.

Open every day of the week (12315 lines answer seven days) within the configured hours,
closed on China's public holidays unless told otherwise. The follow-up calendar will replace
the holiday source; callers only ever ask `is_open`.
"""

from datetime import time

import holidays


class BadHours(ValueError):
    pass


def parse_hours(hours):
    """'08:00-12:00,13:00-20:00' -> [(480, 720), (780, 1200)] in minutes of the day; '24:00' ends a day."""
    spans = []
    for part in hours.split(","):
        try:
            start, end = (_clock(text) for text in part.split("-"))
        except ValueError as exc:
            raise BadHours(f"opening hours {hours!r}: expected HH:MM-HH:MM[,HH:MM-HH:MM]") from exc
        if end <= start:
            raise BadHours(f"opening hours {part!r}: the end must come after the start")
        spans.append((start, end))
    return spans


def is_open(local_datetime, hours="08:00-20:00", closed_dates=frozenset(), open_on_holidays=False):
    """Whether a call arriving at `local_datetime` (the hotline's local time) reaches operators."""
    minute = local_datetime.hour * 60 + local_datetime.minute
    spans = spans_on(local_datetime.date(), hours, closed_dates, open_on_holidays)
    return any(start <= minute < end for start, end in spans)


def spans_on(day, hours="08:00-20:00", closed_dates=frozenset(), open_on_holidays=False):
    """The (start, end) minutes of `day` when operators answer; none on a closed day."""
    if day in closed_dates:
        return []
    if not open_on_holidays and day in holidays.country_holidays("CN", years=day.year):
        return []
    return parse_hours(hours)


def _clock(text):
    hh, mm = text.strip().split(":")
    hour, minute = int(hh), int(mm)
    if (hour, minute) == (24, 0):
        return 24 * 60
    return time(hour, minute).hour * 60 + minute  # time() rejects 25:00 and 08:61
