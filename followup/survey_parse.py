"""Reading a caller's reply to a satisfaction survey, and the survey's texts. Pure: no Flask,
no session.

A reply is read leniently: full-width characters folded ("５" is 5), a score as a digit 1-5
("5", "5分", "5 分", "5星", "我给5分"), as a Chinese numeral with its unit ("五分", "五星") or
alone ("五"), or as a word (WORD_SCORES); whatever follows the score is the comment
("4 服务不错" is 4 with the comment "服务不错").
"""

import re
import unicodedata
from dataclasses import dataclass

# Words on the 1-5 scale, so that "satisfaction" (a share of 4 and 5) reads them as meant:
# 满意 is satisfied (4), 非常满意 the top mark, 一般 the middle, 不满意 dissatisfied (2).
WORD_SCORES = {
    "非常满意": 5, "十分满意": 5, "特别满意": 5, "很满意": 5, "超满意": 5, "满分": 5, "好评": 5,
    "满意": 4, "比较满意": 4, "挺满意": 4, "还算满意": 4,
    "基本满意": 3, "一般": 3, "还行": 3, "还可以": 3, "中评": 3,
    "不满意": 2, "不太满意": 2, "不大满意": 2, "不是很满意": 2, "不怎么满意": 2,
    "非常不满意": 1, "很不满意": 1, "十分不满意": 1, "特别不满意": 1, "极不满意": 1, "差评": 1,
}
CHINESE_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
# Openings before the score itself: "我给5分", "评分：4", "打五星".
_FILLERS = ("我", "本人", "给", "打", "评分", "评", "分数")
# An explicit appeal is the appeal's business (routing reopens the case), not a score.
APPEAL_WORDS = ("申诉", "复议", "重新处理")
# Texts that read as a new complaint or report are never taken for a survey reply.
NEW_CASE_WORDS = ("投诉", "举报", "咨询")
CLARIFY_MAX_CHARS = 20  # longer unreadable texts are taken as new messages, not survey replies

# A unit ends the score: "5分很好" is 5 and a comment. Not "5分钟", "5星级", "两星期".
_UNIT = r"(\s*(?:分(?!钟)|颗星|星(?![级期])))"
_DIGIT_SCORE = re.compile(r"([1-5])(?![0-9]|[.]\d)" + _UNIT + "?")
_CHINESE_SCORE = re.compile(r"([一二两三四五])" + _UNIT)
# Middling words start ordinary sentences too ("一般来说..."): only alone or before a separator.
_WEAK_WORDS = frozenset({"一般", "还行", "还可以"})
_SEPARATORS = " \t\r\n,.;:!?~-、。，；：！？～—…（）()[]【】\"'“”‘’"

SURVEY = "您的工单 {number} 已办理完毕。请回复数字 1-5 为本次服务打分（5 为非常满意，1 为非常不满意），可附意见。"
THANKS = "感谢您对工单 {number} 的评价（{score} 分），我们将继续改进服务。"
THANKS_LOW = "感谢您对工单 {number} 的评价（{score} 分）。工作人员将尽快回访，了解您的意见。"
CLARIFY = "抱歉，未能识别您的回复。请回复数字 1-5 为工单 {number} 打分（5 为非常满意），数字后可附意见。"


@dataclass(frozen=True)
class Reply:
    score: int
    comment: str | None = None


def fold(text):
    """Full-width to half-width, trimmed: "５ 分" and "5 分" read alike."""
    return unicodedata.normalize("NFKC", text or "").strip()


def parse_reply(text):
    """The Reply a text gives, or None when it holds no score."""
    text = _strip_fillers(fold(text))
    for parse in (_digit, _word, _chinese):
        reply = parse(text)
        if reply is not None:
            return reply
    return None


def is_appeal(text):
    """Whether the text asks for the case to be handled again."""
    folded = fold(text)
    return any(word in folded for word in APPEAL_WORDS)


def may_be_reply(text):
    """Whether an unreadable text is still worth one clarification: short, and not a new case."""
    folded = fold(text)
    return 0 < len(folded) <= CLARIFY_MAX_CHARS and not any(word in folded for word in NEW_CASE_WORDS)


def thanks_text(number, score, low):
    return (THANKS_LOW if low else THANKS).format(number=number, score=score)


def _strip_fillers(text):
    for _ in range(3):
        filler = next((f for f in _FILLERS if text.startswith(f) and len(text) > len(f)), None)
        if filler is None:
            break
        text = text[len(filler):].lstrip(_SEPARATORS)
    return text


def _digit(text):
    match = _DIGIT_SCORE.match(text)
    if match is None:
        return None
    rest = text[match.end():]
    # A bare digit glued to a word is more likely a count or a date ("3月5日买的...").
    if match.group(2) is None and not _separated(rest):
        return None
    return _reply(int(match.group(1)), rest)


def _chinese(text):
    if text in CHINESE_DIGITS:
        return Reply(CHINESE_DIGITS[text])
    match = _CHINESE_SCORE.match(text)
    return _reply(CHINESE_DIGITS[match.group(1)], text[match.end():]) if match else None


def _word(text):
    # Longest first: "非常不满意" is 1, not "非常..." nor "不满意".
    for word in sorted(WORD_SCORES, key=len, reverse=True):
        if text.startswith(word):
            rest = text[len(word):]
            if word in _WEAK_WORDS and not _separated(rest):
                return None
            return _reply(WORD_SCORES[word], rest)
    return None


def _separated(rest):
    return not rest or rest[0] in _SEPARATORS


def _reply(score, rest):
    return Reply(score, rest.strip(_SEPARATORS) or None)
