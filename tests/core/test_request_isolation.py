from hotline.models import Role


def test_a_new_anonymous_client_is_not_the_last_signed_in_user(app, client, make_user, login):
    login(make_user(role=Role.ADMIN))
    assert client.get("/admin/users").status_code == 200
    assert app.test_client().get("/admin/users").status_code == 302
