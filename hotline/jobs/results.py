"""What a scheduler job's last run did, in words (the jobs page, /followup/jobs).

A job returns {what: how many}; the scheduler stores it as JSON (JobRun.last_result) and each
job says, where it is registered (register_job's `words`), how each count reads, so the page
shows 已发送 2 条，已关闭 0 件 rather than a Python dict or an English sentence.
"""

import json

from flask_babel import gettext as _
from flask_babel import pgettext

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
