"""Reclaim settings: one module, every knob from the environment.

Production is the default. Anything unsafe (debug, a generated secret, relaxed MFA) needs an
explicit opt-in: `DJANGO_DEBUG=1` or `RECLAIM_DEMO=1` (which `reclaim demo` sets for itself).
Missing secrets outside those modes fail closed with a message that says what to set.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_secret(name: str) -> str | None:
    """A secret from NAME or from the file named by NAME_FILE (for container secrets)."""
    value = os.environ.get(name)
    if value:
        return value
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"{name}_FILE points at {path!r}, which cannot be read"
            ) from exc
    return None


DEMO = env_bool("RECLAIM_DEMO")
DEBUG = env_bool("DJANGO_DEBUG")
RELAXED = DEMO or DEBUG

SECRET_KEY = env_secret("DJANGO_SECRET_KEY") or ""
if not SECRET_KEY:
    if not RELAXED:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) is not set. Production settings are "
            "the default; set a long random secret, or run `reclaim demo` for a demo."
        )
    SECRET_KEY = "insecure-demo-secret-key-never-use-in-production-" + "x" * 20

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1" if RELAXED else "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "ninja",
    "reclaim.core",
    "reclaim.survivors",
    "reclaim.care",
    "reclaim.directory",
    "reclaim.referrals",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "reclaim.core.middleware.SessionLifetimeMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "reclaim.core.middleware.RequireStaffMFAMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "reclaim.core.middleware.RequirePasswordChangeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "reclaim.urls"
WSGI_APPLICATION = "reclaim.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "reclaim.core.context_processors.reclaim",
            ],
        },
    }
]


# Databases: the main database and a separate keystore (DESIGN invariant 3), so a backup of the
# main database alone can never be decrypted.
def database_from_url(url: str, test_name: str) -> dict[str, Any]:
    config: dict[str, Any] = dj_database_url.parse(  # type: ignore[assignment]
        url, conn_max_age=env_int("RECLAIM_DB_CONN_MAX_AGE", 60)
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Django's, plus PRAGMA optimize when a connection closes (the module says why).
        config["ENGINE"] = "reclaim.core.sqlite_backend"
        config["CONN_MAX_AGE"] = 0
        # IMMEDIATE makes writers queue for the lock at BEGIN instead of failing mid-transaction.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    else:
        config.setdefault("OPTIONS", {})
        # Short queries only: PostgreSQL's JIT spent 0.7 s compiling a directory match that
        # runs in far less (docs/performance.md).
        config["OPTIONS"].setdefault("options", "-c jit=off")
        config["CONN_HEALTH_CHECKS"] = True
    config["TEST"] = {"NAME": test_name}
    return config


DATA_DIR = Path(os.environ.get("RECLAIM_DATA_DIR", os.getcwd()))
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'reclaim.sqlite3'}"
KEYSTORE_URL = (
    os.environ.get("RECLAIM_KEYSTORE_URL") or f"sqlite:///{DATA_DIR / 'reclaim-keystore.sqlite3'}"
)
DATABASES = {
    "default": database_from_url(DATABASE_URL, "test_reclaim"),
    "keystore": database_from_url(KEYSTORE_URL, "test_reclaim_keystore"),
}
# In memory unless named; said as ":memory:" (not None) since the engine is our own module
# and pytest-django only recognises Django's SQLite engine by its name when it gives each
# parallel worker its own test database.
if "sqlite" in DATABASES["default"]["ENGINE"]:
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("RECLAIM_TEST_SQLITE_NAME") or ":memory:"
    }
if "sqlite" in DATABASES["keystore"]["ENGINE"]:
    DATABASES["keystore"]["TEST"] = {"NAME": ":memory:"}
DATABASE_ROUTERS = ["reclaim.core.routers.KeystoreRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A shared database cache keeps rate limits correct across every app server (stateless app).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "reclaim_cache",
    }
}

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# allauth: username login, no self sign-up (org admins create accounts), TOTP + recovery codes.
ACCOUNT_ADAPTER = "reclaim.core.auth.ReclaimAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PREVENT_ENUMERATION = True
LOGIN_ATTEMPTS_PER_WINDOW = env_int("RECLAIM_LOGIN_ATTEMPTS", 5)
LOGIN_ATTEMPTS_WINDOW_S = env_int("RECLAIM_LOGIN_WINDOW_S", 900)
# Keyed on (username, IP) by our adapter, so nobody can lock a survivor out from elsewhere.
ACCOUNT_RATE_LIMITS = {
    "login_failed": f"{LOGIN_ATTEMPTS_PER_WINDOW}/{LOGIN_ATTEMPTS_WINDOW_S}s/key",
    "login": "60/m/ip",
}
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("RECLAIM_TRUSTED_PROXY_COUNT", 0)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Reclaim"
# One 30-second step either side (RFC 6238's advice for clock drift): a phone a few seconds
# off, or a code typed as the step turns, is still accepted. Login attempts stay throttled.
MFA_TOTP_TOLERANCE = 1
MFA_RECOVERY_CODE_COUNT = 10
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

# The demo may skip MFA enrolment, and every page then shows a banner saying so.
RECLAIM_DEMO_RELAX_MFA = DEMO and env_bool("RECLAIM_DEMO_RELAX_MFA", True)

# Sessions: staff idle timeout and an absolute lifetime, both enforced server-side.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
RECLAIM_IDLE_TIMEOUT_S = env_int("RECLAIM_IDLE_TIMEOUT_S", 20 * 60)
SESSION_COOKIE_AGE = env_int("RECLAIM_SESSION_MAX_AGE_S", 10 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

SECURE_COOKIES = not RELAXED
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_SSL_REDIRECT = env_bool("RECLAIM_SSL_REDIRECT", not RELAXED)
SECURE_HSTS_SECONDS = 0 if RELAXED else env_int("RECLAIM_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not RELAXED
SECURE_HSTS_PRELOAD = not RELAXED
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
# same-origin: nothing is sent to other sites, and form posts keep a real Origin for CSRF.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "reclaim.core.views.csrf_failure"

# Strict Content Security Policy with per-request nonces: nothing loads from another origin.
from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
MIDDLEWARE.insert(1, "django.middleware.csp.ContentSecurityPolicyMiddleware")

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("RECLAIM_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("RECLAIM_STATIC_ROOT", DATA_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Field encryption: the master keyring comes from the environment or a file (versioned).
RECLAIM_MASTER_KEY = env_secret("RECLAIM_MASTER_KEY")
RECLAIM_AUDIT_SIGNING_KEY_FILE = os.environ.get("RECLAIM_AUDIT_SIGNING_KEY_FILE") or str(
    DATA_DIR / "reclaim-audit-signing.key"
)
RECLAIM_BREAK_GLASS_MINUTES = env_int("RECLAIM_BREAK_GLASS_MINUTES", 60)
RECLAIM_CONSENT_DEFAULT_DAYS = env_int("RECLAIM_CONSENT_DEFAULT_DAYS", 365)
RECLAIM_TOKEN_MAX_DAYS = env_int("RECLAIM_TOKEN_MAX_DAYS", 365)

# Logs carry ids and codes only; request paths are safe because URLs hold opaque UUIDs.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("RECLAIM_LOG_LEVEL", "WARNING")},
}

SILENCED_SYSTEM_CHECKS: list[str] = []
LOGIN_URL_PATH = "/accounts/login/"
