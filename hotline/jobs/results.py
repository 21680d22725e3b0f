"""What a scheduler job's last run did, in words (the jobs page, /followup/jobs).

A job returns {what: how many}; the scheduler stores it as JSON (JobRun.last_result) and each
job says, where it is registered (register_job's `words`), how each count reads, so the page
shows 已发送 2 条，已关闭 0 件 rather than a Python dict or an English sentence.

A failed run is stored as the code of what went wrong (failure_code: the database busy or down,
an outside service slow or out of reach, else unknown), and the page words it (failure_words);
the exception itself goes to the server log only (scrubbed by hotline.logs), never to the page.
"""

import json

import requests
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import pgettext
from sqlalchemy import exc as sa_exc

from hotline.errors import is_contention

# job id -> {key: lazy "%(n)s ..." text}; filled by register_job.
WORDS: dict[str, dict] = {}


def stored(result):
    """The text JobRun keeps of a job's return value: JSON for counts, else the value as text."""
    if result is None:
        return None
    return json.dumps(result, ensure_ascii=False) if isinstance(result, dict) else str(result)


def describe(job_id, text):
    """One line of translated words for a stored result; "" when there is nothing to say (an
    older run's free text, which was English, is not shown)."""
    try:
        counts = json.loads(text) if text else None
    except ValueError:
        return ""
    if not isinstance(counts, dict):
        return ""
    words = WORDS.get(job_id, {})
    parts = [str(words[key]) % {"n": n} for key, n in counts.items() if key in words]
    other = sum(n for key, n in counts.items() if key not in words and isinstance(n, int))
    if other:
        parts.append(_("%(n)s other", n=other))
    return pgettext("between counts", ", ").join(parts) or _("Nothing to do")


# What a failed run's code reads as on the jobs page.
FAILURES = {
    "database_busy": _l("Failed: the database was busy; the next run tries again"),
    "database_unavailable": _l("Failed: the database is unavailable for now"),
    "timeout": _l("Failed: an outside service did not answer in time"),
    "network": _l("Failed: an outside service could not be reached"),
    "unknown": _l("The run failed; see the server log for details"),
}


def failure_code(exc):
    """The FAILURES code for an exception a job raised."""
    if isinstance(exc, sa_exc.DBAPIError) and is_contention(exc):
        return "database_busy"
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.DisconnectionError
                  | sa_exc.TimeoutError):
        return "database_unavailable"
    if isinstance(exc, TimeoutError | requests.Timeout):
        return "timeout"
    if isinstance(exc, ConnectionError | requests.ConnectionError):
        return "network"
    return "unknown"


def failure_words(code):
    """A failed run's reason in the reader's words; an unknown code (an older run's stored
    exception text included) reads as the generic one."""
    return str(FAILURES.get(code, FAILURES["unknown"])) if code else ""
