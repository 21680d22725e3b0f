"""Evidence on a case: files stored outside the web root under their content hash, and MMS media
links Twilio holds. Services flush; the view commits.

An upload is read and typed by `check_upload` first, with no database work at all, and only then
attached: parsing a file (bounded as it is) must never happen while the request holds a database
transaction, which on SQLite is the write lock every webhook and sign-in waits for.
"""

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hotline.extensions import db
from hotline.models import Channel, Contact, Evidence
from hotline.tickets import record_event
from intake import filetypes

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


class EvidenceRefused(filetypes.Refused):
    """A file not attached; `code` is one of filetypes.REASONS or too_large / duplicate."""


@dataclass(frozen=True)
class Upload:
    """One uploaded file, read and typed: `refused` names why it cannot be attached, else None."""

    name: str
    data: bytes = b""
    filetype: filetypes.FileType | None = None
    sha256: str = ""
    refused: str | None = None


def check_upload(name, stream, max_bytes=DEFAULT_MAX_BYTES):
    """Read at most `max_bytes` (+1, to know it is more) of `stream` and type them. Touches no database."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        return Upload(name, refused="too_large")
    try:
        found = filetypes.sniff(data)
    except filetypes.Refused as exc:
        return Upload(name, refused=exc.code)
    return Upload(name, data, found, hashlib.sha256(data).hexdigest())


def storage_dir():
    """Where this app keeps evidence files (EVIDENCE_DIR, else instance/evidence)."""
    return current_app.config.get("EVIDENCE_DIR") or os.path.join(current_app.instance_path, "evidence")


def max_file_bytes():
    return int(current_app.config.get("EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))


@dataclass
class MediaLink:
    """An MMS attachment: Twilio keeps the file, the case keeps the link."""

    url: str
    content_type: str
    at: datetime


def blob_path(evidence_dir, sha):
    """Where the bytes with this SHA-256 live: <dir>/<sha[:2]>/<sha>."""
    return Path(evidence_dir) / sha[:2] / sha


def store_blob(evidence_dir, data):
    """Write `data` under its hash unless it is there already; return the hash."""
    sha = hashlib.sha256(data).hexdigest()
    path = blob_path(evidence_dir, sha)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a reader never sees half a file and two uploads cannot interleave.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o640)
        os.replace(tmp, path)
    return sha


def attach_file(ticket, upload, actor, evidence_dir):
    """Store and attach an accepted Upload, with an 'evidence_added' event; EvidenceRefused when
    check_upload refused it or the case has these bytes already."""
    if upload.refused:
        raise EvidenceRefused(upload.refused)
    data, filetype, sha = upload.data, upload.filetype, upload.sha256
    if any(e.sha256 == sha for e in ticket.evidence):
        raise EvidenceRefused("duplicate")
    store_blob(evidence_dir, data)
    evidence = Evidence(ticket=ticket, filename=filetypes.download_name(upload.name or "", filetype),
                        content_type=filetype.content_type, size=len(data), sha256=sha,
                        uploaded_by_id=getattr(actor, "id", None))
    db.session.add(evidence)
    record_event(ticket, "evidence_added", actor, to_value=evidence.filename,
                 data={"size": len(data), "sha256": sha, "content_type": filetype.content_type})
    db.session.flush()
    return evidence


def evidence_json(item):
    """An attached file as the API shows it."""
    return {"id": item.id, "filename": item.filename, "content_type": item.content_type, "size": item.size,
            "sha256": item.sha256}


def case_evidence(ticket):
    """The case's files, oldest first, with who uploaded them."""
    return list(db.session.scalars(
        select(Evidence).where(Evidence.ticket_id == ticket.id, Evidence.sha256.is_not(None))
        .options(selectinload(Evidence.uploaded_by)).order_by(Evidence.id)
    ))


def media_links(ticket):
    """MMS media that came with the case's text messages, as links (never fetched: Twilio hosts them)."""
    contacts = db.session.scalars(
        select(Contact).where(Contact.ticket_id == ticket.id, Contact.channel == Channel.SMS,
                              Contact.media.is_not(None)).order_by(Contact.id)
    )
    links = [MediaLink(m["url"], m.get("content_type") or "", c.created_at)
             for c in contacts for m in c.media or [] if _is_https(m.get("url"))]
    stored = db.session.scalars(
        select(Evidence).where(Evidence.ticket_id == ticket.id, Evidence.url.is_not(None)).order_by(Evidence.id)
    )
    seen = {link.url for link in links}
    return links + [MediaLink(e.url, e.content_type, e.created_at) for e in stored
                    if e.url not in seen and _is_https(e.url)]


def file_of(evidence, evidence_dir):
    """The stored file of an evidence row, or None when it has no file or the file is missing."""
    if not evidence.sha256:
        return None
    path = blob_path(evidence_dir, evidence.sha256)
    return path if path.is_file() else None


def _is_https(url):
    # Only web links become clickable: a javascript: or data: URL never reaches a page.
    return isinstance(url, str) and url.startswith(("https://", "http://"))
