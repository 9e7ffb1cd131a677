"""deploy/nginx.conf, the recommended production front, run with a real nginx before kb serve.

Skips without nginx (apt-get install nginx), except under CI=true, where .ci/run installs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kb.web.limits import MAX_REQUEST_BYTES
from tests.serving import (
    answer_of,
    fetch_json,
    free_port,
    indexed_home,
    running_server,
    stalled_upload,
)

SAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf"
# Debian puts it in /usr/sbin, which is not on every user's PATH.
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")


def nginx_binary() -> str:
    if NGINX:
        return NGINX
    message = "nginx is not installed: apt-get install -y nginx (CI installs it)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def nginx_before(kb_base: str, folder: Path) -> Iterator[str]:
    """nginx running the sample's server block, its upstream pointed at `kb_base`."""
    binary = nginx_binary()
    sample = SAMPLE.read_text("utf-8")
    port = free_port()
    kb_address = kb_base.removeprefix("http://")
    # What an operator changes: the port nginx listens on and where kb runs.
    assert "listen 80;" in sample and "server 127.0.0.1:5000;" in sample
    site = sample.replace("listen 80;", f"listen 127.0.0.1:{port};").replace(
        "server 127.0.0.1:5000;", f"server {kb_address};"
    )
    folder.mkdir()
    (folder / "kb.conf").write_text(site, "utf-8")
    # The rest is what Debian's /etc/nginx/nginx.conf provides, kept inside the test folder.
    temporary = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temporary.values():
        path.mkdir()
    (folder / "nginx.conf").write_text(
        f"pid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} info;\n"
        "events { worker_connections 64; }\n"
        "http {\n"
        f"  access_log {folder / 'access.log'};\n"
        f"  client_body_temp_path {temporary['body']};\n"
        f"  proxy_temp_path {temporary['proxy']};\n"
        f"  fastcgi_temp_path {temporary['fastcgi']};\n"
        f"  uwsgi_temp_path {temporary['uwsgi']};\n"
        f"  scgi_temp_path {temporary['scgi']};\n"
        f"  include {folder / 'kb.conf'};\n"
        "}\n",
        "utf-8",
    )
    if os.geteuid() == 0:
        # nginx started as root runs its workers as nobody, who cannot enter the test folder.
        configuration = folder / "nginx.conf"
        configuration.write_text("user root;\n" + configuration.read_text("utf-8"), "utf-8")
    command = [binary, "-p", str(folder), "-c", str(folder / "nginx.conf")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    server = subprocess.Popen(
        [*command, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/api/v1/openapi.json", timeout=2).read()
                break
            except OSError:
                assert server.poll() is None, f"nginx exited: {server.stderr.read()!r}"
                assert time.monotonic() < deadline, "nginx did not answer within 30 s"
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.communicate(timeout=30)


def test_kb_behind_the_sample_nginx(tmp_path: Path) -> None:
    settings = indexed_home(tmp_path)
    with (
        running_server(
            settings, "--workers", "1", environment={"KB_TRUSTED_PROXIES": "1"}
        ) as kb_base,
        nginx_before(kb_base, tmp_path / "nginx") as base,
    ):
        # nginx holds the stalled uploads; kb, with one worker, never sees them.
        stalled = [stalled_upload(base) for _ in range(4)]
        answer = fetch_json(base + "/api/v1/search?q=printer+spooler")
        assert [hit["id"] for hit in answer["hits"]] == ["printer-offline"]
        for client in stalled:
            client.sendall(b"x" * 95)
            assert answer_of(client).startswith(b"HTTP/1.1 400 ")
            client.close()
        # kb's own headers pass through.
        with urllib.request.urlopen(base + "/", timeout=30) as page:
            assert page.headers["X-Frame-Options"] == "DENY"
            assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
        # A body kb would refuse is refused by nginx before kb reads it.
        too_large = urllib.request.Request(
            base + "/api/v1/suggest",
            data=b"x" * (MAX_REQUEST_BYTES + 1),
            headers={"Content-Type": "application/json"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(too_large, timeout=30)
        assert refused.value.code == 413
        refused.value.close()
