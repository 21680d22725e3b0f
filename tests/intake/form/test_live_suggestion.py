"""Issue 15.3: the suggestion follows the facts while they are typed, before any save."""

from hotline.models import Role


def test_the_form_asks_for_a_suggestion_of_the_facts_so_far(client, operator, call_ticket):
    ticket = call_ticket(operator)
    response = client.post(f"/intake/tickets/{ticket.number}/suggestion", data={"facts": "我要投诉，网购的冰箱不制冷，商家不给退"},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 200
    panel = response.get_data(as_text=True)
    assert 'data-testid="suggestion"' in panel and 'class="small suggestion-apply"' in panel
    assert 'data-kind="complaint"' in panel


def test_an_out_of_scope_text_suggests_the_agency(client, operator, call_ticket):
    ticket = call_ticket(operator)
    response = client.post(f"/intake/tickets/{ticket.number}/suggestion",
                           data={"facts": "中国移动话费多扣了，给我开通了增值业务，我要投诉运营商"})
    assert response.status_code == 200
    assert 'data-referral="12300"' in response.get_data(as_text=True)


def test_the_suggested_agency_is_named_not_coded(client, operator, call_ticket):
    from routing.referrals import seed_referral_directory

    seed_referral_directory()
    ticket = call_ticket(operator)
    panel = client.post(f"/intake/tickets/{ticket.number}/suggestion", headers={"Accept-Language": "en"},
                        data={"facts": "中国移动话费多扣了，给我开通了增值业务，我要投诉运营商"}).get_data(as_text=True)
    shown = panel[panel.index('class="suggested-referral"'):].split("</span>")[0]
    assert "refer to Telecom regulator (MIIT) (12300)" in shown, shown


def test_no_facts_no_suggestion(client, operator, call_ticket):
    ticket = call_ticket(operator)
    response = client.post(f"/intake/tickets/{ticket.number}/suggestion", data={"facts": "  "})
    assert response.status_code == 200 and 'data-testid="suggestion"' not in response.get_data(as_text=True)


def test_only_intake_staff_ask(client, make_user, login, call_ticket, department):
    ticket = call_ticket()
    login(make_user(role=Role.DEPARTMENT, department=department))
    assert client.post(f"/intake/tickets/{ticket.number}/suggestion", data={"facts": "冰箱不制冷"}).status_code == 403
