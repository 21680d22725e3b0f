"""GET /api/v1/tickets/<number>: beside each code of the history (event kind, field, status,
return reason, the reason's code) its words, in the request's language; the codes stay."""

import pytest

from hotline import tickets
from hotline.extensions import db
from hotline.models import Role, TicketKind, TicketStatus


@pytest.fixture
def returned_case(create_ticket, make_user, make_department):
    operator = make_user(role=Role.OPERATOR, username="wang")
    ticket = create_ticket(kind=TicketKind.UNKNOWN, facts="商家卖过期食品")
    tickets.update_fields(ticket, {"kind": TicketKind.REPORT}, reason="voice menu")
    tickets.change_status(ticket, TicketStatus.ACCEPTED, actor=operator, reason="材料齐全")
    tickets.record_event(ticket, "returned", operator, to_value="wrong_department", reason="不归我所管辖")
    tickets.add_note(ticket, "已联系商家", operator)
    db.session.commit()
    return ticket


def history(response):
    return [{k: e[k] for k in ("type", "label", "field", "field_label", "from", "from_label", "to", "to_label",
                                "reason", "reason_label")} for e in response.json["events"]]


def test_the_history_says_its_codes_in_chinese_by_default(operator_api, returned_case):
    response = operator_api.get(f"/api/v1/tickets/{returned_case.number}")
    assert response.headers["Content-Language"] == "zh"
    created, kind, status, returned, note = history(response)
    assert (created["type"], created["label"], created["to"], created["to_label"]) == (
        "created", "工单创建", "voice", "电话")
    assert (kind["field"], kind["field_label"], kind["from"], kind["from_label"], kind["to"], kind["to_label"]) == (
        "kind", "类型", "unknown", "未分类", "report", "举报")
    assert (kind["reason"], kind["reason_label"]) == ("voice menu", "来电人在语音菜单中选择")
    assert (status["type"], status["label"], status["from"], status["from_label"], status["to"],
            status["to_label"]) == ("status", "状态变更", "new", "待受理", "accepted", "已受理")
    assert (status["reason"], status["reason_label"]) == ("材料齐全", "材料齐全")  # words stay as typed
    assert (returned["label"], returned["to"], returned["to_label"]) == ("已退回热线", "wrong_department", "非本部门职责")
    assert (note["label"], note["to"], note["to_label"], note["field_label"]) == ("备注", "已联系商家", None, None)


def test_accept_language_asks_for_english(operator_api, returned_case):
    response = operator_api.get(f"/api/v1/tickets/{returned_case.number}", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert response.headers["Content-Language"] == "en"
    _created, kind, status, returned, _note = history(response)
    assert (kind["to_label"], kind["reason_label"]) == ("Report", "chosen in the voice menu")
    assert (status["label"], status["to_label"]) == ("Status changed", "Accepted")
    assert (returned["label"], returned["to_label"]) == ("Returned to the hotline", "Wrong department")


def test_without_accept_language_the_token_users_language(api, make_user, token_for, returned_case):
    user = make_user(role=Role.SUPERVISOR)
    user.locale = "en"
    db.session.commit()
    response = api.as_(token_for(user)).get(f"/api/v1/tickets/{returned_case.number}")
    assert response.headers["Content-Language"] == "en"
    assert history(response)[2]["to_label"] == "Accepted"
    # A language the hotline does not speak falls back to the user's.
    response = api.as_(token_for(user)).get(f"/api/v1/tickets/{returned_case.number}", headers={"Accept-Language": "fr"})
    assert response.headers["Content-Language"] == "en"


def test_a_new_case_comes_back_labelled(operator_api, categories):
    response = operator_api.post("/api/v1/tickets", json={"phone": "13800138000", "kind": "complaint",
                                                          "facts": "空调坏了"})
    assert response.status_code == 201
    assert response.json["events"][0]["label"] == "工单创建"
