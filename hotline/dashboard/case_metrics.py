"""Case and follow-up figures from plain values (no Flask, no session): the definitions the SQL
in case_reports must agree with, and the tests hold both to them.
"""

from datetime import timedelta

SATISFIED_SCORES = (4, 5)
# Backlog ages in days: (key, fewest days, most days or None for "and older").
AGE_BANDS = (("0-7", 0, 7), ("8-30", 8, 30), ("31-60", 31, 60), ("61+", 61, None))
DECIDED_CLOCK_STATES = ("running", "met")  # paused clocks wait; cancelled duties fell away
ANSWERED = "answered"
SENT_SURVEY_STATES = ("sent", "clarifying", "answered", "unanswered")
DONE = "done"


def rate(hits, out_of):
    """hits / out_of, or None when there was nothing to count."""
    return hits / out_of if out_of else None


def clock_counts(state, due_at, met_at, now):
    """Whether a clock counts on its due date, and whether it was on time: (counted, on_time).

    A clock counts once its due time has passed (or it was met), unless paused or cancelled;
    it is on time when it was met no later than due.
    """
    if str(state) not in DECIDED_CLOCK_STATES or due_at > now:
        return False, False
    return True, met_at is not None and met_at <= due_at


def on_time_rate(clocks, now):
    """Share of counted clocks met on time; clocks are (state, due_at, met_at) triples."""
    judged = [clock_counts(state, due, met, now) for state, due, met in clocks]
    return rate(sum(on for counted, on in judged if counted), sum(counted for counted, _ in judged))


def satisfied(score):
    return score in SATISFIED_SCORES


def satisfaction(scores):
    """Share of survey answers of 4 or 5 out of 5 (unanswered surveys have no score)."""
    answered = [s for s in scores if s is not None]
    return rate(sum(satisfied(s) for s in answered), len(answered))


def response_rate(statuses):
    """Answered surveys out of those sent (pending and suppressed ones were never sent)."""
    sent = [str(s) for s in statuses if str(s) in SENT_SURVEY_STATES]
    return rate(sent.count(ANSWERED), len(sent))


def completion_rate(statuses):
    """Callback visits done out of those due (cancelled ones fell away)."""
    due = [str(s) for s in statuses if str(s) != "cancelled"]
    return rate(due.count(DONE), len(due))


def age_band(days):
    for key, low, high in AGE_BANDS:
        if days >= low and (high is None or days <= high):
            return key
    return AGE_BANDS[0][0]


def age_days(created_at, now):
    """Whole days a case has been open."""
    return max((now - created_at) // timedelta(days=1), 0)


def backlog_ages(created, now):
    """{band: open cases} for the creation times of open cases, every band present."""
    counts = {key: 0 for key, _low, _high in AGE_BANDS}
    for moment in created:
        counts[age_band(age_days(moment, now))] += 1
    return counts


def band_cutoffs(band, now):
    """The creation-time window [oldest, newest] (None = unbounded) of one age band."""
    for key, low, high in AGE_BANDS:
        if key == band:
            newest = now - timedelta(days=low)
            oldest = None if high is None else now - timedelta(days=high + 1)
            return oldest, newest
    raise ValueError(band)
