"""Texts sent to complainants and reporters when their case is forwarded. Pure data.

Chinese on purpose: they go to callers' phones, not to the operator's UI language.
Every text carries the case number (docs/DOMAIN.md, "SMS").
"""

FORWARDED = {
    "complaint": "您的投诉（工单号 {number}）已受理并转交{department}办理{contact}。查询进度请回复 CX{number}。",
    "report": "您的举报（工单号 {number}）已受理并转交{department}核查{contact}。查询进度请回复 CX{number}。",
}
FORWARDED_OTHER = "您的诉求（工单号 {number}）已转交{department}办理{contact}。查询进度请回复 CX{number}。"
CONTACT_PHONE = "，联系电话 {phone}"
CONTACT_HOURS = "（工作时间 {hours}）"


def forwarded_text(kind, number, department, phone=None, hours=None):
    """The notice that a case went to `department`, with its phone and hours when known."""
    contact = CONTACT_PHONE.format(phone=phone) if phone else ""
    if phone and hours:
        contact += CONTACT_HOURS.format(hours=hours)
    template = FORWARDED.get(str(kind), FORWARDED_OTHER)
    return template.format(number=number, department=department, contact=contact)
