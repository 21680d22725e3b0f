"""The referral directory: seeded from the defaults (docs/DOMAIN.md), edited by supervisors, every change audited."""

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import AuditLog, ReferralEntry, Role
from routing import referrals

RULES = Path(__file__).resolve().parents[2] / "intake" / "data" / "default_rules.json"


@pytest.fixture
def supervisor(make_user, login):
    user = make_user(Role.SUPERVISOR)
    login(user)
    return user


def _entry(key):
    return db.session.scalar(select(ReferralEntry).where(ReferralEntry.key == key))


def _audits(entry):
    return db.session.scalars(
        select(AuditLog).where(AuditLog.action == "referral_entry_changed", AuditLog.target_id == str(entry.id))
        .order_by(AuditLog.id)
    ).all()


def test_seeding_loads_domain_md_table_once_and_never_overwrites(app):
    assert referrals.seed_referral_directory() == 13
    db.session.commit()
    _entry("12378").caller_script = "本地改过的话术"
    db.session.delete(_entry("12366"))
    db.session.commit()

    assert referrals.seed_referral_directory() == 1  # only the deleted one comes back

    assert _entry("12378").caller_script == "本地改过的话术"
    assert _entry("12366") is not None


def test_postal_12305_is_seeded_inactive_with_the_warning(app):
    referrals.seed_referral_directory()

    postal = _entry("12305")
    assert postal.active is False
    assert "12345" in postal.scope and "停用" in postal.scope


def test_every_entry_can_be_told_and_texted_with_the_case_number(app):
    referrals.seed_referral_directory()

    for entry in referrals.directory(active_only=False):
        assert entry.caller_script and entry.agency_zh and entry.agency_en, entry.key
        assert "{number}" in entry.sms_text, entry.key


def test_keys_match_the_suggestion_engines_referral_keys(app):
    referrals.seed_referral_directory()
    rules = json.loads(RULES.read_text(encoding="utf-8"))
    suggested = {rule["value"] for rule in rules["rules"] if rule["target"] == "referral"}

    keys = {entry.key for entry in referrals.directory()}

    assert suggested <= keys
    assert keys == {"12345", "12300", "12378", "12386", "12328", "12326", "12320", "12333", "12366",
                    "12388", "110", "court"}


def test_a_supervisor_edits_an_entry_and_the_change_is_audited(client, supervisor):
    referrals.seed_referral_directory()
    db.session.commit()
    entry = _entry("12378")
    form = {"agency_zh": entry.agency_zh, "agency_en": entry.agency_en, "hotline": "12378",
            "scope": entry.scope, "caller_script": "请拨打12378。", "sms_text": "请拨打12378（{number}）",
            "transfer_number": "+861012378", "position": "5", "active": "y"}

    response = client.post(f"/referrals/directory/{entry.id}", data=form)

    assert response.status_code == 302
    db.session.refresh(entry)
    assert entry.transfer_number == "+861012378" and entry.caller_script == "请拨打12378。"
    [audit] = _audits(entry)
    assert audit.user_id == supervisor.id
    assert audit.data["before"]["transfer_number"] is None
    assert audit.data["after"]["transfer_number"] == "+861012378"


def test_a_bad_transfer_number_is_refused_with_the_form_kept(client, supervisor):
    referrals.seed_referral_directory()
    db.session.commit()
    entry = _entry("110")

    response = client.post(f"/referrals/directory/{entry.id}", data={
        "agency_zh": "公安", "agency_en": "Police", "transfer_number": "110 call me", "position": "1"})

    assert response.status_code == 400
    assert "+861012345678" in response.get_data(as_text=True)
    db.session.refresh(entry)
    assert entry.agency_zh == "公安机关" and _audits(entry) == []


def test_a_supervisor_adds_an_entry_and_a_taken_key_is_refused(client, supervisor):
    referrals.seed_referral_directory()
    db.session.commit()
    form = {"key": "12355", "agency_zh": "青少年服务台", "agency_en": "Youth service line", "hotline": "12355",
            "sms_text": "请拨打 12355（工单号 {number}）", "position": "200", "active": "y"}

    assert client.post("/referrals/directory/new", data=form).status_code == 302
    added = _entry("12355")
    assert added.active and added.hotline == "12355"
    assert len(_audits(added)) == 1

    again = client.post("/referrals/directory/new", data=form)
    assert again.status_code == 400
    assert db.session.scalar(select(db.func.count()).select_from(ReferralEntry).where(ReferralEntry.key == "12355")) == 1


def test_deactivating_hides_the_entry_from_operators_and_is_audited(client, supervisor):
    referrals.seed_referral_directory()
    db.session.commit()
    entry = _entry("12388")

    assert client.post(f"/referrals/directory/{entry.id}/active").status_code == 302

    db.session.refresh(entry)
    assert entry.active is False
    assert "12388" not in {e.key for e in referrals.directory()}
    assert _audits(entry)[-1].data["after"]["active"] is False
    assert "12388" in client.get("/referrals/directory").get_data(as_text=True)  # still listed for editing

    client.post(f"/referrals/directory/{entry.id}/active")
    db.session.refresh(entry)
    assert entry.active is True


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.DEPARTMENT, Role.ADMIN])
def test_only_supervisors_maintain_the_directory(client, make_user, login, role):
    referrals.seed_referral_directory()
    db.session.commit()
    login(make_user(role))

    assert client.get("/referrals/directory").status_code == 403
    assert client.post("/referrals/directory/new", data={"key": "x"}).status_code == 403
    assert client.post(f"/referrals/directory/{_entry('110').id}/active").status_code == 403
    assert _entry("110").active is True


def test_the_directory_page_lists_every_entry(client, supervisor):
    referrals.seed_referral_directory()
    db.session.commit()

    page = client.get("/referrals/directory").get_data(as_text=True)

    assert page.count('data-testid="directory-entry"') == 13
