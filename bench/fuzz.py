"""A fuzz run against a real `kb serve`: N hostile requests from openapi.json, 5xx counted.

    python -m bench.fuzz [--requests 5000] [--seed 10]

Builds a small KB (the repository's articles and sample tickets, the hashing embedder) in a
temporary folder, starts `kb serve` on 127.0.0.1 with 2 workers, and sends each request on a
new connection: an operation of the document, chosen at random, its parameters and body
filled from their schemas and then spoilt one way: lone surrogates, NUL, bytes that are not
UTF-8, JSON nested 2,000 deep, a body past the 1 MiB limit, wrong types, non-ASCII digits,
search syntax, an undeclared method, a body that is not JSON. Half carry an agent and
manager's token. Prints the count of each status as JSON and the first 5xx requests;
exits 1 if any answer was a 5xx. Bounded in count and time, and targets 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

REPOSITORY = Path(__file__).resolve().parent.parent
DOCUMENT = REPOSITORY / "kb" / "web" / "openapi.json"
SPOILERS = (
    "none",
    "surrogate",
    "nul",
    "not_utf8",
    "deep",
    "huge",
    "wrong_type",
    "digits",
    "syntax",
    "method",
    "not_json",
)
NASTY_TEXT = ("", " ", "\ud800", "a\x00b", "²", "٣", '"q" OR -x* (', "é" * 300, "../../etc")
DIGITS = ("²", "٣", "１０", "-1", "0", "99999999999", "1e3", " 7")
WORDS = ("printer", "vpn", "password", "offline", "wifi", "badge", "outlook", "laptop")
SECONDS_PER_REQUEST = 30


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # the path and query, percent-encoded
    body: bytes | None
    headers: dict[str, str]
    spoiler: str
    operation: str


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every (method, path, operation) the document declares."""
    found = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            found.append((method.upper(), path, operation))
    return found


def sample(schema: dict[str, Any], chance: random.Random, known: list[str]) -> Any:
    """A plausible value for `schema`: a word, a number in range, a listed choice."""
    if "enum" in schema:
        return chance.choice(schema["enum"])
    kinds = schema.get("type", "string")
    kind = kinds if isinstance(kinds, str) else chance.choice([k for k in kinds if k != "null"])
    if kind == "integer":
        return chance.randint(int(schema.get("minimum", 0)), int(schema.get("maximum", 100)))
    if kind == "boolean":
        return chance.random() < 0.5
    if kind == "array":
        return [sample(schema.get("items", {}), chance, known) for _ in range(chance.randint(0, 3))]
    if known and chance.random() < 0.3:
        return chance.choice(known)
    return " ".join(chance.choice(WORDS) for _ in range(chance.randint(1, 4)))


def spoil(value: Any, spoiler: str, chance: random.Random) -> Any:
    """`value` spoilt as `spoiler` says (text spoilers only apply to text)."""
    if spoiler == "surrogate":
        return f"{value}\ud800" if isinstance(value, str) else "\udfff"
    if spoiler == "nul":
        return f"{value}\x00"
    if spoiler == "digits":
        return chance.choice(DIGITS)
    if spoiler == "syntax":
        return chance.choice(NASTY_TEXT)
    if spoiler == "wrong_type":
        return chance.choice([None, 12, -3.5, True, [value], {"value": value}])
    return value


def encode_part(value: Any, spoiler: str) -> str:
    """A path segment or query value, percent-encoded; invalid UTF-8 for "not_utf8"."""
    text = value if isinstance(value, str) else json.dumps(value)
    raw = text.encode("utf-8", "surrogatepass")
    if spoiler == "not_utf8":
        raw += b"\xff\xc3"
    return quote(raw, safe="")


def build(
    chance: random.Random,
    choices: list[tuple[str, str, dict[str, Any]]],
    known: dict[str, list[str]],
    token: str,
) -> Request:
    """One request: an operation filled from its schemas, then spoilt one way."""
    method, path, operation = chance.choice(choices)
    spoiler = chance.choice(SPOILERS)
    label = f"{method} {path}"
    target = path
    query = []
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        name = parameter["name"]
        value = sample(schema, chance, known.get(name, []))
        if chance.random() < 0.5:
            value = spoil(value, spoiler, chance)
        if parameter["in"] == "path":
            target = target.replace("{" + name + "}", encode_part(value, spoiler) or "x")
        elif parameter["in"] == "query" and (parameter.get("required") or chance.random() < 0.6):
            query.append(f"{quote(name)}={encode_part(value, spoiler)}")
    if query:
        target += "?" + "&".join(query)
    headers = {"Authorization": f"Bearer {token}"} if chance.random() < 0.5 else {}
    body = None
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        schema = content["application/json"].get("schema", {})
        fields = {
            name: sample(field, chance, known.get(name, []))
            for name, field in schema.get("properties", {}).items()
            if name in schema.get("required", []) or chance.random() < 0.6
        }
        if fields and spoiler not in ("none", "deep", "huge", "not_json", "method"):
            name = chance.choice(list(fields))
            fields[name] = spoil(fields[name], spoiler, chance)
        text = json.dumps(fields)
        if spoiler == "deep":
            text = "[" * 2000 + "]" * 2000
        elif spoiler == "huge":
            text = json.dumps({**fields, "description": "x" * (1024 * 1024 + 10)})
        elif spoiler == "not_json":
            text = chance.choice(["{not json", "[1, 2", "", "null", '"text"', "{}{}"])
        body = text.encode("utf-8", "surrogatepass")
        if spoiler == "not_utf8":
            body = body.replace(b'"', b'"\xff', 1)
        headers["Content-Type"] = "application/json"
    if spoiler == "method":
        method = chance.choice(["TRACE", "PUT", "DELETE", "PATCH", "CONNECT", "PROPFIND"])
    return Request(method, target, body, headers, spoiler, label)


def send(port: int, request: Request) -> int:
    """The status kb answered `request` with (0 when the connection failed)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=SECONDS_PER_REQUEST)
    try:
        connection.putrequest(request.method, request.target, skip_accept_encoding=True)
        headers = dict(request.headers)
        if request.body is not None:
            headers["Content-Length"] = str(len(request.body))
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders(request.body)
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return 0
    finally:
        connection.close()


def prepared_home(folder: Path) -> tuple[dict[str, str], dict[str, list[str]], str]:
    """A small indexed KB in `folder`: its environment for kb serve, known ids, a token."""
    from kb.config import Settings
    from kb.services import build_services
    from kb.workflow import NewTicket

    articles = folder / "articles"
    shutil.copytree(REPOSITORY / "articles", articles)
    tickets = REPOSITORY / "tickets" / "resolved-tickets.jsonl"
    settings = Settings(
        home=folder / ".kb", articles_dir=articles, tickets_file=tickets, embedder="hashing"
    )
    services = build_services(settings)
    try:
        services.index_files()
        user = services.users.add(
            "fuzz@example.com", "a long fuzzing password", ("agent", "manager")
        )
        _, token = services.users.create_token(user.id, "fuzz")
        numbers = [
            services.tickets.create(
                NewTicket(f"Fuzzing {word}", f"The {word} fails.", "fuzz@example.com")
            ).number
            for word in WORDS[:3]
        ]
    finally:
        services.close()
    known = {
        "article_id": [path.stem for path in articles.glob("*.md")],
        "linked_article": [path.stem for path in articles.glob("*.md")],
        "number": numbers,
        "report": ["overview", "searches", "articles", "problems", "calibration", "holdout"],
    }
    environment = {
        "KB_HOME": str(settings.home),
        "KB_ARTICLES_DIR": str(articles),
        "KB_TICKETS_FILE": str(tickets),
        "KB_EMBEDDER": "hashing",
    }
    return environment, known, token


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz")
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=10)
    arguments = parser.parse_args()
    chance = random.Random(arguments.seed)
    choices = operations(json.loads(DOCUMENT.read_text("utf-8")))
    with tempfile.TemporaryDirectory(prefix="kb-fuzz-") as scratch:
        environment, known, token = prepared_home(Path(scratch))
        port = free_port()
        # The KB is this run's own: no setting of the caller's (a database URL) reaches it.
        inherited = {key: value for key, value in os.environ.items() if not key.startswith("KB_")}
        log = Path(scratch) / "serve.log"
        with log.open("w", encoding="utf-8") as errors:
            server = subprocess.Popen(
                [sys.executable, "-m", "kb.cli", "serve", "--port", str(port), "--workers", "2"],
                env={**inherited, **environment, "HF_HUB_OFFLINE": "1"},
                stdout=subprocess.DEVNULL,
                stderr=errors,
            )
        try:
            wait_until_up(port, server)
            statuses: Counter[int] = Counter()
            by_spoiler: Counter[str] = Counter()
            server_errors: list[str] = []
            started = time.monotonic()
            for _ in range(arguments.requests):
                request = build(chance, choices, known, token)
                status = send(port, request)
                statuses[status] += 1
                if status >= 500 or status == 0:
                    by_spoiler[request.spoiler] += 1
                    if len(server_errors) < 10:
                        server_errors.append(
                            f"{status} {request.method} {request.target[:200]} "
                            f"({request.operation}, {request.spoiler})"
                        )
            elapsed = time.monotonic() - started
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(60)
        failing = sum(count for status, count in statuses.items() if status >= 500 or status == 0)
        print(
            json.dumps(
                {
                    "requests": arguments.requests,
                    "seed": arguments.seed,
                    "seconds": round(elapsed, 1),
                    "statuses": {str(status): count for status, count in sorted(statuses.items())},
                    "server_errors_or_dropped": failing,
                    "by_spoiler": dict(by_spoiler),
                    "first": server_errors,
                },
                indent=2,
            )
        )
        if failing:
            print(log.read_text("utf-8")[-4000:], file=sys.stderr)
            raise SystemExit(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("kb serve exited before answering")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("kb serve did not answer within 120 s")


if __name__ == "__main__":
    main()
