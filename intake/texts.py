"""SMS texts of intake decisions, as data. Pure: no Flask, no session.

Chinese on purpose: they go to callers' phones, whatever language the operator's screen
is in (same reasoning as hotline/sms_texts.py). Every text carries the case number.
"""

OTP_CODE = "您正在核实热线工单 {number} 的联系电话，验证码 {code}，{minutes} 分钟内有效，请读给接线员。如非本人操作请忽略。"

KIND_WORDS = {"complaint": "投诉", "report": "举报"}

ACCEPTED = "您的{kind}（工单号 {number}）已于 {date} 受理，将转交有权处理的部门办理。查询进度请回复 CX{number}。"

REJECTED = "您的{kind}（工单号 {number}）经审查不予受理，理由：{ground}。如有疑问请致电本热线。"

# 不予受理 grounds (RejectGround values, docs/DOMAIN.md) as the notice names them.
GROUNDS = {
    "out_of_scope": "不属于本部门职责范围或者管辖范围",
    "already_handled": "已由人民法院、仲裁机构、有关行政机关、消费者协会或者其他调解组织受理或者处理",
    "not_consumption": "不是为生活消费需要购买、使用商品或者接受服务，或者不能证实存在消费者权益争议",
    "time_barred": "自知道或者应当知道权益受到侵害之日起已超过三年",
    "information_missing": "未提供受理所需的必要信息",
    "false_materials": "提供的材料不实或者拒绝核实身份",
    "other_legal": "法律、法规、规章规定不予受理的其他情形",
}


def otp_text(code, number, minutes):
    """The one-time code message."""
    return OTP_CODE.format(code=code, number=number, minutes=minutes)


def accepted_text(kind, number, day):
    """The acceptance notice; `day` is the local date of acceptance."""
    return ACCEPTED.format(kind=KIND_WORDS.get(str(kind), "诉求"), number=number, date=f"{day:%Y-%m-%d}")


def rejected_text(kind, number, ground):
    """The notice of non-acceptance naming its ground."""
    return REJECTED.format(kind=KIND_WORDS.get(str(kind), "诉求"), number=number, ground=GROUNDS[str(ground)])
