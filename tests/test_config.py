"""Settings: YAML file, NEWSLETTER_* environment overrides, secrets from the environment only."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from newsletter.config import Settings, config_path, load_settings, secrets
from newsletter.errors import ConfigError

CONFIG = """\
organisation:
  name: Test Network
sender:
  email: news@test.example
  name: Test
delivery:
  transport: outbox
  outbox_dir: var/outbox
  batch_size: 500
sendgrid:
  api_host: https://api.sendgrid.com
  timeout: 7
database:
  url: sqlite:///var/test.db
web:
  base_url: https://news.test.example/
scheduling:
  timezone: Europe/Sofia
"""


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting or secret from the developer's shell reaches these tests."""
    for name in list(os.environ):
        if name.startswith("NEWSLETTER_") or name == "SENDGRID_API_KEY":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def write(folder: Path, text: str = CONFIG, name: str = "config.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def ready_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, transport: str) -> Settings:
    monkeypatch.setenv("NEWSLETTER_DELIVERY__TRANSPORT", transport)
    return load_settings(write(tmp_path))


# -- loading ---------------------------------------------------------------------------------


def test_yaml_values_load(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path))
    assert s.organisation.name == "Test Network"
    assert s.sender.email == "news@test.example"
    assert s.delivery.transport == "outbox"
    assert s.delivery.batch_size == 500
    assert s.sendgrid.timeout == 7.0
    assert s.scheduling.timezone == "Europe/Sofia"
    # Trailing slash stripped so links join cleanly.
    assert s.web.base_url == "https://news.test.example"
    # Unset keys keep their defaults.
    assert s.delivery.max_in_flight == 4
    assert s.smtp.security == "starttls"


def test_organisation_identity_per_language(tmp_path: Path) -> None:
    from newsletter.bootstrap import organisation

    text = CONFIG.replace(
        "  name: Test Network\n",
        "  name: Test Network\n  translations:\n"
        '    sr-Cyrl: {name: Тест мрежа, postal_address: "Ниш, Србија"}\n'
        "    bg: {name: Тестова мрежа}\n",
    )
    org = organisation(load_settings(write(tmp_path, text)))
    assert org.in_language("sr-Cyrl").name == "Тест мрежа"
    assert org.in_language("sr-Latn").postal_address == "Niš, Srbija"  # transliterated
    assert org.in_language("bg").name == "Тестова мрежа"
    assert org.in_language("bg").postal_address == org.postal_address  # empty: the default
    assert org.in_language("ro") == org


def test_the_repository_config_names_the_organisation_as_the_samples_do() -> None:
    from newsletter.bootstrap import organisation
    from tests.content.rendering.samples import ORG

    repo = Path(__file__).resolve().parents[1]
    assert organisation(load_settings(repo / "config.yaml")) == ORG


def test_result_is_a_plain_frozen_settings(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path))
    assert type(s) is Settings
    with pytest.raises(ValueError):
        s.delivery = s.delivery  # type: ignore[misc]


def test_env_overrides_only_that_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLETTER_DELIVERY__TRANSPORT", "sendgrid")
    s = load_settings(write(tmp_path))
    assert s.delivery.transport == "sendgrid"
    assert s.delivery.batch_size == 500  # the rest of the YAML section stays
    assert s.delivery.outbox_dir == Path("var/outbox")
    assert s.sendgrid.timeout == 7.0


def test_env_overrides_sendgrid_api_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLETTER_SENDGRID__API_HOST", "https://api.eu.sendgrid.com")
    s = load_settings(write(tmp_path))
    assert s.sendgrid.api_host == "https://api.eu.sendgrid.com"
    assert s.sendgrid.timeout == 7.0


def test_env_values_are_validated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLETTER_DELIVERY__BATCH_SIZE", "250")
    monkeypatch.setenv("NEWSLETTER_SENDGRID__SANDBOX_MODE", "true")
    monkeypatch.setenv("NEWSLETTER_SENDGRID__UNSUBSCRIBE_GROUPS", '{"events": 1234}')
    s = load_settings(write(tmp_path))
    assert s.delivery.batch_size == 250
    assert s.sendgrid.sandbox_mode is True
    assert s.sendgrid.unsubscribe_groups == {"events": 1234}


def test_explicit_overrides_win_over_env_and_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSLETTER_DATABASE__URL", "sqlite:///from-env.db")
    s = load_settings(write(tmp_path), database={"url": "sqlite:///from-args.db"})
    assert s.database.url == "sqlite:///from-args.db"


def test_missing_explicit_config_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "config.yaml"
    with pytest.raises(ConfigError, match="config file not found") as info:
        load_settings(missing)
    assert str(missing) in str(info.value)


def test_missing_config_from_env_names_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLETTER_CONFIG", "elsewhere.yaml")
    with pytest.raises(ConfigError, match=r"elsewhere\.yaml"):
        load_settings()


def test_config_from_env_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "conf", name="site.yaml")
    monkeypatch.setenv("NEWSLETTER_CONFIG", str(path))
    assert config_path() == path
    assert load_settings().organisation.name == "Test Network"


def test_default_config_yaml_in_the_working_folder(tmp_path: Path) -> None:
    assert config_path() == Path("config.yaml")
    write(tmp_path)
    assert load_settings().organisation.name == "Test Network"


def test_no_config_file_at_all_gives_defaults(tmp_path: Path) -> None:
    s = load_settings()
    assert s.delivery.transport == "outbox"
    assert s.base_dir == tmp_path.resolve()


def test_invalid_transport_names_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, CONFIG.replace("transport: outbox", "transport: pigeon"))
    with pytest.raises(ConfigError, match=r"delivery\.transport") as info:
        load_settings(path)
    assert str(path) in str(info.value)


def test_invalid_transport_from_env_names_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSLETTER_DELIVERY__TRANSPORT", "pigeon")
    with pytest.raises(ConfigError, match=r"delivery\.transport"):
        load_settings(write(tmp_path))


@pytest.mark.parametrize(
    ("yaml_text", "key"),
    [
        ("sendgrid:\n  api_key: SG.secret\n", "sendgrid.api_key"),
        ("secret_key: hunter2\n", "secret_key"),
        ("smtp:\n  password: hunter2\n", "smtp.password"),
        ("delivery:\n  batch_size: 5000\n", "delivery.batch_size"),
        ("web:\n  base_url: news.test.example\n", "web.base_url"),
        ("scheduling:\n  timezone: Mars/Olympus\n", "scheduling.timezone"),
        ("delivery:\n  transprot: smtp\n", "delivery.transprot"),
        ("organisation:\n  translations:\n    sr_Cyrl: {name: x}\n", "translations"),
        ("organisation:\n  translations:\n    bg: {nmae: x}\n", "translations.bg.nmae"),
    ],
)
def test_bad_yaml_keys_and_values_are_config_errors(
    tmp_path: Path, yaml_text: str, key: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, yaml_text))
    assert key in str(info.value)


def test_secret_key_in_env_section_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSLETTER_SENDGRID__API_KEY", "SG.secret")
    with pytest.raises(ConfigError, match=r"sendgrid\.api_key"):
        load_settings(write(tmp_path))


def test_secret_env_vars_do_not_disturb_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", "Jm3x8Qv2-Lr9TzW4pYc7Nd1Hb6Gf0Ks5Ua_Xe2Vo8Ri")
    monkeypatch.setenv("NEWSLETTER_SMTP_PASSWORD", "pw")
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.x")
    assert load_settings(write(tmp_path)).delivery.transport == "outbox"


@pytest.mark.parametrize("text", ["delivery: [\n", "- a\n- b\n", "delivery: 5\n"])
def test_malformed_yaml_is_a_config_error(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=r"config\.yaml"):
        load_settings(path)


def test_empty_config_file_gives_defaults(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, "")).delivery.transport == "outbox"


# -- paths -----------------------------------------------------------------------------------


def test_relative_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    folder = tmp_path / "site"
    s = load_settings(write(folder))
    assert s.base_dir == folder.resolve()
    assert s.database_url == f"sqlite:///{folder.resolve() / 'var' / 'test.db'}"
    assert s.path(s.delivery.outbox_dir) == folder.resolve() / "var" / "outbox"
    assert s.path(s.paths.templates) == folder.resolve() / "templates"
    assert s.path(Path("/abs/where")) == Path("/abs/where")


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////abs/newsletter.db",
        "sqlite:///:memory:",
        "postgresql://newsletter@db.example/newsletter",
    ],
)
def test_absolute_memory_and_server_urls_are_kept(tmp_path: Path, url: str) -> None:
    s = load_settings(write(tmp_path / "site"), database={"url": url})
    assert s.database_url == url


# -- secrets and readiness -------------------------------------------------------------------


def test_secrets_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert secrets().sendgrid_api_key is None
    assert secrets().secret_key is None
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.abc")
    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", "")
    found = secrets()
    assert found.sendgrid_api_key is not None
    assert found.sendgrid_api_key.get_secret_value() == "SG.abc"
    assert "SG.abc" not in repr(found)
    assert found.secret_key is None  # empty counts as unset


def test_outbox_needs_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, CONFIG.replace("https://news.test.example/", "http://localhost:8000"))
    load_settings(path).require_sending_ready()


@pytest.mark.parametrize("transport", ["smtp", "sendgrid"])
def test_real_transports_refuse_http_base_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, transport: str
) -> None:
    monkeypatch.setenv("NEWSLETTER_WEB__BASE_URL", "http://news.test.example")
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.abc")
    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", "Jm3x8Qv2-Lr9TzW4pYc7Nd1Hb6Gf0Ks5Ua_Xe2Vo8Ri")
    s = ready_settings(tmp_path, monkeypatch, transport)
    with pytest.raises(ConfigError, match="RFC 8058") as info:
        s.require_sending_ready()
    assert "https" in str(info.value)
    assert transport in str(info.value)


def test_sendgrid_refuses_without_api_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", "Jm3x8Qv2-Lr9TzW4pYc7Nd1Hb6Gf0Ks5Ua_Xe2Vo8Ri")
    s = ready_settings(tmp_path, monkeypatch, "sendgrid")
    with pytest.raises(ConfigError, match="SENDGRID_API_KEY"):
        s.require_sending_ready()


@pytest.mark.parametrize("transport", ["smtp", "sendgrid"])
def test_real_transports_refuse_without_secret_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, transport: str
) -> None:
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.abc")
    s = ready_settings(tmp_path, monkeypatch, transport)
    with pytest.raises(ConfigError, match="NEWSLETTER_SECRET_KEY"):
        s.require_sending_ready()


@pytest.mark.parametrize("transport", ["smtp", "sendgrid"])
def test_ready_with_https_api_key_and_secret_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, transport: str
) -> None:
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.abc")
    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", "Jm3x8Qv2-Lr9TzW4pYc7Nd1Hb6Gf0Ks5Ua_Xe2Vo8Ri")
    s = ready_settings(tmp_path, monkeypatch, transport)
    assert s.web.base_url.startswith("https://")
    s.require_sending_ready()


def test_smtp_does_not_need_a_sendgrid_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", "Jm3x8Qv2-Lr9TzW4pYc7Nd1Hb6Gf0Ks5Ua_Xe2Vo8Ri")
    ready_settings(tmp_path, monkeypatch, "smtp").require_sending_ready()


# -- weak signing keys -------------------------------------------------------------


@pytest.mark.parametrize("transport", ["smtp", "sendgrid"])
@pytest.mark.parametrize("weak", ["a", "k" * 32, "ab" * 40, "correct horse battery"])
def test_real_transports_refuse_a_weak_secret_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, transport: str, weak: str
) -> None:
    from newsletter.keyring import link_keys

    monkeypatch.setenv("SENDGRID_API_KEY", "SG.abc")
    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", weak)
    s = ready_settings(tmp_path, monkeypatch, transport)
    with pytest.raises(ConfigError, match="newsletter secret-key"):
        s.require_sending_ready()
    # Serving (which builds the links' signer first) refuses it too.
    with pytest.raises(ConfigError, match="NEWSLETTER_SECRET_KEY"):
        link_keys(s)


def test_secret_key_command_prints_a_strong_key(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from newsletter.cli import main
    from newsletter.config import secret_key_problem

    keys = set()
    for _ in range(2):
        result = CliRunner().invoke(main, ["secret-key"])
        assert result.exit_code == 0, result.output
        key = result.output.strip()
        assert secret_key_problem(key) is None and len(key) >= 43
        keys.add(key)
    assert len(keys) == 2


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("NEWSLETTER_DELIVERY__BATCH_SIZE", "five hundred", "delivery.batch_size"),
        ("NEWSLETTER_DELIVERY__TRANSPROT", "smtp", "delivery.transprot"),
        ("NEWSLETTER_SCHEDULING__TIMEZONE", "Mars/Olympus", "scheduling.timezone"),
        ("newsletter_delivery__batch_size", "0", "delivery.batch_size"),  # any case, as read
        ("NEWSLETTER_DELIVERY", "{not json", "not valid JSON for the delivery section"),
    ],
)
def test_a_bad_environment_variable_is_named_as_the_variable_not_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, said: str
) -> None:
    path = write(tmp_path)  # a good file: only the variable is wrong
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = str(info.value)
    assert message.startswith(f"{name} (environment"), message
    assert said in message
    assert str(path) not in message and "config.yaml" not in message


def test_a_bad_file_value_beside_a_bad_variable_names_each_where_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, CONFIG.replace("batch_size: 500", "batch_size: lots"))
    monkeypatch.setenv("NEWSLETTER_SENDGRID__TIMEOUT", "soon")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    problems = str(info.value).split("; ")
    assert sorted(p.split(":")[0] for p in problems) == sorted(
        [str(path), "NEWSLETTER_SENDGRID__TIMEOUT (environment, sendgrid.timeout)"]
    )
    assert f"{path}: delivery.batch_size: " in str(info.value)
