"""Writing the audit trail. Services flush; the caller commits."""

from hotline.extensions import db
from hotline.models import AuditLog


def record(user, action, target_type, target_id, ip=None, **data):
    """Append one audit line (who did what to which record)."""
    entry = AuditLog(
        user_id=getattr(user, "id", None),
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        ip=ip,
        data=data or None,
    )
    db.session.add(entry)
    db.session.flush()
    return entry
