"""Ratecard settings: every value from the environment, with development defaults.

With nothing set, Ratecard runs on SQLite under ./var/ and a broker that needs no server (kombu's
filesystem transport), so `make run` works on a fresh machine. Production sets DEBUG=false,
SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL (PostgreSQL) and REDIS_URL.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from ratecard.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("RATECARD_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", True)
_DEV_SECRET = "dev-only-insecure-secret-key-change-me-0123456789abcdefghijklmnop"
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET if DEBUG else None)
if not DEBUG and (SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured("SECRET_KEY must be a random string of at least 50 characters when DEBUG=false")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG=false (comma-separated host names)")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "corsheaders",
    "pricing",
    "pricing.alerts",
    "pricing.quality",
    # Login throttling (django-axes): last, so its signal handlers see every other app loaded.
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # First after security: rejects NUL and other control characters before anything reads the
    # database, and keeps every error under /api/ in the API's JSON shape.
    "ratecard.middleware.HostileInputMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "ratecard.middleware.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: turns its lockout signal into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ratecard.urls"
WSGI_APPLICATION = "ratecard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'ratecard.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so two ingesting processes serialise instead of
    # both reading the old price and both writing a change. WAL lets the web read meanwhile.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # Shared between web, worker and beat processes (a per-process cache would miss the
    # generation bumps that ingestion makes in the worker).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 12)}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling by django-axes, for the site's login and the admin's alike: after
# LOGIN_FAILURE_LIMIT wrong passwords for one username from one address, that pair is locked out
# for LOGIN_LOCKOUT_MINUTES (the right password included); other users and addresses are not.
# The address is the one the API throttle uses (pricing.api.http.client_address): X-Forwarded-For
# counts only through TRUSTED_PROXY_COUNT proxies, so a forged header cannot reset the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
# Accounts one client address may create per clock hour (0: no limit).
SIGNUPS_PER_HOUR = env_int("SIGNUPS_PER_HOUR", 10)
AXES_COOLOFF_TIME = env_float("LOGIN_LOCKOUT_MINUTES", 30) / 60  # hours, as axes counts
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "pricing.api.http.login_client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/alerts/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns about a missing root before collectstatic ran
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Security: strict in production, relaxed only where DEBUG needs plain HTTP on loopback.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# CORS: the read-only API is open to any origin for GET; nothing else is.
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_CREDENTIALS = False

# Email (alerts). Django's SMTP backend configured from the environment.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend" if not DEBUG else "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 15)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Ratecard <ratecard@localhost>")

# Celery: the database is the record of work; messages only trigger it (see pricing/tasks.py).
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": 3600}
else:
    _broker = VAR_DIR / "broker"
    for _sub in ("out", "processed", "control"):
        (_broker / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker / "out"),
        "data_folder_out": str(_broker / "out"),
        "processed_folder": str(_broker / "processed"),
        "store_processed": False,
        # Without this kombu writes its control exchange into ./control of whatever cwd it has.
        "control_folder": str(_broker / "control"),
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# One beat entry per source; each interval can be overridden with COLLECT_<SLUG>_MINUTES
# (slug upper-cased, dashes as underscores), and a source switched off with 0.
COLLECT_SOURCES = env_list(
    "COLLECT_SOURCES",
    ["openrouter", "huggingface", "chutes", "together", "deepinfra", "novita", "llm-prices", "genai-prices"],
)
COLLECT_DEFAULT_MINUTES = {
    "openrouter": 60,
    "huggingface": 60,
    "chutes": 360,
    "together": 360,
    "deepinfra": 360,
    "novita": 360,
    "llm-prices": 1440,
    "genai-prices": 1440,
}
COLLECT_INTERVALS = {
    slug: env_float(f"COLLECT_{slug.upper().replace('-', '_')}_MINUTES", COLLECT_DEFAULT_MINUTES.get(slug, 60))
    for slug in COLLECT_SOURCES
}
# How long a worker holds a run before the reconciler may hand it to another; longer than the
# collect task's hard time limit so a live worker is never doubled.
COLLECT_LEASE_SECONDS = env_int("COLLECT_LEASE_SECONDS", 660)
# A run still pending after this long lost its message (a broker restart): the reconciler re-queues it.
COLLECT_PENDING_GRACE_SECONDS = env_int("COLLECT_PENDING_GRACE_SECONDS", 120)

# Ingestion guards (RELIABILITY.md): see pricing/collection/ingest/ for what each one does.
INGEST_JUMP_FACTOR = env_int("INGEST_JUMP_FACTOR", 10)
INGEST_REMOVE_AFTER_RUNS = env_int("INGEST_REMOVE_AFTER_RUNS", 3)
# ... or at the first complete listing without it this many days after it was last seen (0: off),
# so sparse history (the snapshot, a daily archive) ends offers too.
INGEST_REMOVE_AFTER_DAYS = env_int("INGEST_REMOVE_AFTER_DAYS", 3)
# New models and offers one run may create; beyond them quotes are held for a person to confirm
# (a listing of 20,000 made-up ids must not flood the catalogue). A source's first (baseline)
# sweep lists its whole catalogue, so it has its own, larger allowance.
INGEST_MAX_NEW_MODELS = env_int("INGEST_MAX_NEW_MODELS", 100)
INGEST_MAX_NEW_OFFERS = env_int("INGEST_MAX_NEW_OFFERS", 500)
INGEST_BASELINE_MAX_NEW_MODELS = env_int("INGEST_BASELINE_MAX_NEW_MODELS", 2000)
INGEST_BASELINE_MAX_NEW_OFFERS = env_int("INGEST_BASELINE_MAX_NEW_OFFERS", 10000)
PERF_RAW_RETENTION_DAYS = env_int("PERF_RAW_RETENTION_DAYS", 30)

# Alerts
ALERTS_ALLOW_PRIVATE_WEBHOOKS = env_bool("ALERTS_ALLOW_PRIVATE_WEBHOOKS", False)
# Total time one webhook send may take (connect, headers, body): a receiver dripping one byte at a
# time cannot hold a worker longer. Kept well under the outbox lease (pricing/alerts/outbox.py).
ALERTS_SEND_DEADLINE_SECONDS = env_float("ALERTS_SEND_DEADLINE_SECONDS", 20.0)
# "Send test" presses per user per rolling hour (each is queued to the worker).
ALERTS_TEST_SENDS_PER_HOUR = env_int("ALERTS_TEST_SENDS_PER_HOUR", 10)
# Per account: the most alert rules and channels (the API lists them in pages too).
ALERTS_MAX_RULES_PER_USER = env_int("ALERTS_MAX_RULES_PER_USER", 200)
ALERTS_MAX_CHANNELS_PER_USER = env_int("ALERTS_MAX_CHANNELS_PER_USER", 20)
# How long an email channel's confirmation link stays valid.
ALERTS_CONFIRM_DAYS = env_int("ALERTS_CONFIRM_DAYS", 3)

# Probes: off by default; a daily budget in USD estimated from stored prices.
PROBES_ENABLED = env_bool("PROBES_ENABLED", False)
PROBE_BUDGET_USD_PER_DAY = env_str("PROBE_BUDGET_USD_PER_DAY", "1.00")
PROBE_INTERVAL_MINUTES = env_int("PROBE_INTERVAL_MINUTES", 180)
# Spread probes over this many seconds after each beat so providers never see us on the hour.
PROBE_JITTER_SECONDS = env_int("PROBE_JITTER_SECONDS", 600)
PROBE_MODELS = env_list(
    "PROBE_MODELS", ["deepseek/deepseek-r1", "deepseek/deepseek-chat-v3-0324", "meta-llama/llama-3.3-70b-instruct"]
)

# API throttling: per client address as the server saw it (X-Forwarded-For is ignored unless
# the deployment says how many proxies it trusts).
API_THROTTLE_PER_MINUTE = env_int("API_THROTTLE_PER_MINUTE", 600)
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
