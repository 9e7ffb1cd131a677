"""load_settings: defaults < kb.toml < KB_* environment < explicit overrides."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from kb.config import Settings, describe_settings, load_settings
from kb.errors import ConfigError


@pytest.fixture(autouse=True)
def empty_working_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run each test where no stray kb.toml can be picked up."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def toml_file(tmp_path: Path) -> Path:
    path = tmp_path / "kb.toml"
    path.write_text(
        '[kb]\nchunk_words = 120\nfusion = "rrf"\nlanguages = ["en", "fr"]\nhome = "/srv/kb"\n',
        encoding="utf-8",
    )
    return path


def test_defaults_without_file_environment_or_overrides() -> None:
    settings = load_settings(environ={})
    assert settings == Settings()
    assert settings.home == Path(".kb")
    assert settings.chunk_words == 180
    assert settings.fusion == "convex"
    assert settings.semantic_weight == 0.74
    assert settings.languages == ("en", "es")
    assert settings.tickets_file is None


def test_kb_toml_in_the_working_folder_is_read(toml_file: Path) -> None:
    assert load_settings(environ={}).chunk_words == 120


def test_config_file_overrides_defaults(toml_file: Path) -> None:
    settings = load_settings(environ={}, config_file=toml_file)
    assert settings.chunk_words == 120
    assert settings.fusion == "rrf"
    assert settings.languages == ("en", "fr")
    assert settings.home == Path("/srv/kb")
    assert settings.candidates == 100


def test_config_file_without_a_kb_table_is_read_from_the_top(tmp_path: Path) -> None:
    path = tmp_path / "kb.toml"
    path.write_text("rrf_k = 10\n", encoding="utf-8")
    assert load_settings(environ={}, config_file=path).rrf_k == 10


def test_kb_config_variable_names_the_file(toml_file: Path) -> None:
    assert load_settings(environ={"KB_CONFIG": str(toml_file)}).chunk_words == 120


def test_missing_file_named_by_kb_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(environ={"KB_CONFIG": str(tmp_path / "missing.toml")})


def test_environment_overrides_config_file(toml_file: Path) -> None:
    settings = load_settings(
        environ={"KB_CHUNK_WORDS": "90", "KB_SEMANTIC_WEIGHT": "0.6", "KB_TICKETS_FILE": "t.csv"},
        config_file=toml_file,
    )
    assert settings.chunk_words == 90
    assert settings.semantic_weight == 0.6
    assert settings.tickets_file == Path("t.csv")
    assert settings.fusion == "rrf"


def test_explicit_overrides_win_over_environment_and_file(toml_file: Path) -> None:
    settings = load_settings(
        {"chunk_words": 50, "fusion": "weighted"},
        environ={"KB_CHUNK_WORDS": "90"},
        config_file=toml_file,
    )
    assert settings.chunk_words == 50
    assert settings.fusion == "weighted"


def test_none_overrides_are_ignored(toml_file: Path) -> None:
    settings = load_settings(
        {"chunk_words": None, "home": None, "tickets_file": None},
        environ={"KB_CHUNK_WORDS": "90"},
        config_file=toml_file,
    )
    assert settings.chunk_words == 90
    assert settings.home == Path("/srv/kb")


@pytest.mark.parametrize(
    ("environ", "name", "expected"),
    [
        ({"KB_LANGUAGES": "en, es ,pt"}, "languages", ("en", "es", "pt")),
        ({"KB_LANGUAGES": "en,,"}, "languages", ("en",)),
        ({"KB_LANGUAGES": ""}, "languages", ()),
        ({"KB_TICKETS_FILE": ""}, "tickets_file", None),
        ({"KB_LOCK_TIMEOUT": "2.5"}, "lock_timeout", 2.5),
        ({"KB_KEEP_GENERATIONS": "0"}, "keep_generations", 0),
        ({"KB_EMBEDDER": "hashing"}, "embedder", "hashing"),
    ],
)
def test_environment_values_are_converted(
    environ: dict[str, str], name: str, expected: Any
) -> None:
    assert getattr(load_settings(environ=environ), name) == expected


def test_tuple_override_from_a_list() -> None:
    assert load_settings({"languages": ["en", " de "]}, environ={}).languages == ("en", "de")


@pytest.mark.parametrize(
    ("environ", "overrides", "message"),
    [
        ({"KB_CHUNK_WORDS": "many"}, {}, "KB_CHUNK_WORDS: cannot read 'many' as a whole number"),
        ({"KB_CHUNK_WORDS": "12.5"}, {}, "KB_CHUNK_WORDS"),
        ({"KB_CHUNK_WORDS": "٣٠٠"}, {}, "KB_CHUNK_WORDS: cannot read '٣٠٠' as a whole number"),
        ({"KB_CHUNK_WORDS": "1_000"}, {}, "cannot read '1_000' as a whole number"),
        ({"KB_SEMANTIC_WEIGHT": "high"}, {}, "KB_SEMANTIC_WEIGHT: cannot read 'high' as a number"),
        ({}, {"rrf_k": "sixty"}, "setting `rrf_k`"),
        ({}, {"colour": "blue"}, "unknown setting `colour`"),
        ({"KB_FUSION": "max"}, {}, "`fusion` must be `convex`, `weighted` or `rrf`, not 'max'"),
        ({}, {"fusion": "sum"}, "`fusion` must be `convex`, `weighted` or `rrf`"),
        ({"KB_SEMANTIC_WEIGHT": "1.5"}, {}, "`semantic_weight` must lie between 0 and 1"),
        ({"KB_SEMANTIC_WEIGHT": "-0.1"}, {}, "`semantic_weight` must lie between 0 and 1"),
        ({"KB_CHUNK_WORDS": "0"}, {}, "`chunk_words` must be at least 1"),
        ({"KB_CANDIDATES": "-3"}, {}, "`candidates` must be at least 1"),
        ({"KB_KEEP_GENERATIONS": "-1"}, {}, "`keep_generations` cannot be negative"),
        ({"KB_IMAGE_HOSTS": "cdn.example.org; script-src *"}, {}, "`image_hosts`: 'cdn."),
        ({"KB_IMAGE_HOSTS": "https://cdn.example.org"}, {}, "is not a host name"),
        (
            {"KB_TRUSTED_PROXIES": "-1"},
            {},
            "`trusted_proxies` counts proxies in front of kb: 0 to 5",
        ),
    ],
)
def test_bad_values_raise_config_error(
    environ: dict[str, str], overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(overrides, environ=environ)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[kb]\ncolour = 'blue'\n", "unknown setting `colour`"),
        ("chunk_words = 'lots'\n", "cannot read 'lots' as a whole number"),
        ("chunk_words = \n", "not valid TOML"),
    ],
)
def test_bad_config_file_raises_config_error_naming_the_file(
    tmp_path: Path, toml: str, message: str
) -> None:
    path = tmp_path / "kb.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_settings(environ={}, config_file=path)
    assert str(raised.value).startswith(str(path))
    assert message in str(raised.value)


def test_weights_at_the_limits_are_accepted() -> None:
    assert load_settings({"semantic_weight": 0.0}, environ={}).semantic_weight == 0.0
    assert load_settings({"semantic_weight": 1}, environ={}).semantic_weight == 1.0


def test_describe_settings_lists_every_setting_with_its_default() -> None:
    rows = {name: (default, help_text) for name, default, help_text in describe_settings()}
    assert set(rows) == set(Settings.__dataclass_fields__)
    assert rows["languages"][0] == "en,es"
    assert rows["tickets_file"][0] == "(unset)"
    assert rows["chunk_words"][0] == "180"
    assert all(help_text for _, help_text in rows.values())


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"smtp_host": "mail.example.com"}, "set `mail_from` and `portal_url` too"),
        (
            {"smtp_host": "mail.example.com", "mail_from": "help@example.com"},
            "set `portal_url` too",
        ),
        ({"smtp_security": "ssl"}, "`smtp_security` must be one of starttls, tls, none"),
        ({"portal_url": "help.example.com"}, "`portal_url` must be the portal's address"),
        ({"smtp_port": "70000"}, "`smtp_port` must be 1-65535"),
        (
            {
                "smtp_host": "mail.example.com",
                "mail_from": "help@example.com",
                "portal_url": "https://help.example.com",
                "smtp_password": "secret",
            },
            "`smtp_password` needs `smtp_user`",
        ),
    ],
)
def test_mail_settings_that_cannot_work_are_refused(
    overrides: dict[str, str], complaint: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(complaint)):
        load_settings(overrides, environ={}, config_file=None)


def test_the_mail_password_comes_from_the_environment() -> None:
    settings = load_settings(
        environ={
            "KB_SMTP_HOST": "mail.example.com",
            "KB_SMTP_USER": "kb",
            "KB_SMTP_PASSWORD": "s3cret",
            "KB_MAIL_FROM": "IT Help <help@example.com>",
            "KB_PORTAL_URL": "https://help.example.com",
        },
        config_file=None,
    )
    assert (settings.smtp_user, settings.smtp_password, settings.smtp_port) == ("kb", "s3cret", 587)
