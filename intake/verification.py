"""One-time codes: the caller proves they hold the phone number given on the form when it is
not the number they call from.

Only a keyed hash of a code is stored (HMAC under the app's secret key, bound to the case and
the number): six digits are a million guesses, so a plain hash of a leaked table would give
the codes away. The code itself lives in the outbox row that carries the SMS, for the five
minutes it is worth anything.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from hotline import outbox, phones
from hotline.extensions import db
from hotline.models import IdentityLevel, OtpChallenge
from hotline.tickets import record_event, update_fields
from hotline.timeutil import now
from intake import texts

CODE_DIGITS = 6


class OtpError(Exception):
    """Why a code could not be sent or checked."""


class NotNeeded(OtpError):
    """No other number is given on the form, so there is nothing to verify."""


class SendLimit(OtpError):
    """Too many codes sent for this case lately; `retry_at`: when the next one may be sent."""

    def __init__(self, number, retry_at=None):
        super().__init__(number)
        self.retry_at = retry_at


class NoCode(OtpError):
    """No code was sent to the number now on the form."""


class Expired(OtpError):
    """The code is past its lifetime."""


class Locked(OtpError):
    """Every try of the code was used."""


class WrongCode(OtpError):
    """The code read back does not match; `tries_left` more may be made."""

    def __init__(self, tries_left):
        super().__init__(f"wrong code, {tries_left} tries left")
        self.tries_left = tries_left


@dataclass
class Settings:
    ttl: timedelta
    max_attempts: int
    send_limit: int
    send_window: timedelta


@dataclass
class IdentityState:
    """What the verification partial shows."""

    level: IdentityLevel
    phone: str | None  # the number to verify (E.164), None when not needed
    challenge: OtpChallenge | None  # the latest code sent to that number
    tries_left: int
    expired: bool
    sends_left: int


def settings():
    """The OTP limits from config (defaults: 5 minutes, 5 tries, 3 sends per 10 minutes)."""
    config = current_app.config
    return Settings(
        ttl=timedelta(seconds=config.get("OTP_TTL_SECONDS", 300)),
        max_attempts=config.get("OTP_MAX_ATTEMPTS", 5),
        send_limit=config.get("OTP_SEND_LIMIT", 3),
        send_window=timedelta(seconds=config.get("OTP_SEND_WINDOW_SECONDS", 600)),
    )


def given_phone(ticket):
    """The complainant's phone from the form in E.164, or None when empty or unreadable."""
    try:
        return phones.normalise(ticket.complainant_phone, current_app.config["DEFAULT_PHONE_REGION"])
    except phones.InvalidPhone:
        return None


def phone_to_verify(ticket):
    """The number given on the form when it differs from the calling number, else None."""
    given = given_phone(ticket)
    calling = ticket.caller.phone if ticket.caller else None
    return given if given and given != calling else None


def code_hash(ticket_id, phone, code):
    """Keyed hash of a code, bound to its case and number."""
    message = f"{ticket_id}|{phone}|{code}".encode()
    return hmac.new(current_app.secret_key.encode(), message, hashlib.sha256).hexdigest()


def latest_challenge(ticket):
    """The newest code sent for the case, or None."""
    return db.session.scalar(
        select(OtpChallenge).where(OtpChallenge.ticket_id == ticket.id).order_by(OtpChallenge.id.desc()).limit(1)
    )


def sends_since(ticket, moment):
    """How many codes were sent for the case since `moment`."""
    return db.session.scalar(
        select(func.count(OtpChallenge.id)).where(
            OtpChallenge.ticket_id == ticket.id, OtpChallenge.created_at > moment
        )
    )


def next_send_at(ticket, moment, limits):
    """When the send limit lets another code go: the moment the oldest send that keeps the count
    at the limit leaves the window (None when the limit is not reached)."""
    keeping = db.session.scalar(
        select(OtpChallenge.created_at)
        .where(OtpChallenge.ticket_id == ticket.id, OtpChallenge.created_at > moment - limits.send_window)
        .order_by(OtpChallenge.created_at.desc())
        .offset(max(limits.send_limit - 1, 0))
        .limit(1)
    )
    return keeping + limits.send_window if keeping is not None else None


def send_code(ticket, actor):
    """Send a fresh code by SMS to the number given on the form; earlier codes stop working."""
    phone = phone_to_verify(ticket)
    if phone is None:
        raise NotNeeded(ticket.number)
    limits, moment = settings(), now()
    if sends_since(ticket, moment - limits.send_window) >= limits.send_limit:
        raise SendLimit(ticket.number, next_send_at(ticket, moment, limits))
    db.session.execute(
        update(OtpChallenge)
        .where(OtpChallenge.ticket_id == ticket.id, OtpChallenge.expires_at > moment)
        .values(expires_at=moment)
        .execution_options(synchronize_session=False)
    )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    challenge = OtpChallenge(
        ticket_id=ticket.id, phone=phone, code_hash=code_hash(ticket.id, phone, code),
        expires_at=moment + limits.ttl, attempts=0, created_at=moment,
    )
    db.session.add(challenge)
    minutes = max(1, int(limits.ttl.total_seconds() // 60))
    # legal: the caller asked for it, so an earlier STOP does not hold it back.
    message = outbox.queue_sms(phone, texts.otp_text(code, ticket.number, minutes), "otp",
                               ticket=ticket, legal=True, actor=actor)
    record_event(ticket, "otp_sent", actor, to_value=phones.mask(phone),
                 data={"outbox_id": message.id, "challenge_id": challenge.id})
    return challenge


def verify_code(ticket, code, actor):
    """Check the code the caller read back; right -> identity level OTP; else raise why not."""
    challenge, phone = latest_challenge(ticket), phone_to_verify(ticket)
    if challenge is None or phone is None or challenge.phone != phone or challenge.verified_at:
        raise NoCode(ticket.number)
    moment, limits = now(), settings()
    if challenge.expires_at <= moment:
        raise Expired(ticket.number)
    if not _take_try(challenge, limits.max_attempts):
        raise Locked(ticket.number)
    if not hmac.compare_digest(challenge.code_hash, code_hash(ticket.id, phone, (code or "").strip())):
        left = limits.max_attempts - challenge.attempts
        if left > 0:
            raise WrongCode(left)
        record_event(ticket, "otp_locked", actor, to_value=phones.mask(phone))
        raise Locked(ticket.number)
    challenge.verified_at = moment
    update_fields(ticket, {"identity_level": IdentityLevel.OTP}, actor)
    record_event(ticket, "otp_verified", actor, to_value=phones.mask(phone))
    return ticket


def _take_try(challenge, max_attempts):
    """Count one try, atomically: two quick submissions cannot share the last one."""
    taken = db.session.execute(
        update(OtpChallenge)
        .where(OtpChallenge.id == challenge.id, OtpChallenge.attempts < max_attempts)
        .values(attempts=OtpChallenge.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(challenge)
    return bool(taken)


def state(ticket, moment=None):
    """Where verification of the case's phone stands, for the partial."""
    limits, moment = settings(), moment or now()
    phone, challenge = phone_to_verify(ticket), latest_challenge(ticket)
    if challenge is not None and challenge.phone != phone:
        challenge = None
    return IdentityState(
        level=ticket.identity_level,
        phone=phone,
        challenge=challenge,
        tries_left=limits.max_attempts - challenge.attempts if challenge else 0,
        expired=bool(challenge and challenge.expires_at <= moment),
        sends_left=max(0, limits.send_limit - sends_since(ticket, moment - limits.send_window)),
    )

