"""Deployment (issue 19, ASVS V14.1): only the TLS proxy is published, and the proxy sets the
forwarded headers itself, strips the client's, redirects plain HTTP and limits bodies. The
proxy tests run the real deploy/Caddyfile with Caddy in front of a small echo server."""

import http.client
import http.server
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from tests.ecm.test_settings import PRODUCTION, _manage

ROOT = Path(__file__).resolve().parents[2]
CADDYFILE = ROOT / "deploy" / "Caddyfile"


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_only_the_proxy_publishes_ports():
    services = _compose()["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"proxy"}
    assert "ports" not in services["web"]
    assert services["web"]["expose"] == ["8000"]
    assert services["proxy"]["ports"] == ["${HTTPS_PORT:-443}:443", "${HTTP_PORT:-80}:80"]
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in services["proxy"]["volumes"]


def test_clamav_is_an_optional_profile():
    clamav = _compose()["services"]["clamav"]
    assert clamav["image"].startswith("clamav/clamav")
    assert clamav["profiles"] == ["clamav"]


def test_caddyfile_sets_and_strips_forwarded_headers_and_limits_bodies():
    text = CADDYFILE.read_text()
    for line in [
        "header_up X-Forwarded-For {remote_host}",
        "header_up X-Forwarded-Proto {scheme}",
        "header_up Host {hostport}",
        "header_up -Forwarded",
        "max_size 11MB",
        "tls {$ECM_TLS:internal}",
    ]:
        assert line in text, line
    # The proxy's limit sits a little above the app's streaming limit, not below it.
    assert 10 * 1024 * 1024 <= settings.ASSETPLUS_MAX_BYTES < 11 * 1000 * 1000


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose not installed")
def test_compose_file_is_valid_with_and_without_clamav():
    env = {**os.environ, "ECM_ENV_FILE": ".env.example"}
    for extra in ([], ["--profile", "clamav"]):
        result = subprocess.run(
            ["docker-compose", "--env-file", ".env.example", *extra, "config", "--services"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
    assert "clamav" in result.stdout.split()


# --- The real proxy -------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Echo(http.server.BaseHTTPRequestHandler):
    """The upstream: answers with the headers it was sent (and how much body arrived)."""

    seen: list = []
    bodies: list = []

    def _answer(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while size := int(self.rfile.readline().split(b";")[0], 16):
                body += self.rfile.read(size)
                self.rfile.readline()
        else:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
        _Echo.bodies.append(len(body))
        headers = {k.lower(): v for k, v in self.headers.items()}
        # Several values of one header are kept apart to see that nothing was appended.
        headers["x-forwarded-for-all"] = self.headers.get_all("X-Forwarded-For") or []
        _Echo.seen.append(self.path)
        out = json.dumps({"headers": headers, "body_bytes": len(body)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def proxy():
    caddy = shutil.which("caddy")
    if caddy is None:
        if os.environ.get("CI"):
            pytest.fail("caddy is missing in CI: scripts/install-system-packages test installs it")
        pytest.skip("caddy not installed (scripts/install-system-packages test installs it)")
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    base = Path(tempfile.mkdtemp(prefix="ecm-caddy-"))
    http_port, https_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "HOME": str(base),
        "XDG_DATA_HOME": str(base / "data"),
        "XDG_CONFIG_HOME": str(base / "config"),
        "ECM_SITE_ADDRESS": "localhost",
        "ECM_TLS": "internal",
        "ECM_UPSTREAM": f"127.0.0.1:{upstream.server_address[1]}",
        "ECM_HTTP_PORT": str(http_port),
        "ECM_HTTPS_PORT": str(https_port),
    }
    log = open(base / "caddy.log", "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [caddy, "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    root_cert = base / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail("caddy exited: " + (base / "caddy.log").read_text()[-2000:])
            if root_cert.exists():
                try:
                    socket.create_connection(("127.0.0.1", https_port), timeout=1).close()
                    break
                except OSError:
                    pass
            time.sleep(0.1)
        else:
            pytest.fail("caddy did not start: " + (base / "caddy.log").read_text()[-2000:])
        # Trust only Caddy's local authority, as a person trying it would.
        context = ssl.create_default_context(cafile=str(root_cert))
        yield {"http": http_port, "https": https_port, "tls": context}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        upstream.shutdown()
        shutil.rmtree(base, ignore_errors=True)


def _https(proxy, method, path, headers=None, body=None):
    connection = http.client.HTTPSConnection(
        "localhost", proxy["https"], context=proxy["tls"], timeout=30
    )
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_proxy_serves_https_with_the_local_certificate_and_sets_forwarded_headers(proxy):
    forged = {
        "X-Forwarded-For": "203.0.113.9",
        "X-Forwarded-Proto": "http",
        "X-Forwarded-Host": "evil.example",
        "Forwarded": "for=203.0.113.9;proto=https",
        "X-Real-IP": "203.0.113.9",
    }
    status, body = _https(proxy, "GET", "/cases/", headers=forged)
    assert status == 200
    seen = json.loads(body)["headers"]
    assert seen["x-forwarded-for-all"] == ["127.0.0.1"]  # the connection's address only
    assert seen["x-forwarded-proto"] == "https"
    assert seen["x-forwarded-host"] == f"localhost:{proxy['https']}"
    assert seen["host"] == f"localhost:{proxy['https']}"
    assert "forwarded" not in seen and "x-real-ip" not in seen


def test_plain_http_with_a_forged_proto_header_is_redirected_not_proxied(proxy):
    _Echo.seen.clear()
    connection = http.client.HTTPConnection("127.0.0.1", proxy["http"], timeout=10)
    connection.request(
        "GET", "/cases/", headers={"Host": "localhost", "X-Forwarded-Proto": "https"}
    )
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status in (301, 302, 307, 308)
    # Caddy names no port when it is its own HTTPS port (443 in the compose file).
    assert response.getheader("Location") == "https://localhost/cases/"
    assert _Echo.seen == []  # the app never saw the plain-HTTP request


def test_bodies_over_the_limit_are_refused_at_the_proxy(proxy):
    status, body = _https(proxy, "POST", "/upload", body=b"0" * (1024 * 1024))
    assert status == 200 and json.loads(body)["body_bytes"] == 1024 * 1024
    _Echo.seen.clear()
    for length in (12 * 1024 * 1024, 11_000_001, 10**10):
        # Answered from the declared length alone, before the body is sent at all.
        connection = http.client.HTTPSConnection(
            "localhost", proxy["https"], context=proxy["tls"], timeout=10
        )
        connection.putrequest("POST", "/upload")
        connection.putheader("Content-Length", str(length))
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 413, length
        connection.close()
    assert _Echo.seen == []  # nothing reached the app


def test_a_body_without_a_length_is_cut_at_the_limit(proxy):
    """Chunked: no Content-Length to judge by. The proxy stops forwarding at 11 MB (Caddy
    2.6 answers 502, later ones 413); the upstream never gets a complete request."""

    def chunks():
        for _ in range(12):
            yield b"0" * (1024 * 1024)

    _Echo.bodies.clear()
    try:
        status, _body = _https(proxy, "POST", "/upload", body=chunks())
    except OSError:  # the proxy hung up while the body was still being sent
        status = None
    assert status in (None, 413, 502)
    assert all(size <= 11_000_000 for size in _Echo.bodies)


# --- Production settings as the compose file runs them ----------------------------------
COMPOSE_PRODUCTION = {
    **PRODUCTION,
    "ALLOWED_HOSTS": "ecm.example.org,localhost",
    "CSRF_TRUSTED_ORIGINS": "https://ecm.example.org",
    "DATABASE_URL": "postgres://ecm:secret@postgres:5432/ecm",
    "REDIS_URL": "redis://redis:6379/0",
    "EMAIL_URL": "smtp+tls://ecm:secret@smtp.example.org:587",
    "DEFAULT_FROM_EMAIL": "ECM <no-reply@ecm.example.org>",
    "BEHIND_TLS_PROXY": "True",
    "ECM_TRUSTED_PROXIES": "1",
    "SITE_URL": "https://ecm.example.org",
    "PRIVATE_MEDIA_ROOT": "/app/var/private",
    "CLAMD_HOST": "clamav",
    "CLAMD_PORT": "3310",
    "CLAMD_TIMEOUT_SECONDS": "30",
}


def test_check_deploy_clean_with_the_compose_environment():
    result = _manage("check", "--deploy", "--fail-level", "DEBUG", env_extra=COMPOSE_PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_settings_as_compose_sets_them():
    """One trusted proxy (the compose file's Caddy), X-Forwarded-Proto trusted from it."""
    assert "\nECM_TRUSTED_PROXIES=1\n" in (ROOT / ".env.example").read_text()
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_PROXY_SSL_HEADER, s.TRUSTED_PROXIES, s.SECURE_SSL_REDIRECT, "
        "s.CLAMD_HOST, s.CLAMD_PORT, s.CLAMD_TIMEOUT_SECONDS)"
    )
    result = _manage("shell", "-c", code, env_extra=COMPOSE_PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == [
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
        "1",
        "True",
        "clamav",
        "3310",
        "30.0",
    ]
