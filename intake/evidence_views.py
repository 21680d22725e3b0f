"""Evidence files on a case: upload, list (the partial on the ticket page), download."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from hotline import audit
from hotline.access import get_ticket
from hotline.authz import roles_required
from hotline.extensions import db
from hotline.models import Evidence, Role
from intake import evidence, filetypes

bp = Blueprint("evidence", __name__)

EVIDENCE_ROLES = (Role.OPERATOR, Role.SUPERVISOR, Role.DEPARTMENT)
REFUSALS = {
    "empty": _l("the file is empty"),
    "program": _l("programs are not accepted"),
    "damaged": _l("the file is damaged"),
    "archive": _l("archives (zip) are not accepted; send the files themselves"),
    "macros": _l("documents with macros are not accepted; save it without macros"),
    "office_kind": _l("this kind of office file is not accepted"),
    "markup": _l("web pages (HTML) are not accepted; send a PDF or a screenshot"),
    "unknown_type": _l("this type of file is not accepted: send a photo (JPEG, PNG, GIF, WebP, HEIC), "
                       "a PDF, a Word, Excel or PowerPoint document, or plain text"),
    "too_complex": _l("the file is built in a way that cannot be checked safely (too many parts, or packed "
                      "far too tightly); save it again or send a PDF"),
    "duplicate": _l("this file is already attached to the case"),
}
ACCEPT = ",".join(sorted({"." + ext for t in filetypes.ACCEPTED for ext in t.extensions}))


def why_refused(code, max_bytes):
    """What to tell a user about a refused file (a reason from filetypes.REASONS, too_large or duplicate)."""
    if code == "too_large":
        return _("larger than %(mb)s MB", mb=_megabytes(max_bytes))
    return str(REFUSALS.get(code, REFUSALS["unknown_type"]))


def _megabytes(size):
    return f"{size / (1024 * 1024):g}"


def _panel(ticket):
    """What templates/intake/_evidence.html shows for `ticket` to the signed-in user."""
    if current_user.role not in EVIDENCE_ROLES:
        return None
    return {"files": evidence.case_evidence(ticket), "links": evidence.media_links(ticket),
            "labels": filetypes.LABELS, "accept": ACCEPT, "max_mb": _megabytes(evidence.max_file_bytes())}


def template_helpers():
    return {"evidence_panel": _panel}


@bp.errorhandler(413)
def _too_large(exc):
    flash(_("The upload is too large: at most %(total)s MB at once, %(each)s MB per file.",
            total=_megabytes(current_app.config["MAX_CONTENT_LENGTH"]),
            each=_megabytes(evidence.max_file_bytes())), "error")
    return render_template("errors/error.html", error=exc), 413


@bp.post("/tickets/<number>")
@roles_required(*EVIDENCE_ROLES)
def upload(number):
    # The sign-in check began a transaction (on SQLite: BEGIN IMMEDIATE, the write lock). End it,
    # then read and type every file with no database work, and only then look at the case.
    db.session.commit()
    checked = [evidence.check_upload(f.filename, f.stream, evidence.max_file_bytes())
               for f in request.files.getlist("files") if f.filename]
    ticket = get_ticket(number, current_user) or abort(404)
    if not checked:
        flash(_("Choose one or more files to attach."), "error")
        return _ticket_page(ticket), 400
    attached = [_attach(ticket, item) for item in checked]
    db.session.commit()
    if not all(attached):  # the case page again, saying which files were refused and why
        return _ticket_page(ticket), 422
    return redirect(url_for("console.ticket", number=ticket.number, _anchor="evidence"))


def _ticket_page(ticket):
    """The case page again, with the flashed reasons: rendered by the console's own view (by
    endpoint name, as url_for would name it), since a feature imports no console module."""
    return current_app.view_functions["console.ticket"](number=ticket.number)


def _attach(ticket, upload):
    """Attach one checked file and say what became of it; True when attached."""
    try:
        item = evidence.attach_file(ticket, upload, current_user, evidence.storage_dir())
    except filetypes.Refused as exc:
        flash(_("%(name)s was not attached: %(why)s.", name=upload.name,
                why=why_refused(exc.code, evidence.max_file_bytes())), "error")
        return False
    flash(_("%(name)s attached.", name=item.filename), "success")
    return True


@bp.get("/<int:evidence_id>")
@roles_required(*EVIDENCE_ROLES)
def download(evidence_id):
    item = db.session.get(Evidence, evidence_id)
    if item is None or get_ticket(item.ticket.number, current_user) is None:
        abort(404)
    path = evidence.file_of(item, evidence.storage_dir()) or abort(404)
    audit.record(current_user, "download_evidence", "ticket", item.ticket.number, ip=request.remote_addr,
                 evidence=item.id)
    db.session.commit()
    response = send_file(path, mimetype=item.content_type, as_attachment=True, download_name=item.filename,
                         max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
