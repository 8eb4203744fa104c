"""Settings: ``config.yaml`` overridden by ``NEWSLETTER_<SECTION>__<KEY>`` environment variables.

Secrets are never read from the file: ``SENDGRID_API_KEY``, ``NEWSLETTER_SECRET_KEY`` (signs
unsubscribe links) and ``NEWSLETTER_SMTP_PASSWORD`` come from the environment only, and a secret
the chosen transport needs is checked at start (:meth:`Settings.require_sending_ready`), so a send
never dies half-way for want of one. Relative paths are relative to the config file's folder.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    YamlConfigSettingsSource,
)

from newsletter.errors import ConfigError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


#: A BCP 47 tag as campaigns use them: language, optional script and region (sr-Cyrl, en-GB).
_LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(?:-[A-Z][a-z]{3})?(?:-[A-Z]{2})?")


class OrganisationText(_Section):
    """The organisation's name and postal address in one language (empty: the default)."""

    name: str = ""
    postal_address: str = ""


class OrganisationSettings(_Section):
    name: str = "Balkan & Black Sea Cluster Network"
    postal_address: str = "Cluster House, Niš, Serbia"
    website: str = "https://clusterhouse.example"
    #: Per BCP 47 language tag, as emails in that language write the name and address.
    translations: dict[str, OrganisationText] = Field(default_factory=dict)

    @field_validator("translations")
    @classmethod
    def _tags(cls, value: dict[str, OrganisationText]) -> dict[str, OrganisationText]:
        wrong = [tag for tag in value if not _LANGUAGE_TAG.fullmatch(tag)]
        if wrong:
            raise ValueError(f"not a language tag like sr-Cyrl or bg: {', '.join(wrong)}")
        return value


class SenderSettings(_Section):
    email: str = "news@clusterhouse.example"
    name: str = "Cluster House"
    reply_to: str = ""


class DatabaseSettings(_Section):
    url: str = "sqlite:///var/newsletter.db"


class DeliverySettings(_Section):
    transport: Literal["outbox", "smtp", "sendgrid"] = "outbox"
    outbox_dir: Path = Path("var/outbox")
    #: Recipients per request. SendGrid allows 1000 personalizations per request.
    batch_size: int = Field(default=1000, ge=1, le=1000)
    #: Requests in flight at once; it bounds how many may end ``unknown`` after a crash.
    max_in_flight: int = Field(default=4, ge=1, le=16)
    #: Messages handed to the transport per second / per hour (None: unlimited). Shared by all
    #: processes through the database, so it holds across restarts.
    rate_per_second: float | None = Field(default=None, gt=0)
    rate_per_hour: int | None = Field(default=None, gt=0)
    #: Seconds a claimed batch stays ``sending`` without its sender renewing the claim before
    #: another run treats the sender as crashed (its rows become ``unknown``).
    lease_seconds: float = Field(default=60.0, gt=0)
    #: Minutes an ``unknown`` reminder waits for provider events before it is resent.
    resend_unknown_after_minutes: float = Field(default=30.0, ge=0)


class SendGridSettings(_Section):
    api_host: str = "https://api.sendgrid.com"
    timeout: float = Field(default=15.0, gt=0)
    sandbox_mode: bool = False
    #: SendGrid's unsubscribe group (``asm.group_id``) per topic, when the account uses them.
    unsubscribe_groups: dict[str, int] = Field(default_factory=dict)
    #: The Event Webhook's verification key (base64 of the P-256 public key, as SendGrid shows
    #: it under Mail Settings -> Signed Event Webhook). Public, so it may live in this file.
    #: Empty: the webhook endpoint refuses every request.
    webhook_public_key: str = ""
    #: Oldest signed timestamp accepted, in seconds (replays are also de-duplicated).
    webhook_max_age: int = Field(default=600, gt=0)


class SmtpSettings(_Section):
    host: str = "localhost"
    port: int = 25
    security: Literal["none", "starttls", "ssl"] = "starttls"
    username: str = ""
    timeout: float = Field(default=30.0, gt=0)


class WebSettings(_Section):
    base_url: str = "http://localhost:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    #: ``newsletter serve`` also runs the scheduler in the web process (None: only on SQLite).
    scheduler: bool | None = None
    #: Addresses (or networks) of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto
    #: are believed. Empty: forwarded headers are ignored and the peer address is the client.
    trusted_proxies: tuple[str, ...] = ()

    @field_validator("base_url")
    @classmethod
    def _strip(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an absolute http(s) URL")
        return value.rstrip("/")


class ContentSettings(_Section):
    #: Hosts an email may load images from (besides ``web.base_url``'s own host). A remote
    #: image tells its host who opened the email and when, so any other host is refused
    #: when a campaign is validated, approved or sent.
    image_hosts: tuple[str, ...] = ("clusterhouse.example",)

    @field_validator("image_hosts")
    @classmethod
    def _hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        hosts = tuple(h.strip().lower().rstrip(".") for h in value)
        for host in hosts:
            if not re.fullmatch(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?", host):
                raise ValueError(f"{host!r} is not a host name (no scheme, path or port)")
        return hosts


class ApprovalSettings(_Section):
    #: File campaigns need an approver's approval too (campaigns in the database always do,
    #: and so does any campaign once it has been approved). See authoring/approvals.py.
    files: bool = False


class SchedulingSettings(_Section):
    """Scheduled sends and reminders (newsletter.scheduling.domain.rules, calendar_rules)."""

    timezone: str = "Europe/Belgrade"
    #: No sends between these local times (a send moves to the end; the window may wrap).
    quiet_hours: tuple[dt.time, dt.time] | None = (dt.time(21, 0), dt.time(8, 0))
    skip_weekends: bool = True
    #: Countries whose public holidays are skipped
    #: (newsletter.scheduling.domain.calendar_rules.PRESETS).
    holidays: list[str] = Field(default_factory=lambda: ["RS"])
    extra_holidays: list[dt.date] = Field(default_factory=list)
    #: Reminders one member gets per local day, across campaigns (None: no cap).
    reminder_cap_per_day: int | None = Field(default=1, ge=1)
    #: Late joiners get the reminder step still open, daily at its time, until the next step.
    catch_up_late_joiners: bool = True
    #: How late each kind may still go out automatically (docs/operations.md).
    max_late_send_hours: float = Field(default=2.0, gt=0)
    max_late_reminder_hours: float = Field(default=12.0, gt=0)
    max_late_notice_hours: float = Field(default=24.0, gt=0)
    retry_minutes: float = Field(default=5.0, gt=0)
    #: The scheduler's leadership lease and how often it looks for rows added elsewhere.
    lease_seconds: float = Field(default=30.0, ge=2)
    sweep_seconds: float = Field(default=10.0, gt=0)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except ZoneInfoNotFoundError as exc:  # a KeyError, which pydantic would not catch
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("holidays")
    @classmethod
    def _regions(cls, value: list[str]) -> list[str]:
        from newsletter.scheduling.domain.calendar_rules import PRESETS

        unknown = [v for v in value if v.upper() not in PRESETS]
        if unknown:
            raise ValueError(f"no holiday calendar for {unknown}; known: {', '.join(PRESETS)}")
        return [v.upper() for v in value]


class PathSettings(_Section):
    templates: Path = Path("templates")
    audiences: Path = Path("audiences")
    campaigns: Path = Path("campaigns")
    var: Path = Path("var")


class Settings(BaseSettings):
    """Every setting, validated; built once by :func:`load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSLETTER_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    organisation: OrganisationSettings = OrganisationSettings()
    sender: SenderSettings = SenderSettings()
    database: DatabaseSettings = DatabaseSettings()
    delivery: DeliverySettings = DeliverySettings()
    sendgrid: SendGridSettings = SendGridSettings()
    smtp: SmtpSettings = SmtpSettings()
    web: WebSettings = WebSettings()
    scheduling: SchedulingSettings = SchedulingSettings()
    approval: ApprovalSettings = ApprovalSettings()
    content: ContentSettings = ContentSettings()
    paths: PathSettings = PathSettings()
    #: Folder of the config file; relative paths above are resolved against it.
    base_dir: Path = Path()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # First wins: explicit arguments, then the environment, then the YAML file.
        return (init_settings, env_settings, YamlConfigSettingsSource(settings_cls))

    def path(self, value: Path) -> Path:
        return value if value.is_absolute() else self.base_dir / value

    @property
    def database_url(self) -> str:
        url = self.database.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(self.path(Path(url.removeprefix(prefix))))
        return url

    def require_sending_ready(self) -> None:
        """Refuse, before anything is sent, a transport that lacks what it needs."""
        transport = self.delivery.transport
        if transport in ("smtp", "sendgrid") and not self.web.base_url.startswith("https://"):
            raise ConfigError(
                f"web.base_url is {self.web.base_url!r}: sending through {transport} needs an "
                "https base URL, because RFC 8058 one-click unsubscribe links must be https"
            )
        if transport == "sendgrid" and not secrets().sendgrid_api_key:
            raise ConfigError("transport sendgrid needs the SENDGRID_API_KEY environment variable")
        key = secrets().secret_key
        if transport != "outbox" and not key:
            raise ConfigError(
                "NEWSLETTER_SECRET_KEY must be set to sign unsubscribe links when sending for real"
                f"; {GENERATE_KEY_HINT}"
            )
        problem = secret_key_problem(key.get_secret_value()) if key else None
        if transport != "outbox" and problem:
            raise ConfigError(f"NEWSLETTER_SECRET_KEY {problem}; {GENERATE_KEY_HINT}")


#: A key from ``secrets.token_urlsafe(32)`` (32 random bytes) is 43 characters long.
MIN_SECRET_KEY_CHARS = 43
#: ... and uses far more distinct characters than this; "aaaa...", "1234..." do not.
MIN_SECRET_KEY_DISTINCT = 16
GENERATE_KEY_HINT = "generate one with: newsletter secret-key"


def secret_key_problem(key: str) -> str | None:
    """Why ``key`` is too weak to sign links that unsubscribe members (None: strong enough).
    Anyone who guesses it can forge any member's unsubscribe and preference links, so it must
    carry at least 32 random bytes (OWASP ASVS V6.4; RFC 2104 §3 wants an HMAC key at least
    as long as the hash output)."""
    if len(key) < MIN_SECRET_KEY_CHARS:
        return (
            f"is {len(key)} characters; at least {MIN_SECRET_KEY_CHARS} "
            "(32 random bytes, URL-safe base64) are needed"
        )
    if len(set(key)) < MIN_SECRET_KEY_DISTINCT:
        return "does not look random (too few distinct characters)"
    return None


class Secrets(BaseModel):
    model_config = ConfigDict(frozen=True)

    sendgrid_api_key: SecretStr | None = None
    secret_key: SecretStr | None = None
    smtp_password: SecretStr | None = None
    #: Signing keys before the last rotations, newest first: their links still verify.
    previous_secret_keys: tuple[SecretStr, ...] = ()
    #: Keys the suppression and sign-up hashes; set once, never rotated.
    hash_key: SecretStr | None = None


def secrets() -> Secrets:
    """Secrets from the environment only (never from config.yaml, never logged)."""
    env = os.environ
    previous = re.split(r"[\s,]+", env.get("NEWSLETTER_PREVIOUS_SECRET_KEYS", "").strip())
    return Secrets(
        sendgrid_api_key=_secret(env.get("SENDGRID_API_KEY")),
        secret_key=_secret(env.get("NEWSLETTER_SECRET_KEY")),
        smtp_password=_secret(env.get("NEWSLETTER_SMTP_PASSWORD")),
        previous_secret_keys=tuple(SecretStr(k) for k in previous if k),
        hash_key=_secret(env.get("NEWSLETTER_HASH_KEY")),
    )


def _secret(value: str | None) -> SecretStr | None:
    return SecretStr(value) if value else None


def config_path(explicit: str | Path | None = None) -> Path:
    return Path(explicit or os.environ.get("NEWSLETTER_CONFIG") or "config.yaml")


def load_settings(explicit: str | Path | None = None, **overrides: Any) -> Settings:
    """Load config.yaml (or ``--config`` / ``NEWSLETTER_CONFIG``) and the environment."""
    path = config_path(explicit)
    named = explicit is not None or "NEWSLETTER_CONFIG" in os.environ
    if named and not path.is_file():
        raise ConfigError(f"{path}: config file not found")

    class _FromFile(Settings):
        model_config = SettingsConfigDict(yaml_file=path if path.is_file() else None)

    try:
        settings = _FromFile(base_dir=path.resolve().parent, **overrides)
    except ValidationError as exc:
        raise ConfigError(format_validation(exc, path)) from exc
    except SettingsError as exc:  # a NEWSLETTER_ variable that is not valid JSON, say
        raise ConfigError(_settings_error(exc, path)) from exc
    except (OSError, ValueError, TypeError, yaml.YAMLError) as exc:  # unreadable or non-YAML file
        raise ConfigError(f"{path}: {exc}") from exc
    return Settings.model_validate(settings.model_dump())


ENV_PREFIX = "NEWSLETTER_"


def env_variable(loc: tuple[str | int, ...]) -> str | None:
    """The ``NEWSLETTER_<SECTION>__<KEY>`` variable that set the value at ``loc``, if one did:
    the longest prefix of ``loc`` with a variable set (a whole section can come as JSON).
    Names are compared without case, as pydantic-settings reads them by default."""
    present = {name.upper(): name for name in os.environ if name.upper().startswith(ENV_PREFIX)}
    for end in range(len(loc), 0, -1):
        wanted = ENV_PREFIX + "__".join(str(p) for p in loc[:end]).upper()
        if wanted in present:
            return present[wanted]
    return None


def format_validation(exc: ValidationError, path: Path | None = None) -> str:
    """One line per problem, named where the value came from: ``config.yaml:
    delivery.transport: Input should be ...``, or ``NEWSLETTER_DELIVERY__TRANSPORT
    (environment, delivery.transport): Input should be ...`` when a variable set it."""
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        variable = env_variable(tuple(err["loc"]))
        if variable is not None:
            lines.append(f"{variable} (environment, {where}): {err['msg']}")
        else:
            lines.append(f"{path}: {where}: {err['msg']}" if path else f"{where}: {err['msg']}")
    return "; ".join(lines)


def _settings_error(exc: SettingsError, path: Path) -> str:
    """pydantic-settings says ``error parsing value for field "delivery" from source
    "EnvSettingsSource"``: name the variable instead of the config file."""
    said = str(exc)
    found = re.search(r'field "([^"]+)" from source "EnvSettingsSource"', said)
    section = found.group(1) if found else ""
    variable = env_variable((section,)) if section else None
    if variable is None:
        return f"{path}: {said}"
    return f"{variable} (environment): not valid JSON for the {section} section"
