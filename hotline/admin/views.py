"""Account administration (/admin): staff accounts, sign-in locks, API tokens. Admins only."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hotline import accounts
from hotline.admin import forms, services
from hotline.authz import roles_required
from hotline.extensions import db
from hotline.models import ApiToken, Role, User

bp = Blueprint("admin", __name__)
admin_only = roles_required(Role.ADMIN)


# Secrets shown once (tokens, keys, webhook secrets) must not be kept by a cache.
NO_STORE = {"Cache-Control": "no-store"}


def who():
    """The acting admin and their address, as the services take them."""
    return {"actor": current_user._get_current_object(), "ip": request.remote_addr}


@bp.route("/")
@admin_only
def index():
    return redirect(url_for(".users"))


@bp.route("/users")
@admin_only
def users():
    return render_template(
        "admin/users.html", users=services.list_users(), is_locked=accounts.is_locked,
        locked_addresses=accounts.locked_addresses, roles=forms.ROLE_LABELS,
    )


@bp.route("/users/new", methods=["GET", "POST"])
@admin_only
def new_user():
    form = forms.NewUserForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                **who(), username=form.username.data, password=form.password.data, **form.account_fields()
            )
        except accounts.AccountError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Account %(username)s created.", username=user.username), "success")
            return redirect(url_for(".users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@admin_only
def edit_user(user_id):
    user = db.get_or_404(User, user_id)
    form = forms.EditUserForm(data=_account_data(user))
    if form.validate_on_submit():
        try:
            services.update_user(**who(), user=user, active=form.active.data, **form.account_fields())
        except services.SelfLockout:
            db.session.rollback()
            form.form_errors.append(_("You cannot deactivate your own account or take away your admin role."))
        else:
            db.session.commit()
            flash(_("Account %(username)s saved.", username=user.username), "success")
            return redirect(url_for(".users"))
    return render_template("admin/user_form.html", form=form, user=user)


def _account_data(user):
    return {
        "display_name": user.display_name,
        "role": user.role.value,
        "department": user.department_id or forms.NO_DEPARTMENT,
        "phone": user.phone,
        "active": user.active,
    }


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@admin_only
def reset_password(user_id):
    user = db.get_or_404(User, user_id)
    form = forms.PasswordForm(user)
    if form.validate_on_submit():
        services.reset_password(**who(), user=user, password=form.password.data)
        if user.id == current_user.id:  # an admin's own password: this session stays signed in
            accounts.remember_session(session, user)
        db.session.commit()
        flash(_("New password set for %(username)s.", username=user.username), "success")
        return redirect(url_for(".users"))
    return render_template("admin/password.html", form=form, user=user)


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@admin_only
def unlock_user(user_id):
    user = db.get_or_404(User, user_id)
    services.unlock_user(**who(), user=user)
    db.session.commit()
    flash(_("Account %(username)s unlocked.", username=user.username), "success")
    return redirect(url_for(".users"))


@bp.route("/tokens")
@admin_only
def tokens():
    return _tokens_page(forms.TokenForm(services.list_users()))


def _tokens_page(form):
    return render_template("admin/tokens.html", tokens=services.list_tokens(), form=form)


@bp.route("/tokens", methods=["POST"])
@admin_only
def create_token():
    form = forms.TokenForm(services.list_users())
    if not form.validate_on_submit():
        return _tokens_page(form)
    owner = db.get_or_404(User, form.owner.data)
    plain, token = services.issue_token(**who(), owner=owner, name=form.name.data.strip())
    db.session.commit()
    # Shown on this one response and never again: not cached, not stored in the session.
    response = render_template("admin/token_created.html", plain=plain, token=token)
    return response, 200, NO_STORE


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@admin_only
def revoke_token(token_id):
    token = db.get_or_404(ApiToken, token_id)
    services.revoke_token(**who(), token=token)
    db.session.commit()
    flash(_("Token %(prefix)s… revoked.", prefix=token.prefix), "success")
    return redirect(url_for(".tokens"))
