from config import TestingConfig
from hotline import create_app


def test_testing_config_is_honoured():
    assert not create_app("development").testing
    assert create_app(TestingConfig).testing


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    import pytest

    from config import ProductionConfig

    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", None)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
