"""Configuration classes. Every setting comes from the environment with a safe default.

No Flask import here: the scheduler, the CLI and the benchmarks read the same classes.
"""

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("HOTLINE_INSTANCE_DIR", BASE_DIR / "instance"))


def _env_list(name, default):
    """A comma-separated setting as a list of stripped, non-empty items."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def dev_secret_key():
    """A per-checkout random key kept in instance/, so dev sessions survive restarts
    without a secret ever being committed."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _sqlite_url(name):
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{INSTANCE_DIR / name}"


class Config:
    ENV_NAME = "base"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or _sqlite_url("hotline.sqlite")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # How long a write waits for a lock another request holds before it is answered 503 with
    # Retry-After (hotline.errors): SQLite's busy_timeout, PostgreSQL's lock_timeout. Under
    # Twilio's 15 s webhook timeout, so the caller's text is refused cleanly, never half done.
    DB_LOCK_WAIT_MS = int(os.environ.get("DB_LOCK_WAIT_MS", "10000"))
    DB_BUSY_RETRY_AFTER = 2  # seconds, in the 503's Retry-After
    PORT = int(os.environ.get("PORT", "5000"))
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "").rstrip("/")

    TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
    TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
    TWILIO_NUMBER = os.environ.get("TWILIO_NUMBER", "")
    # A local stand-in for https://api.twilio.com (Prism in tests, or any mock).
    TWILIO_API_BASE_URL = os.environ.get("TWILIO_API_BASE_URL", "")

    # Voice: the Mandarin voice of <Say>, opening hours, how long a caller waits for an operator.
    VOICE_NAME = os.environ.get("VOICE_NAME", "Polly.Zhiyu")
    OPENING_HOURS = os.environ.get("OPENING_HOURS", "08:00-20:00")
    OPEN_ON_HOLIDAYS = _env_bool("OPEN_ON_HOLIDAYS", False)
    QUEUE_TIMEOUT_SECONDS = int(os.environ.get("QUEUE_TIMEOUT_SECONDS", "120"))

    # Outbox: retry with exponential backoff, then give up and show it to supervisors.
    OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "5"))
    OUTBOX_BACKOFF_SECONDS = int(os.environ.get("OUTBOX_BACKOFF_SECONDS", "30"))
    # A row a crashed dispatcher left "sending" this long goes back to the queue.
    OUTBOX_STALE_SECONDS = int(os.environ.get("OUTBOX_STALE_SECONDS", "300"))
    # Non-urgent notices written in quiet hours wait until they end ("" = no quiet hours).
    QUIET_HOURS = os.environ.get("QUIET_HOURS", "21:00-08:00")
    # Sent at once even in quiet hours: answers to what the caller has just done.
    SMS_URGENT_PURPOSES = frozenset(
        _env_list("SMS_URGENT_PURPOSES", "ack,status,otp,optout,optin,reply,referral,appeal,survey_reply,kb_answer")
    )
    # Sent even to a number that texted 退订: replies to a request the caller has just made (a status
    # query, a code they asked for, their appeal, their own opt-in/out, the answer to the question
    # they called about: kb_answer), not notices.
    SMS_REPLY_PURPOSES = frozenset(_env_list("SMS_REPLY_PURPOSES", "status,otp,optout,optin,appeal,kb_answer"))
    # Rate limits (Open311 keys, the status page, sign-in) count in one store every worker shares:
    # by default a SQLite file in instance/ (every process of this machine, hotline.ratelimits);
    # several machines need redis://host:6379/0. memory:// counts per process: tests only.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or f"sqlite:///{INSTANCE_DIR / 'ratelimits.sqlite'}"
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "hotline")
    RATELIMIT_HEADERS_ENABLED = True
    # Reverse proxies in front of the app that append to X-Forwarded-For (0: none, and the header
    # is ignored, so a client cannot choose its own address for the limits and the audit trail).
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))

    # Routing: where an online seller without an address of its own is handled (platform -> region);
    # None uses routing/data/platform_regions.json. An appeal by SMS counts this long after a result.
    ROUTING_PLATFORM_REGIONS = None
    # The hotline's own area (a GB/T 2260 code, e.g. 110000 for Beijing): a district name typed
    # alone that several places share (朝阳区, 通州区) is taken to be here. Empty: left unresolved.
    HOME_DIVISION = os.environ.get("HOME_DIVISION", "")
    APPEAL_SMS_WINDOW_DAYS = int(os.environ.get("APPEAL_SMS_WINDOW_DAYS", "30"))

    # Intake: one-time codes by SMS; repeat detection; respondents with many cases.
    OTP_TTL_SECONDS = int(os.environ.get("OTP_TTL_SECONDS", "300"))
    OTP_MAX_ATTEMPTS = int(os.environ.get("OTP_MAX_ATTEMPTS", "5"))
    OTP_SEND_LIMIT = int(os.environ.get("OTP_SEND_LIMIT", "3"))
    OTP_SEND_WINDOW_SECONDS = int(os.environ.get("OTP_SEND_WINDOW_SECONDS", "600"))
    REPEAT_WINDOW_DAYS = int(os.environ.get("REPEAT_WINDOW_DAYS", "30"))
    REPEAT_SIMILARITY = float(os.environ.get("REPEAT_SIMILARITY", "0.5"))
    HOT_RESPONDENT_THRESHOLD = int(os.environ.get("HOT_RESPONDENT_THRESHOLD", "5"))
    HOT_RESPONDENT_DAYS = int(os.environ.get("HOT_RESPONDENT_DAYS", "7"))

    # Legal clocks: per-kind overrides of hotline.deadlines.clocks.DEFAULT_CLOCK_RULES, e.g.
    # {"forward": {"days": 2}} (keys: days, unit working|calendar, start received|accepted|now).
    CLOCK_RULES: dict = {}

    HOTLINE_TIMEZONE = os.environ.get("HOTLINE_TIMEZONE", "Asia/Shanghai")
    DEFAULT_PHONE_REGION = os.environ.get("DEFAULT_PHONE_REGION", "CN")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = int(os.environ.get("SESSION_LIFETIME_SECONDS", str(12 * 3600)))
    # The session cookie is sent again only when the session changes (sign-in, language, every
    # write: hotline/live.py stamps it), not on each of the console's polls: re-signing it cost
    # 0.3-0.8 ms of a 2.4-3.2 ms poll (bench/README.md). The lifetime runs from the last change.
    SESSION_REFRESH_EACH_REQUEST = False

    # Sign-in: this many failures in a row from one address lock the account for that address
    # only (others still sign in); an address failing this often over all accounts is throttled.
    LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
    LOGIN_LOCK_MINUTES = int(os.environ.get("LOGIN_LOCK_MINUTES", "15"))
    LOGIN_FAILURES_PER_ADDRESS = os.environ.get("LOGIN_FAILURES_PER_ADDRESS", "20 per 15 minutes;100 per day")
    # Lowest zxcvbn strength score (0-4) a new password needs; common passwords are refused anyway.
    PASSWORD_MIN_SCORE = int(os.environ.get("PASSWORD_MIN_SCORE", "3"))

    BABEL_DEFAULT_LOCALE = os.environ.get("BABEL_DEFAULT_LOCALE", "zh")
    LANGUAGES = ("zh", "en")
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")

    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_BYTES", str(20 * 1024 * 1024)))
    # Evidence files live outside the web root, under their content hash (default instance/evidence).
    EVIDENCE_DIR = os.environ.get("EVIDENCE_DIR")
    EVIDENCE_MAX_BYTES = int(os.environ.get("EVIDENCE_MAX_BYTES", str(10 * 1024 * 1024)))
    WTF_CSRF_TIME_LIMIT = None  # an operator's form may stay open through a long call
    # The live queue and wall are one shared snapshot per worker, this many seconds old at most
    # (hotline/live.py); a user's own write shows on their next poll regardless.
    LIVE_SNAPSHOT_SECONDS = float(os.environ.get("LIVE_SNAPSHOT_SECONDS", "1"))
    # The queue panel's 304s answered in front of Flask (hotline/console/fastpoll.py); off, every
    # poll goes through Flask as any page does.
    QUEUE_FAST_POLL = _env_bool("QUEUE_FAST_POLL", True)
    # A panel poll asking for it (`Prefer: wait=N`) is held until the queue changes, at most this
    # long; a threaded worker holds at most QUEUE_HOLDS at once (gunicorn.conf.py sets it from
    # the worker's threads; 0, as under sync workers, answers every poll at once).
    QUEUE_HOLD_SECONDS = float(os.environ.get("QUEUE_HOLD_SECONDS", "25"))
    QUEUE_HOLDS = int(os.environ.get("QUEUE_HOLDS", "0"))
    # Development-only pages (call/SMS simulator, sandbox outbox) are mounted only when true.
    DEV_TOOLS = False
    SEED_DEMO = False

    # Callback visits (回访): working days after the result, and tries before "unreachable".
    CALLBACK_DAYS = int(os.environ.get("CALLBACK_DAYS", "3"))
    CALLBACK_MAX_TRIES = int(os.environ.get("CALLBACK_MAX_TRIES", "3"))

    # Satisfaction surveys: an SMS survey still unanswered this many hours after it left closes.
    SURVEY_REPLY_HOURS = int(os.environ.get("SURVEY_REPLY_HOURS", "72"))

    # Open311 GeoReport v2 (/open311/v2): a jurisdiction_id other than this one is a 404 (empty: any).
    OPEN311_JURISDICTION_ID = os.environ.get("OPEN311_JURISDICTION_ID", "")
    OPEN311_MAX_DAYS = int(os.environ.get("OPEN311_MAX_DAYS", "90"))
    OPEN311_MAX_RESULTS = int(os.environ.get("OPEN311_MAX_RESULTS", "1000"))
    # Channels whose cases Open311 GETs show: its own by default; "api" and "web" (cases filed
    # by web forms) may be added. Phone and SMS cases are never listed, whatever is set here.
    OPEN311_LISTED_CHANNELS = _env_list("OPEN311_LISTED_CHANNELS", "open311")
    # Requests per minute per client address for GETs sent without an api_key.
    OPEN311_ANONYMOUS_PER_MINUTE = int(os.environ.get("OPEN311_ANONYMOUS_PER_MINUTE", "60"))
    OPEN311_CONTACT = os.environ.get("OPEN311_CONTACT", "12315 consumer hotline")
    OPEN311_SERVICE_NOTICE = os.environ.get(
        "OPEN311_SERVICE_NOTICE", "An operator reviews the request and decides within 7 working days whether it is accepted."
    )

    # Public status page (/status): failed lookups allowed per address, and per address and case
    # number (Flask-Limiter strings; ";" joins several windows; the second takes one window).
    # A case number with STATUS_CASE_ALERT failures from all addresses together gets one failed
    # try per address. No limit is per case number alone: guesses never lock the owner out.
    STATUS_FAILURES_PER_ADDRESS = os.environ.get("STATUS_FAILURES_PER_ADDRESS", "10 per 15 minutes;50 per day")
    STATUS_FAILURES_PER_ADDRESS_AND_CASE = os.environ.get("STATUS_FAILURES_PER_ADDRESS_AND_CASE", "3 per day")
    STATUS_CASE_ALERT = os.environ.get("STATUS_CASE_ALERT", "10 per day")
    # The callers' knowledge pages (/kb): searches per address (each runs the ranking; reading is free).
    KB_SEARCH_PER_ADDRESS = os.environ.get("KB_SEARCH_PER_ADDRESS", "30 per minute;600 per day")
    # Outbound webhooks: how long one POST may take; retries follow OUTBOX_MAX_ATTEMPTS/BACKOFF.
    WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "5"))
    # Webhooks go to public https hosts only; hosts named here (an internal receiver, 127.0.0.1
    # in tests) skip the address checks and may use http. CA bundle: certifi's unless set.
    WEBHOOK_ALLOWED_HOSTS = _env_list("WEBHOOK_ALLOWED_HOSTS", "")
    WEBHOOK_CA_BUNDLE = os.environ.get("WEBHOOK_CA_BUNDLE", "")
    # The suggestion's classifier trains from the shipped labelled set (a few seconds): start it
    # in the background when the app starts, so the first suggestion of a worker does not wait.
    SUGGEST_WARM_UP = _env_bool("SUGGEST_WARM_UP", True)


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PUBLIC_BASE_URL = Config.PUBLIC_BASE_URL or f"http://127.0.0.1:{Config.PORT}"
    # Without credentials the dev server signs simulated webhooks with this token.
    TWILIO_AUTH_TOKEN = Config.TWILIO_AUTH_TOKEN or "dev-sandbox-token"  # noqa: S105
    DEV_TOOLS = True
    SEED_DEMO = True
    HOME_DIVISION = os.environ.get("HOME_DIVISION", "110000")  # the demo city is Beijing


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key"  # noqa: S105 (tests only, signs nothing real)
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    PUBLIC_BASE_URL = "http://hotline.test"
    TWILIO_ACCOUNT_SID = ""
    TWILIO_AUTH_TOKEN = "test-auth-token"  # noqa: S105 (tests sign their own webhooks)
    TWILIO_NUMBER = "+8610012315"
    TWILIO_API_BASE_URL = ""
    DEV_TOOLS = True
    QUIET_HOURS = ""  # tests that need quiet hours set them; the wall clock must not decide
    RATELIMIT_STORAGE_URI = "memory://"  # each test app counts alone; shared stores are tested apart
    SUGGEST_WARM_UP = False  # tests train the classifier on first use, once per process
    LIVE_SNAPSHOT_SECONDS = 0  # a fixture's row shows on the next request; snapshot tests set 1


class ProductionConfig(Config):
    ENV_NAME = "production"


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(name=None):
    """The config class named by the argument or HOTLINE_CONFIG (default: production)."""
    return CONFIGS[name or os.environ.get("HOTLINE_CONFIG", "production")]
