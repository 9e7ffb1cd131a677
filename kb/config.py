"""Settings: one frozen dataclass; defaults, then kb.toml, then KB_* variables, then overrides.

This module is the only reader of os.environ in kb.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.errors import ConfigError

ENVIRONMENT_PREFIX = "KB_"
CONFIG_FILE_NAME = "kb.toml"


def _setting(default: Any, help: str) -> Any:
    if isinstance(default, (list, dict, set)):
        raise TypeError("settings defaults must be immutable")
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    """Everything an operator can change, each with a default and a help line."""

    home: Path = _setting(
        Path(".kb"), "Folder holding the index generations, calibration and lock."
    )
    articles_dir: Path = _setting(
        Path("articles"), "Folder of Markdown articles with YAML front matter."
    )
    tickets_file: Path | None = _setting(
        None, "Resolved-ticket export to index (JSON lines or CSV); unset means none."
    )
    embedding_model: str = _setting(
        "all-MiniLM-L6-v2",
        "Sentence-transformers model: the packaged all-MiniLM-L6-v2, or a local model folder.",
    )
    embedder: str = _setting(
        "sentence-transformers",
        "Embedder backend: `sentence-transformers`, `hashing`, or a dotted path.",
    )
    keyword_backend: str = _setting(
        "bm25",
        "Keyword index: `bm25` (a BM25 matrix, fast at any size) or `whoosh`; with index_store "
        "`postgresql`: `postgresql-bm25`, or `postgresql-fulltext` (PostgreSQL's tsvector and "
        "ts_rank); or a dotted path.",
    )
    vector_backend: str = _setting(
        "faiss",
        "Vector index backend: `faiss`; with index_store `postgresql`: `pgvector`; or a dotted "
        "path.",
    )
    index_store: str = _setting(
        "files",
        "Where index generations live: `files` (folders in the KB home), `postgresql` "
        "(tables in database_url) or a dotted path.",
    )
    languages: tuple[str, ...] = _setting(
        ("en", "es"),
        "Languages given their own stemming analyzer; other languages are folded, not stemmed.",
    )
    chunk_words: int = _setting(
        180, "Sections longer than this many words are split into several chunks."
    )
    embed_batch_size: int = _setting(
        32, "Chunks per batch when documents are embedded with PyTorch (`document_encoder`)."
    )
    document_encoder: str = _setting(
        "onnx-int8",
        "How documents are embedded: `onnx-int8` (ONNX Runtime with int8 weights, 5x faster "
        "than PyTorch, nDCG@10 within 0.005 of exact on both dev sets), `onnx` (the model's "
        "own vectors) or `pytorch`. Changing it re-embeds everything.",
    )
    query_encoder: str = _setting(
        "onnx-int8",
        "How search queries are encoded: `onnx-int8` (ONNX Runtime with int8 weights: 2.6x "
        "faster than `onnx`, nearly as exact), `onnx` (the model's own vectors) or `pytorch`.",
    )
    hnsw_threshold: int = _setting(
        30000, "Past this many vectors the exact FAISS index becomes an HNSW graph."
    )
    quantise_threshold: int = _setting(
        250000,
        "Past this many vectors the HNSW graph holds them as 8-bit scalars (a quarter of the "
        "memory); its candidates are scored again on the exact vectors, read from disk.",
    )
    fusion: str = _setting(
        "convex",
        "How keyword and semantic rankings combine: `convex` (each ranker's scores over its "
        "best, from its lowest possible score), `weighted` (min-max normalised scores) or `rrf`.",
    )
    semantic_weight: float = _setting(
        0.74,
        "Weight of the semantic score in convex and weighted fusion; the keyword score gets "
        "the rest.",
    )
    rrf_k: int = _setting(60, "The k constant of reciprocal-rank fusion.")
    other_language_weight: float = _setting(
        0.8,
        "When a query's stop words say which language it is in, the scores of documents in "
        "other languages are multiplied by this (1 turns the preference off).",
    )
    candidates: int = _setting(
        100, "Chunks fetched from each ranker before fusion (more when filters reject many)."
    )
    lock_timeout: float = _setting(
        30.0, "Seconds `kb index` waits for another writer to finish before giving up."
    )
    keep_generations: int = _setting(
        2, "Index generations kept besides the current one, for readers still using them."
    )
    index_segments: int = _setting(
        8,
        "A saved article or resolved ticket is written as a small segment over the last full "
        "index, searched with it; `kb serve` merges them into a new full index in the "
        "background once half this many pile up, and past this many the next change merges "
        "them itself (0: every change writes a full index).",
    )
    database_url: str | None = _setting(
        None, "Where tickets and events are stored; unset means kb.sqlite3 in the KB home."
    )
    database_read_url: str | None = _setting(
        None,
        "With index_store `postgresql`: a replica searches read from; unset means database_url.",
    )
    show_threshold: float = _setting(
        0.3, "Suggestions below this deflection probability are not shown to requesters."
    )
    confident_threshold: float = _setting(
        0.6, "Below this chance that a shown answer solves it, the portal says it is not sure."
    )
    known_issue_threshold: float = _setting(
        0.6, "How close in meaning (cosine) a search or request must be to an announced problem."
    )
    holdout_share: float = _setting(
        0.0,
        "Share of help sessions shown no suggestions, to measure true deflection (e.g. 0.05).",
    )
    deflection_window_hours: float = _setting(
        24.0, "A ticket filed within this many hours of seeing suggestions means not deflected."
    )
    track_record_strength: float = _setting(
        10.0, "How many outcomes the engine's estimate counts for against an article's record."
    )
    minutes_per_ticket: float = _setting(
        15.0,
        "Agent minutes a ticket takes: the managers' estimate of hours saved is deflected "
        "sessions times this, an assumption shown with it.",
    )
    same_problem_similarity: float = _setting(
        0.35,
        "A ticket counts against a viewed article when its text and the search that led to the "
        "view are at least this similar (the engine's cosine).",
    )
    event_retention_days: int = _setting(
        0, "Days help-session events are kept before they are deleted; 0 keeps them for ever."
    )
    secret_key: str | None = _setting(
        None, "Signs the portal's cookies; unset means a random key kept in the KB home."
    )
    secure_cookies: bool = _setting(
        False, "Send cookies only over HTTPS; turn on whenever kb is served behind HTTPS."
    )
    session_hours: float = _setting(12.0, "Hours a sign-in lasts before the user signs in again.")
    image_hosts: tuple[str, ...] = _setting(
        (),
        "Hosts articles may show images from (comma-separated, `*.example.com` for a domain); "
        "images from anywhere else are not loaded, so reading an article tells no third party.",
    )
    trusted_proxies: int = _setting(
        0,
        "Reverse proxies in front of kb (nginx, a load balancer) whose X-Forwarded-For, "
        "-Proto and -Host headers are believed; 0 believes none. Set it when kb is behind a "
        "proxy, or every visitor shares the proxy's address and its sign-in limit.",
    )
    client_timeout: float = _setting(
        10.0,
        "Seconds `kb serve` waits for more of a request a client has begun to send before "
        "taking it as gone (408, or the connection closed).",
    )
    portal_url: str | None = _setting(
        None,
        "The portal's public address, e.g. https://help.example.com; the links in mail start "
        "with it. Needed once `smtp_host` is set.",
    )
    smtp_host: str | None = _setting(
        None, "Mail server kb sends notifications through; unset means kb sends no mail."
    )
    smtp_port: int = _setting(587, "The mail server's port (587 STARTTLS, 465 TLS, 25 plain).")
    smtp_security: str = _setting(
        "starttls",
        "How the connection to the mail server is protected: `starttls`, `tls` (TLS from the "
        "first byte, usually port 465) or `none` (a relay on the same host only).",
    )
    smtp_user: str | None = _setting(
        None, "User name for the mail server; unset means kb does not log in."
    )
    smtp_password: str | None = _setting(
        None, "Password for `smtp_user`; give it as KB_SMTP_PASSWORD, not in kb.toml."
    )
    mail_from: str | None = _setting(
        None,
        "The sender of kb's mail, e.g. `IT Help Centre <help@example.com>`. Needed once "
        "`smtp_host` is set.",
    )


def describe_settings() -> list[tuple[str, str, str]]:
    """Return (name, default, help) for every setting, in declaration order."""
    rows = []
    for item in dataclasses.fields(Settings):
        default = item.default
        if isinstance(default, tuple):
            shown = ",".join(default)
        elif default is None:
            shown = "(unset)"
        else:
            shown = str(default)
        rows.append((item.name, shown, item.metadata["help"]))
    return rows


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Build settings from defaults, kb.toml, KB_* environment variables and overrides.

    `config_file` defaults to $KB_CONFIG or ./kb.toml when it exists. Overrides whose
    value is None are ignored, so CLI options that were not given leave the rest alone.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}

    if config_file is None:
        named = environ.get(ENVIRONMENT_PREFIX + "CONFIG")
        config_file = Path(named) if named else Path(CONFIG_FILE_NAME)
        if not named and not config_file.exists():
            config_file = None
    if config_file is not None:
        values.update(_read_config_file(config_file))

    known = {item.name for item in dataclasses.fields(Settings)}
    for name in known:
        variable = ENVIRONMENT_PREFIX + name.upper()
        if variable in environ:
            values[name] = _convert(name, environ[variable], source=variable)

    for name, value in (overrides or {}).items():
        if value is None:
            continue
        if name not in known:
            raise ConfigError(f"unknown setting `{name}`")
        values[name] = _convert(name, value, source=f"setting `{name}`")

    settings = Settings(**values)
    _validate(settings)
    return settings


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found (named by KB_CONFIG)") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    section = data.get("kb", data)
    known = {item.name for item in dataclasses.fields(Settings)}
    values = {}
    for name, value in section.items():
        if name not in known:
            raise ConfigError(f"{path}: unknown setting `{name}`; see the settings table in README")
        values[name] = _convert(name, value, source=f"{path}: `{name}`")
    return values


_WHOLE_NUMBER = re.compile(r"-?[0-9]+")
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
_IMAGE_HOST = re.compile(rf"(\*\.)?{_LABEL}(\.{_LABEL})*(:[0-9]{{1,5}})?")


def _convert(name: str, value: Any, *, source: str) -> Any:
    """Turn a raw value (text from the environment, TOML, CLI) into the field's type."""
    hint = typing.get_type_hints(Settings)[name]
    optional = isinstance(hint, types.UnionType) and type(None) in typing.get_args(hint)
    if optional:
        if value is None or value == "":
            return None
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    try:
        if hint is Path:
            return Path(value)
        if hint is bool:
            return _to_bool(value)
        if hint is int:
            # int() also reads "٣" and "1_000"; a setting is written in ASCII digits.
            if isinstance(value, str) and not _WHOLE_NUMBER.fullmatch(value.strip()):
                raise ValueError(value)
            return int(value)
        if hint is float:
            return float(value)
        if typing.get_origin(hint) is tuple:
            items = value.split(",") if isinstance(value, str) else list(value)
            return tuple(str(item).strip() for item in items if str(item).strip())
        return str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{source}: cannot read {value!r} as {_type_name(hint)}") from None


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError(value)


def _type_name(hint: Any) -> str:
    if typing.get_origin(hint) is tuple:
        return "a comma-separated list"
    return {int: "a whole number", float: "a number", Path: "a path"}.get(hint, str(hint))


ENCODERS = ("onnx", "onnx-int8", "pytorch")
SMTP_SECURITY = ("starttls", "tls", "none")
MAX_TRUSTED_PROXIES = 5
# The portal's thresholds: probabilities or cosines, each between 0 and 1; an admin may also
# change them in the database (kb/store/thresholds.py).
THRESHOLD_SETTINGS = ("show_threshold", "confident_threshold", "known_issue_threshold")


def _validate(settings: Settings) -> None:
    for name in ("query_encoder", "document_encoder"):
        if getattr(settings, name) not in ENCODERS:
            raise ConfigError(
                f"setting `{name}` must be one of {', '.join(ENCODERS)}, "
                f"not {getattr(settings, name)!r}"
            )
    if settings.fusion not in {"convex", "weighted", "rrf"}:
        raise ConfigError(
            f"setting `fusion` must be `convex`, `weighted` or `rrf`, not {settings.fusion!r}"
        )
    if not 0.0 <= settings.semantic_weight <= 1.0:
        raise ConfigError("setting `semantic_weight` must lie between 0 and 1")
    if not 0.0 < settings.other_language_weight <= 1.0:
        raise ConfigError(
            "setting `other_language_weight` must be above 0 and at most 1 (1: no preference)"
        )
    for name in ("chunk_words", "embed_batch_size", "candidates", "rrf_k"):
        if getattr(settings, name) < 1:
            raise ConfigError(f"setting `{name}` must be at least 1")
    if not 0 <= settings.trusted_proxies <= MAX_TRUSTED_PROXIES:
        raise ConfigError(
            f"setting `trusted_proxies` counts proxies in front of kb: "
            f"0 to {MAX_TRUSTED_PROXIES}, not {settings.trusted_proxies}"
        )
    for name in THRESHOLD_SETTINGS:
        if not 0.0 <= getattr(settings, name) <= 1.0:
            raise ConfigError(f"setting `{name}` must lie between 0 and 1")
    if settings.client_timeout <= 0:
        raise ConfigError("setting `client_timeout` is seconds a client may pause: above 0")
    if not 0.0 <= settings.holdout_share <= 1.0:
        raise ConfigError("setting `holdout_share` is a share of sessions: between 0 and 1")
    if settings.deflection_window_hours <= 0 or settings.track_record_strength < 0:
        raise ConfigError(
            "settings `deflection_window_hours` must be positive and `track_record_strength` "
            "not negative"
        )
    if settings.minutes_per_ticket < 0:
        raise ConfigError("setting `minutes_per_ticket` cannot be negative: give the minutes")
    if settings.keep_generations < 0:
        raise ConfigError("setting `keep_generations` cannot be negative")
    if settings.index_segments < 0:
        raise ConfigError("setting `index_segments` cannot be negative (0 turns segments off)")
    for host in settings.image_hosts:
        # Each goes into the Content-Security-Policy as it is: a host name and nothing else.
        if not _IMAGE_HOST.fullmatch(host):
            raise ConfigError(
                f"setting `image_hosts`: {host!r} is not a host name like intranet.example.com "
                "or *.example.com (no scheme, path or spaces)"
            )
    if not -1.0 <= settings.same_problem_similarity <= 1.0:
        raise ConfigError("setting `same_problem_similarity` is a cosine: between -1 and 1")
    if settings.event_retention_days < 0:
        raise ConfigError("setting `event_retention_days` cannot be negative (0 keeps every event)")
    _validate_mail(settings)


def _validate_mail(settings: Settings) -> None:
    if settings.smtp_security not in SMTP_SECURITY:
        raise ConfigError(
            f"setting `smtp_security` must be one of {', '.join(SMTP_SECURITY)}, "
            f"not {settings.smtp_security!r}"
        )
    if not 0 < settings.smtp_port < 65536:
        raise ConfigError(f"setting `smtp_port` must be 1-65535, not {settings.smtp_port}")
    if settings.portal_url is not None and not re.fullmatch(
        r"https?://[^\s/?#]+(/[^\s?#]*)?", settings.portal_url
    ):
        raise ConfigError(
            f"setting `portal_url` must be the portal's address like https://help.example.com, "
            f"not {settings.portal_url!r}"
        )
    if settings.smtp_host is None:
        return
    missing = [name for name in ("mail_from", "portal_url") if getattr(settings, name) is None]
    if missing:
        named = " and ".join(f"`{name}`" for name in missing)
        raise ConfigError(f"setting `smtp_host` is set, so kb sends mail: set {named} too")
    if settings.smtp_password is not None and settings.smtp_user is None:
        raise ConfigError("setting `smtp_password` needs `smtp_user`, the name it belongs to")
