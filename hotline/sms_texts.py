"""SMS texts: what a caller's text asks for, how many segments a text costs, and the
texts the hotline sends back. Pure: no Flask, no session.

Caller-facing texts are Chinese on purpose: they go to callers' phones, so they must not
follow an operator's UI language.
"""

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, time, timedelta

MAX_BODY = 1600  # Twilio's longest message; anything longer is cut when stored
MAX_REPLY = 1000  # what an operator may type into one reply

OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "退订", "TD"})
OPT_IN_WORDS = frozenset({"START", "UNSTOP", "订阅"})
# 查询 / CX, optionally 工单(号) / 进度 / 状态 and a colon, then the case number or nothing (the
# caller's latest case): "CX20261124-00042", "查询 2026112400042", "查询工单号：…", "查询进度".
_QUERY = re.compile(r"^(?:CX|查询)(?:工单号?|进度|状态)?[:\s]*([0-9\s-]*)[。.!?？！]*$")
# A text starting with one of these appeals a result (routing opens the appeal; the rest of the
# text is its reason): an instruction to the hotline, like the commands above.
APPEAL_PREFIXES = ("申诉", "复议", "重新处理")
# A survey reply on its own: a score ("5", "５分", "五星", "我给4分") or a satisfaction word.
_SCORE_ALONE = re.compile(r"^(?:我|本人)?(?:给|打)?(?:[1-5]|[一二两三四五])\s*(?:分|星|颗星)?[。.!！~～]*$")
SCORE_WORDS = frozenset({
    "非常满意", "十分满意", "特别满意", "很满意", "满意", "比较满意", "基本满意", "一般", "还行", "还可以",
    "不满意", "不太满意", "很不满意", "非常不满意", "好评", "中评", "差评",
})
_CASE_NUMBER = re.compile(r"^(\d{8})-?(\d{5})$")

# GSM 03.38 basic set and its extension table: texts made only of these go as 7-bit.
_GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXT = frozenset("^{}\\[~]|€\f")

STATUS_LABELS = {
    "new": "已收到，待受理",
    "accepted": "已受理",
    "rejected": "不予受理",
    "forwarded": "已转承办部门",
    "in_progress": "承办部门处理中",
    "resolved": "已办结",
    "answered": "已答复",
    "referred": "已告知转其他部门办理",
    "closed": "已结案",
}

ACK_NEW = "您的诉求已收到，工单号 {number}。查询进度请回复 CX{number}。回复 退订 不再接收短信。"
ACK_JOINED = "您的补充信息已收到，已并入工单 {number}。"
STATUS_REPLY = "工单 {number} 当前状态：{label}（更新于 {updated}）。"
NO_SUCH_CASE = "未找到本号码提交的工单 {number}，请核对工单号。"
NO_SUCH_CASE_UNREADABLE = "未找到本号码提交的该工单，请按“CX 工单号”格式查询，如 CX 20261124-00042。"
OPTED_OUT = "您已退订本热线短信，今后只接收依法必须发送的通知。回复 订阅 可恢复。"
OPTED_IN = "您已恢复接收本热线短信通知。回复 退订 可退订。"
CASE_SUFFIX = "（工单号 {number}）"


@dataclass(frozen=True)
class Command:
    """What an inbound text asks for: optout, optin, query (with case_number, None if
    unreadable; `latest` when no number was given at all) or message (anything else)."""

    kind: str
    case_number: str | None = None
    latest: bool = False


def _fold(body):
    """Full-width to half-width, trimmed, upper case: how commands are compared."""
    return unicodedata.normalize("NFKC", body or "").strip().upper()


def parse_command(body):
    """Read a caller's text as a command."""
    text = _fold(body)
    if text in OPT_OUT_WORDS:
        return Command("optout")
    if text in OPT_IN_WORDS:
        return Command("optin")
    query = _QUERY.match(text)
    if query:
        digits = query.group(1).strip(" -")
        return Command("query", parse_case_number(digits), latest=not digits)
    return Command("message")


def is_command(body):
    """Whether a caller's text is an instruction to the hotline rather than words about a case:
    退订 / 订阅 (and STOP...), 查询 / CX with a case number, an appeal (申诉...), a survey score or
    satisfaction word on its own. Commands are answered or acted on; they never become part of
    a case's facts."""
    if parse_command(body).kind != "message":
        return True
    text = _fold(body)
    bare = text.rstrip("。.!！~～ ")
    return text.startswith(APPEAL_PREFIXES) or bare in SCORE_WORDS or bool(_SCORE_ALONE.match(text))


def parse_case_number(text):
    """'2026112400042' or '20261124-00042' -> '20261124-00042'; None if neither."""
    match = _CASE_NUMBER.match(re.sub(r"\s+", "", _fold(text)))
    return f"{match.group(1)}-{match.group(2)}" if match else None


def segments(text):
    """How many SMS segments `text` costs: 160/153 characters in GSM 7-bit, otherwise
    (any Chinese) 70 UTF-16 units in one segment, 67 each when split, as carriers bill."""
    if not text:
        return 0
    if all(ch in _GSM7 or ch in _GSM7_EXT for ch in text):
        units, single, multi = len(text) + sum(ch in _GSM7_EXT for ch in text), 160, 153
    else:
        units, single, multi = len(text.encode("utf-16-le")) // 2, 70, 67
    return 1 if units <= single else math.ceil(units / multi)


def clean_body(body):
    """Text fit to store: control characters (NUL breaks PostgreSQL) dropped, at most
    MAX_BODY characters; returns (text, original length if it was cut else None)."""
    text = "".join(ch for ch in body or "" if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    if len(text) <= MAX_BODY:
        return text, None
    return text[:MAX_BODY], len(text)


def with_case_number(body, number):
    """`body` with the case number appended unless it already carries it."""
    if number in body:
        return body
    return body.rstrip() + CASE_SUFFIX.format(number=number)


def status_label(status):
    """A case status as the caller reads it."""
    return STATUS_LABELS.get(str(status), str(status))


def backoff_seconds(attempts, base, cap=3600):
    """Wait before the next try after `attempts` failed ones: base, doubling, capped."""
    return min(cap, base * 2 ** max(0, attempts - 1))


def quiet_until(local_moment, quiet="21:00-08:00"):
    """When a non-urgent notice written at `local_moment` (naive, the hotline's local time) may
    go out: None when it is not quiet hours, else the local time quiet hours end.

    `quiet` runs over midnight ("21:00-08:00"); an empty string means no quiet hours.
    """
    if not quiet:
        return None
    start_text, end_text = quiet.split("-")
    start, end = time.fromisoformat(start_text), time.fromisoformat(end_text)
    at = local_moment.time()
    if start <= end:  # quiet inside one day, e.g. "12:00-14:00"
        return datetime.combine(local_moment.date(), end) if start <= at < end else None
    if at >= start:
        return datetime.combine(local_moment.date() + timedelta(days=1), end)
    if at < end:
        return datetime.combine(local_moment.date(), end)
    return None
