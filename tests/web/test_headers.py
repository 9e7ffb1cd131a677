"""Security headers on every answer; remote images off unless their host is allowed (item 10)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.indexer.sources import read_article
from kb.services import Services
from kb.web import create_app
from kb.web.headers import content_security_policy
from tests.helpers import SignIn, csrf_headers

pytestmark = pytest.mark.model

TEMPLATES = Path(__file__).resolve().parents[2] / "kb" / "web" / "templates"
EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def test_every_kind_of_answer_carries_the_headers(client: FlaskClient, sign_in: SignIn) -> None:
    answers = {
        "page": client.get("/"),
        "search": client.get("/", query_string={"q": "vpn"}),
        "article": client.get("/articles/vpn-connection-fails"),
        "json": client.get("/api/v1/search", query_string={"q": "vpn"}),
        "static": client.get("/static/kb.css"),
        "missing page": client.get("/no/such/page"),
        "missing json": client.get("/api/v1/articles/no-such-article"),
        "bad input": client.get("/api/v1/search", query_string={"q": "vpn", "k": "²"}),
        "wrong method": client.delete("/"),
        "redirect": client.get("/desk"),
        "form refused": client.post("/api/v1/suggest", data="x", content_type="text/plain"),
    }
    sign_in(client, "agent")
    answers["desk"] = client.get("/desk")
    answers["json write"] = client.post(
        "/desk/knowledge/preview", json={"body": "# Hi"}, headers=csrf_headers(client)
    )
    for name, answer in answers.items():
        answer.close()  # a static file's answer holds the file open
        for header, value in EXPECTED.items():
            assert answer.headers.get(header) == value, (name, header)
        policy = answer.headers.get("Content-Security-Policy", "")
        assert policy == content_security_policy(), name
    policy = content_security_policy()
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_templates_need_no_inline_script_or_style() -> None:
    """The policy allows no inline script or style: templates must not rely on either."""
    problems = []
    for template in sorted(TEMPLATES.glob("*.html")):
        text = template.read_text("utf-8")
        for found in re.finditer(r"<script\b[^>]*>", text):
            if "src=" not in found.group():
                problems.append(f"{template.name}: inline <script>")
        if re.search(r"<style\b", text):
            problems.append(f"{template.name}: <style> element")
        for found in re.finditer(r"<[a-zA-Z][^>]*\s(style|on[a-z]+)\s*=", text):
            problems.append(f"{template.name}: {found.group(1)}= attribute")
    assert problems == []


IMAGES = (
    "---\ntitle: Dock firmware\n---\n"
    "![Dock ports](/static/dock.png) ![Pixel](https://tracker.example.net/p.gif) "
    "![Diagram](https://wiki.intranet.example/dock.png)\n\nUpdate the dock.\n"
)


def test_remote_images_are_off_unless_their_host_is_allowed(
    writable_kb: Services, tmp_path: Path
) -> None:
    folder = writable_kb.settings.articles_dir
    (folder / "dock-firmware.md").write_text(IMAGES, "utf-8")
    writable_kb.indexer.update([read_article(folder / "dock-firmware.md").to_document()])

    page = create_app(services=writable_kb).test_client().get("/articles/dock-firmware")
    html = page.get_data(as_text=True)
    assert 'src="/static/dock.png"' in html
    assert "tracker.example.net" not in html and "wiki.intranet.example" not in html
    assert 'alt="Pixel"' in html  # the image's words stay

    writable_kb.settings = replace(writable_kb.settings, image_hosts=("*.intranet.example",))
    allowing: Flask = create_app(services=writable_kb)
    answer = allowing.test_client().get("/articles/dock-firmware")
    html = answer.get_data(as_text=True)
    assert 'src="https://wiki.intranet.example/dock.png"' in html
    assert "tracker.example.net" not in html
    assert "img-src 'self' data: *.intranet.example;" in answer.headers["Content-Security-Policy"]
    api = allowing.test_client().get("/api/v1/articles/dock-firmware").get_json()
    assert "wiki.intranet.example" in api["html"] and "tracker.example.net" not in api["html"]
