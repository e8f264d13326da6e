"""Settings, all read from the environment (see .env.example). SQLite is the zero-setup default."""

from pathlib import Path

import environ
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="insecure-development-key-change-me" if DEBUG else None)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The accounting systems this installation speaks to: the apps of their folders, comma-separated.
# Every one we ship by default; empty installs none (the workflow tests run that way).
ERP_APPS = env.list(
    "ERP_APPS",
    default=[
        "integrations.quickbooks_online",
        "integrations.xero",
        "integrations.quickbooks_desktop",
    ],
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "integrations",
    # Each accounting system is an app of its own folder (integrations/registry.py names them).
    *ERP_APPS,
    # Before django_tasks_db: our db_worker (which outlives database outages) replaces its own.
    "approvals",
    "django_tasks_db",
    "accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.csp",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the worker share one file: wait for the lock instead of failing,
    # and take the write lock at BEGIN so two writers never deadlock on an upgrade.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

LOGIN_URL = "login"
# How many reverse proxies in front of the site append to X-Forwarded-For; the client's address
# (for the sign-in throttle) is the entry the outermost of them added. 0: REMOTE_ADDR.
TRUSTED_PROXY_HOPS = env.int("TRUSTED_PROXY_HOPS", default=0)
LOGIN_REDIRECT_URL = "approvals:home"
LOGOUT_REDIRECT_URL = "login"

EMAIL_BACKEND_PATH = env(
    "EMAIL_BACKEND",
    default="django.core.mail.backends."
    + ("console.EmailBackend" if DEBUG else "smtp.EmailBackend"),
)
MAILERS = {"default": {"BACKEND": EMAIL_BACKEND_PATH, "OPTIONS": {}}}
if EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": env("EMAIL_HOST", default="localhost"),
        "port": env.int("EMAIL_PORT", default=587),
        "username": env("EMAIL_HOST_USER", default=""),
        "password": env("EMAIL_HOST_PASSWORD", default=""),
        "use_tls": env.bool("EMAIL_USE_TLS", default=True),
    }
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="erp-approvals@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "exports", "imports"],
    }
}

# Fernet keys for OAuth tokens at rest, newest first (older ones still decrypt); production sets
# its own (checked by `check --deploy`), the demo and tests derive one from SECRET_KEY.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY", default="")

QUICKBOOKS_ONLINE = {
    "CLIENT_ID": env("QBO_CLIENT_ID", default="sandbox-client"),
    "CLIENT_SECRET": env("QBO_CLIENT_SECRET", default="sandbox-secret"),
    "REDIRECT_URI": env(
        "QBO_REDIRECT_URI", default="http://127.0.0.1:8000/erp/quickbooks-online/callback/"
    ),
    "DISCOVERY_URL": env(
        "QBO_DISCOVERY_URL", default="http://127.0.0.1:8010/.well-known/openid_configuration"
    ),
    "API_BASE_URL": env("QBO_API_BASE_URL", default="http://127.0.0.1:8010"),
    "MINOR_VERSION": env.int("QBO_MINOR_VERSION", default=75),
    "WEBHOOK_VERIFIER_TOKEN": env("QBO_WEBHOOK_VERIFIER_TOKEN", default="sandbox-verifier"),
    "TIMEOUT_SECONDS": env.float("QBO_TIMEOUT_SECONDS", default=30.0),
    "REQUESTS_PER_MINUTE": env.int("QBO_REQUESTS_PER_MINUTE", default=500),
    "MAX_CONCURRENT": env.int("QBO_MAX_CONCURRENT", default=10),
    "BATCH_REQUESTS_PER_MINUTE": env.int("QBO_BATCH_REQUESTS_PER_MINUTE", default=40),
    "RATE_WINDOW_SECONDS": env.float("QBO_RATE_WINDOW_SECONDS", default=60.0),
    # Intuit documents no daily limit; a number here is a daily budget every worker shares.
    "REQUESTS_PER_DAY": env.int("QBO_REQUESTS_PER_DAY", default=0),
    # Documents per batch request of exports accepted together (QuickBooks takes at most 30).
    "BATCH_SIZE": env.int("QBO_BATCH_SIZE", default=30),
    "CONNECT_TIMEOUT_SECONDS": env.float("QBO_CONNECT_TIMEOUT_SECONDS", default=10.0),
}

# How long a call may wait (without any lock) for room in its ERP's rate limits, shared by every
# worker; past it, the work is rescheduled for when room frees up.
ERP_RATE_LIMIT_MAX_WAIT_SECONDS = env.float("ERP_RATE_LIMIT_MAX_WAIT_SECONDS", default=5.0)

XERO = {
    "CLIENT_ID": env("XERO_CLIENT_ID", default="sandbox-client"),
    "CLIENT_SECRET": env("XERO_CLIENT_SECRET", default="sandbox-secret"),
    "REDIRECT_URI": env("XERO_REDIRECT_URI", default="http://127.0.0.1:8000/erp/xero/callback/"),
    # Xero's hosts are login.xero.com, identity.xero.com and api.xero.com; the sandbox serves
    # all three on one.
    "AUTHORIZE_URL": env(
        "XERO_AUTHORIZE_URL", default="http://127.0.0.1:8020/identity/connect/authorize"
    ),
    "IDENTITY_BASE_URL": env("XERO_IDENTITY_BASE_URL", default="http://127.0.0.1:8020"),
    "API_BASE_URL": env("XERO_API_BASE_URL", default="http://127.0.0.1:8020"),
    "SCOPES": env(
        "XERO_SCOPES",
        default=(
            "openid profile email offline_access accounting.settings accounting.contacts "
            "accounting.transactions"
        ),
    ),
    "TIMEOUT_SECONDS": env.float("XERO_TIMEOUT_SECONDS", default=30.0),
    "CONNECT_TIMEOUT_SECONDS": env.float("XERO_CONNECT_TIMEOUT_SECONDS", default=10.0),
    "REQUESTS_PER_MINUTE": env.int("XERO_REQUESTS_PER_MINUTE", default=60),
    "MAX_CONCURRENT": env.int("XERO_MAX_CONCURRENT", default=5),
    "RATE_WINDOW_SECONDS": env.float("XERO_RATE_WINDOW_SECONDS", default=60.0),
    "REQUESTS_PER_DAY": env.int("XERO_REQUESTS_PER_DAY", default=5000),
    # Signs the webhooks Xero posts (the app's webhook key in Xero's developer portal); the
    # default is the local sandbox's.
    "WEBHOOK_KEY": env("XERO_WEBHOOK_KEY", default="sandbox-webhook-key"),
}

# Exports: tries of a transient failure before the record lands in Failed to Export.
EXPORT_MAX_TRIES = env.int("EXPORT_MAX_TRIES", default=6)
# How often the job-cost sync reads the ERP's closing date again (sends and accepts use the last read).
ERP_CLOSING_DATE_MAX_AGE_SECONDS = env.int("ERP_CLOSING_DATE_MAX_AGE_SECONDS", default=300)
# How long a worker's claim on the exports it is sending holds should the worker die (the
# stuck-export recovery releases it sooner when it re-queues them).
EXPORT_CLAIM_SECONDS = env.int("EXPORT_CLAIM_SECONDS", default=600)
EXPORT_RETRY_BASE_SECONDS = env.float("EXPORT_RETRY_BASE_SECONDS", default=30.0)
EXPORT_RETRY_MAX_SECONDS = env.float("EXPORT_RETRY_MAX_SECONDS", default=600.0)

# Imports from the ERP: how often each runs (minutes), run by `manage.py erp_schedule`.
ERP_SYNC_INTERVAL_MINUTES = {
    "cost_codes": env.int("ERP_SYNC_COST_CODES_MINUTES", default=60),
    "jobs": env.int("ERP_SYNC_JOBS_MINUTES", default=60),
    "vendors": env.int("ERP_SYNC_VENDORS_MINUTES", default=60),
    "job_costs": env.int("ERP_SYNC_JOB_COSTS_MINUTES", default=60),
}
ERP_SYNC_LEASE_SECONDS = env.int("ERP_SYNC_LEASE_SECONDS", default=600)
# /health/ answers 503 once an export has waited in the queue longer than this.
HEALTH_EXPORT_QUEUE_MAX_AGE_SECONDS = env.int("HEALTH_EXPORT_QUEUE_MAX_AGE_SECONDS", default=900)
# QuickBooks change data capture looks back at most 30 days; older cursors re-read in full.
ERP_CHANGES_WINDOW_DAYS = 30
ERP_CHANGES_OVERLAP_SECONDS = 60

# QuickBooks Desktop: approvers are told (dashboard, daily digest) once its Web Connector has
# not run for this long; a computer switched off overnight stays under a day.
QBD_SILENT_AFTER_MINUTES = env.int("QBD_SILENT_AFTER_MINUTES", default=1440)

DEMO_PASSWORD = env("DEMO_PASSWORD", default="demo")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Load balancers probe over plain HTTP from inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Scripts and styles come from our own static files, or inline with this response's nonce.
# No form-action: the connect button's POST is redirected to Intuit's sign-in on purpose.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
