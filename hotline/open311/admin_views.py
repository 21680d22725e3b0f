"""Admins issue Open311 api keys (shown once; only a SHA-256 is kept), set their rate, revoke them."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from hotline.admin.views import NO_STORE, admin_only, who
from hotline.extensions import db
from hotline.models import Open311Key
from hotline.open311 import forms, services

bp = Blueprint("open311_admin", __name__)


def _keys_page(form, status=200):
    page = render_template("open311/keys.html", keys=services.list_keys(), form=form)
    return page, status


@bp.route("/keys")
@admin_only
def keys():
    return _keys_page(forms.KeyForm())


@bp.route("/keys", methods=["POST"])
@admin_only
def create_key():
    form = forms.KeyForm()
    if not form.validate_on_submit():
        return _keys_page(form, 400)
    plain, key = services.issue_key(**who(), name=form.name.data.strip(),
                                    requests_per_minute=form.requests_per_minute.data)
    db.session.commit()
    # Shown on this one response and never again: not cached, not stored in the session.
    return render_template("open311/key_created.html", plain=plain, key=key), 200, NO_STORE


@bp.route("/keys/<int:key_id>/rate", methods=["POST"])
@admin_only
def set_rate(key_id):
    key = db.get_or_404(Open311Key, key_id)
    form = forms.RateForm()
    if not form.validate_on_submit():
        flash(_("Requests per minute: from 1 to 10000."), "error")
        return redirect(url_for(".keys"))
    services.set_rate(**who(), key=key, requests_per_minute=form.requests_per_minute.data)
    db.session.commit()
    flash(_("Key %(prefix)s… may now make %(n)d requests a minute.", prefix=key.prefix, n=key.requests_per_minute),
          "success")
    return redirect(url_for(".keys"))


@bp.route("/keys/<int:key_id>/revoke", methods=["POST"])
@admin_only
def revoke_key(key_id):
    key = db.get_or_404(Open311Key, key_id)
    services.revoke_key(**who(), key=key)
    db.session.commit()
    flash(_("Key %(prefix)s… revoked.", prefix=key.prefix), "success")
    return redirect(url_for(".keys"))
