"""/intake/rules: supervisors keep keyword rules that override the classifier, try a change before
saving, and are audited."""

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import AuditLog, Role, SuggestionRule, SuggestionTarget
from intake.suggestion_rules import save_rule, suggestion_for

SAMPLE = "买的破壁机转了两下就冒烟了"


@pytest.fixture
def rule(make_user):
    """A supervisor's override: "冒烟" means furniture and building materials (G09)."""
    saved = save_rule(None, make_user(role=Role.SUPERVISOR), {
        "target": "category", "value": "G09", "keywords": "冒烟", "weight": 1, "position": 1, "active": True})
    db.session.commit()
    return saved


def audit_count():
    return len(db.session.scalars(select(AuditLog).where(AuditLog.action == "suggestion_rule_changed")).all())


def g09_rule():
    return db.session.scalar(select(SuggestionRule).where(
        SuggestionRule.target == SuggestionTarget.CATEGORY, SuggestionRule.value == "G09"))


def form_for(rule, **overrides):
    data = {"keywords": rule.keywords, "weight": rule.weight, "position": rule.position, "active": "y"}
    return {**data, **overrides}


def test_operators_and_department_staff_get_403(client, login, make_user, rule):
    for role in (Role.OPERATOR, Role.DEPARTMENT):
        login(make_user(role=role))
        assert client.get("/intake/rules").status_code == 403
        assert client.post(f"/intake/rules/{rule.id}", data={"save": "y"}).status_code == 403


def test_signed_out_users_are_sent_to_sign_in(client):
    assert client.get("/intake/rules").status_code == 302


def test_the_list_shows_rules_by_target_and_the_try_box_answers(client, login, make_user, rule):
    login(make_user(role=Role.SUPERVISOR))
    page = client.get("/intake/rules").get_data(as_text=True)
    assert "家具及建材" in page and "冒烟" in page
    tried = client.post("/intake/rules", data={"sample": "空调不制冷了"}).get_data(as_text=True)
    # no rule matches: the classifier's suggestion, with its words and confidence
    assert 'data-testid="suggestion"' in tried and "家用电器" in tried and "%)" in tried
    tried = client.post("/intake/rules", data={"sample": SAMPLE}).get_data(as_text=True)
    assert "家具及建材" in tried and "班长规则：冒烟" in tried


def test_try_shows_the_draft_without_saving(client, login, make_user, rule):
    login(make_user(role=Role.SUPERVISOR))
    audited = audit_count()
    page = client.post(f"/intake/rules/{rule.id}",
                       data=form_for(rule, keywords="破壁机\n冒烟", sample=SAMPLE, try_it="y"))
    assert page.status_code == 200
    assert "班长规则：破壁机、冒烟" in page.get_data(as_text=True)
    db.session.expire_all()
    assert g09_rule().keywords == "冒烟"
    assert audit_count() == audited


def test_a_supervisor_adds_a_keyword_and_the_suggestion_changes_and_is_audited(client, login, make_user, rule):
    supervisor = make_user(role=Role.SUPERVISOR)
    login(supervisor)
    assert suggestion_for("我家的暖风机坏了")["category"]["code"] != "G09"
    response = client.post(f"/intake/rules/{rule.id}",
                           data=form_for(rule, keywords=rule.keywords + "\n暖风机\n 暖风机 \n", save="y"))
    assert response.status_code == 302
    db.session.expire_all()
    found = suggestion_for("我家的暖风机坏了")["category"]
    assert (found["code"], found["source"], found["keywords"]) == ("G09", "rule", ["暖风机"])
    saved = g09_rule()
    assert saved.keywords.splitlines().count("暖风机") == 1
    assert saved.updated_by_id == supervisor.id
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "suggestion_rule_changed")
                               .order_by(AuditLog.id.desc())).first()
    assert (entry.user_id, entry.target_type, entry.target_id) == (supervisor.id, "suggestion_rule", str(rule.id))
    assert "暖风机" not in entry.data["before"]["keywords"]
    assert "暖风机" in entry.data["after"]["keywords"]


def test_deactivating_a_rule_gives_the_model_back_its_say(client, login, make_user, rule):
    login(make_user(role=Role.SUPERVISOR))
    assert suggestion_for(SAMPLE)["category"]["code"] == "G09"
    data = form_for(rule, save="y")
    del data["active"]  # an unticked checkbox is not sent
    assert client.post(f"/intake/rules/{rule.id}", data=data).status_code == 302
    db.session.expire_all()
    found = suggestion_for(SAMPLE)["category"]
    assert found["source"] == "model" and found["code"] == "G01"


def test_a_supervisor_adds_a_referral_rule(client, login, make_user):
    login(make_user(role=Role.SUPERVISOR))
    data = {"target": "referral", "value": "12305", "keywords": "邮政普遍服务", "weight": 2, "position": 999,
            "active": "y", "save": "y"}
    assert client.post("/intake/rules/new", data=data).status_code == 302
    assert suggestion_for("邮政普遍服务的问题")["referral"]["key"] == "12305"
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "suggestion_rule_changed"))
    assert entry.data["before"] is None and entry.data["after"]["value"] == "12305"
    assert suggestion_for("邮政普遍服务的问题")["referral"]["source"] == "rule"


def test_a_value_that_does_not_exist_is_refused(client, login, make_user):
    login(make_user(role=Role.SUPERVISOR))
    for target, value in (("category", "X99"), ("category", "P01"), ("kind", "praise"), ("referral", "12 3")):
        data = {"target": target, "value": value, "keywords": "词", "weight": 1, "position": 1, "save": "y"}
        response = client.post("/intake/rules/new", data=data)
        assert response.status_code == 200, (target, value)
    assert db.session.scalar(select(SuggestionRule).where(SuggestionRule.value == "X99")) is None


def test_bad_numbers_are_refused_not_a_500(client, login, make_user, rule):
    login(make_user(role=Role.SUPERVISOR))
    for weight in ("abc", "-1", "1000"):
        response = client.post(f"/intake/rules/{rule.id}", data=form_for(rule, weight=weight, save="y"))
        assert response.status_code == 200
    assert client.get("/intake/rules/999999").status_code == 404


def test_the_form_carries_a_csrf_token_when_csrf_is_on(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        from hotline import accounts

        accounts.create_user("sup", "amber-otter-lantern-42", Role.SUPERVISOR)
        db.session.commit()
    client = app.test_client()
    with app.app_context():
        # sign in through the login form, which needs its own token
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        client.post("/login", data={"username": "sup", "password": "amber-otter-lantern-42", "csrf_token": token})
        assert 'name="csrf_token"' in client.get("/intake/rules").get_data(as_text=True)
        assert client.post("/intake/rules", data={"sample": "空调"}).status_code == 400
