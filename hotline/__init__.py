"""The Hotline application factory."""

import logging

from flask import Flask, request, session
from flask_login import current_user

from config import BASE_DIR, config_for, dev_secret_key
from hotline.extensions import babel, csrf, db, login_manager, migrate


def create_app(config=None):
    """Build the app from a config class (or its name; default from HOTLINE_CONFIG)."""
    config_cls = config if isinstance(config, type) else config_for(config)
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        instance_path=str(BASE_DIR / "instance"),
    )
    app.config.from_object(config_cls)
    _require_secret_key(app)
    logging.basicConfig(level=logging.INFO)

    _init_extensions(app)
    _register_blueprints(app)
    _add_security_headers(app)
    from hotline.authz import check_declared
    from hotline.cli import register_cli
    from hotline.errors import register_error_handlers
    from hotline.templating import register_template_helpers

    check_declared(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_cli(app)
    _register_features(app)
    return app


def _register_features(app):
    """Feature packages hang off the core; imported here so the core never imports them
    at module level."""
    from followup.cli import followup_cli
    from followup.views import bp as followup_bp
    from intake.api import bp as intake_api_bp
    from intake.decision_views import bp as intake_decision_bp
    from intake.evidence_views import bp as evidence_bp
    from intake.views import bp as intake_bp
    from routing.desk_views import bp as desk_bp
    from routing.referral_views import bp as referrals_bp
    from routing.views import bp as routing_bp

    app.cli.add_command(followup_cli)
    app.register_blueprint(intake_bp, url_prefix="/intake")
    app.register_blueprint(intake_decision_bp, url_prefix="/intake")
    app.register_blueprint(evidence_bp, url_prefix="/evidence")
    app.register_blueprint(intake_api_bp, url_prefix="/api/v1")
    # Bearer-token API, like hotline.api: no cookies, so no CSRF.
    csrf.exempt(intake_api_bp)
    app.register_blueprint(routing_bp, url_prefix="/routing")
    app.register_blueprint(referrals_bp, url_prefix="/referrals")
    app.register_blueprint(desk_bp, url_prefix="/desk")
    app.register_blueprint(followup_bp, url_prefix="/followup")
