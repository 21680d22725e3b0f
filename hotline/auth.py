"""Signing in and out, changing one's own password, and the language switch.

Failed sign-ins are limited per address over every account (LOGIN_FAILURES_PER_ADDRESS, in the
rate-limit store all workers share); once used up, every sign-in from that address, right or
wrong, gets the same "too many tries" page until the window passes. Per (account, address)
locks are hotline.accounts' business.
"""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from hotline import accounts
from hotline.admin.forms import password_fields
from hotline.authz import public, roles_required
from hotline.extensions import db, limiter

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField("username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=256)])


def _sign_in_failed(_response):
    return g.get("sign_in_failed", False)


def _address_key():
    return "login-addr:" + (request.remote_addr or "-")


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_FAILURES_PER_ADDRESS"], key_func=_address_key,
               methods=["POST"], deduct_when=_sign_in_failed)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.username.data, form.password.data, request.remote_addr)
        db.session.commit()  # a failure count or lock must persist too
        if user:
            session.clear()
            login_user(user)
            accounts.remember_session(session, user)
            session.permanent = True
            return redirect(back_to(request.args.get("next")))
        g.sign_in_failed = True
        # One message for every failure, so it does not tell which usernames exist.
        flash(_("Sign-in failed: wrong username or password, or the account is locked."), "error")
    return render_template("auth/login.html", form=form)


@bp.errorhandler(429)
def too_many_sign_ins(_exc):
    return render_template("auth/login.html", form=LoginForm(formdata=None), throttled=True), 429


class OwnPasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=256)])
    password, confirm = password_fields(_l("New password"))

    def names_of_account(self):
        return (current_user.username, current_user.display_name)

    def validate_current(self, field):
        if not accounts.check_own_password(current_user, field.data):
            raise ValidationError(_l("This is not your current password."))


@bp.route("/password", methods=["GET", "POST"])
@roles_required()
def change_password():
    """A signed-in user changes their own password: their other sessions end, this one stays."""
    form = OwnPasswordForm()
    if form.validate_on_submit():
        accounts.change_own_password(current_user, form.password.data, ip=request.remote_addr)
        accounts.remember_session(session, current_user)
        db.session.commit()
        flash(_("Your password was changed. Every other session of your account has been signed out."), "success")
        return redirect(url_for("console.index"))
    return render_template("auth/password.html", form=form), 200 if not form.errors else 400


@bp.route("/logout", methods=["POST"])
@roles_required()
def logout():
    # Signed cookies live on the client: clearing ours would leave a copy of it valid for its
    # whole life. Signing out ends the account's sessions on the server (every browser's).
    accounts.end_sessions(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>", methods=["POST"])
@public
def set_language(code):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return redirect(back_to(request.form.get("next"), request.referrer))


@bp.route("/healthz")
@public
def healthz():
    db.session.execute(db.text("SELECT 1"))
    return {"status": "ok"}


def back_to(*targets):
    """Where to send the user back to: the first target that is a same-site page a GET opens,
    else the queue. Same-site only, so a crafted link cannot bounce a user elsewhere; a GET page
    only, because a page re-rendered after a refused POST (a form with its errors) sits at its
    POST-only address, and going back there would answer 405."""
    adapter = current_app.url_map.bind(request.host)
    for target in targets:
        parts = urlsplit(target or "")
        same_site = (not parts.scheme and not parts.netloc) or parts.netloc == request.host
        path = parts.path or ("/" if parts.netloc else "")
        if not same_site or not path.startswith("/") or "\\" in (target or ""):
            continue
        try:
            adapter.match(path, method="GET")
        except RequestRedirect:  # a missing trailing slash: the page is there
            pass
        except HTTPException:  # 404, or 405 for an address only a form posts to
            continue
        return path + (f"?{parts.query}" if parts.query else "")
    return url_for("console.index")
