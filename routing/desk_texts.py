"""Result notices sent by SMS when a department records a case's result. Pure data.

Chinese on purpose: they go to callers' phones whatever the staff's UI language. Keys are
CaseResult values; every text carries the case number ({number}).
"""

# What the consumer got when mediation succeeded (result_detail["outcome"]).
OUTCOMES = {
    "refund": "退款",
    "exchange": "换货",
    "repair": "维修",
    "compensation": "赔偿",
    "other": "其他方式解决",
}

# Why mediation was terminated (result_detail["reason"]); the notice names the reason, never
# the department's free-text note, which may hold internal remarks.
TERMINATION_REASONS = {
    "withdrawn": "投诉人撤回投诉",
    "refused": "一方当事人不同意或拒绝调解",
    "unreachable": "无法联系到投诉人或被投诉人",
    "handled_elsewhere": "争议已由人民法院、仲裁机构或其他部门处理",
    "other": "其他依法终止调解的情形",
}

# Mediation failing or ending leaves the consumer the courts and arbitration (SAMR Order No. 121).
_LEGAL_ROUTES = "您可依法向人民法院提起诉讼，或依约定申请仲裁。"

RESULT_NOTICES = {
    "mediated": "您的投诉（工单号 {number}）经调解已达成一致：{outcome}。如有异议，请致电12315。",
    "mediation_failed": "您的投诉（工单号 {number}）经调解，双方未能达成一致，调解终止。" + _LEGAL_ROUTES,
    "terminated": "您的投诉（工单号 {number}）已终止调解，原因：{reason}。" + _LEGAL_ROUTES,
    "case_opened": "您举报的线索（工单号 {number}）经核查，已决定立案调查。感谢您的监督。",
    "case_not_opened": "您举报的线索（工单号 {number}）经核查，决定不予立案。感谢您的监督。",
}


def outcome_text(outcome, amount=None):
    """'退款 200.00 元' for the mediated notice; the amount only when one was recorded."""
    label = OUTCOMES.get(outcome, OUTCOMES["other"])
    return label if amount is None else f"{label} {amount} 元"


def result_notice(result, number, detail=None):
    """The notice text for a result, filled in from its detail."""
    detail = detail or {}
    return RESULT_NOTICES[str(result)].format(
        number=number,
        outcome=outcome_text(detail.get("outcome"), detail.get("amount")),
        reason=TERMINATION_REASONS.get(detail.get("reason"), TERMINATION_REASONS["other"]),
    )
