"""Deployment (issue 19, ASVS V14.1): only the TLS proxy is published, and the proxy sets the
forwarded headers itself, strips the client's, redirects plain HTTP and limits bodies. The
proxy tests run the real deploy/Caddyfile with Caddy in front of a small echo server."""

import contextlib
import http.client
import http.server
import json
import os
import shutil
import socket
import socketserver
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


def test_web_and_worker_scale_and_migrations_run_once_before_them():
    """`docker-compose up --scale web=3 --scale worker=2`: nothing that names one container or
    binds a host port, and the migrations in a one-shot service the app services wait for."""
    services = _compose()["services"]
    for name in ("web", "worker", "beat"):
        assert "container_name" not in services[name] and "ports" not in services[name]
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
        assert "migrate" not in str(services[name]["command"])
    migrate = services["migrate"]
    assert migrate["command"] == "python manage.py migrate --noinput"
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"] == {"condition": "service_healthy"}
    # Every replica shares the media volume; the proxy finds the replicas by DNS.
    assert "private-media:/app/var/private" in services["web"]["volumes"]
    assert "private-media:/app/var/private" in services["worker"]["volumes"]
    assert "dynamic a {$ECM_UPSTREAM_HOST:web} {$ECM_UPSTREAM_PORT:8000}" in CADDYFILE.read_text()


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
        out = json.dumps(
            {"headers": headers, "body_bytes": len(body), "server": self.server.server_address[0]}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def _caddy(**upstream_env):
    """The real Caddyfile under Caddy, with its upstream and DNS resolver from upstream_env."""
    caddy = shutil.which("caddy")
    if caddy is None:
        if os.environ.get("CI"):
            pytest.fail("caddy is missing in CI: scripts/install-system-packages test installs it")
        pytest.skip("caddy not installed (scripts/install-system-packages test installs it)")
    base = Path(tempfile.mkdtemp(prefix="ecm-caddy-"))
    http_port, https_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "HOME": str(base),
        "XDG_DATA_HOME": str(base / "data"),
        "XDG_CONFIG_HOME": str(base / "config"),
        "ECM_SITE_ADDRESS": "localhost",
        "ECM_TLS": "internal",
        "ECM_HTTP_PORT": str(http_port),
        "ECM_HTTPS_PORT": str(https_port),
        **upstream_env,
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
                # Trust only Caddy's local authority, as a person trying it would; ready once
                # its certificate for the site is issued (a full handshake).
                context = ssl.create_default_context(cafile=str(root_cert))
                try:
                    with socket.create_connection(("127.0.0.1", https_port), timeout=2) as raw:
                        context.wrap_socket(raw, server_hostname="localhost").close()
                    break
                except (OSError, ssl.SSLError):
                    pass
            time.sleep(0.1)
        else:
            pytest.fail("caddy did not start: " + (base / "caddy.log").read_text()[-2000:])
        yield {"http": http_port, "https": https_port, "tls": context}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def proxy():
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    try:
        with _caddy(
            ECM_UPSTREAM_HOST="127.0.0.1", ECM_UPSTREAM_PORT=str(upstream.server_address[1])
        ) as running:
            yield running
    finally:
        upstream.shutdown()


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


class _Dns(socketserver.BaseRequestHandler):
    """A DNS server with one answer, as Docker's is for a service of several containers: every
    A query gets all of `addresses`, any other type (AAAA) none."""

    addresses: tuple[str, ...] = ()
    asked: list = []

    def handle(self):
        data, sock = self.request
        end = 12
        while data[end]:
            end += data[end] + 1
        end += 5  # the name's final zero, its type and class
        qtype = int.from_bytes(data[end - 4 : end - 2], "big")
        answers = self.addresses if qtype == 1 else ()
        _Dns.asked.append(qtype)
        reply = data[:2] + b"\x81\x80\x00\x01" + len(answers).to_bytes(2, "big") + bytes(4)
        reply += data[12:end]
        for ip in answers:  # a pointer to the question's name, A, IN, TTL 1 s, 4 bytes
            reply += b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x01\x00\x04" + socket.inet_aton(ip)
        sock.sendto(reply, self.client_address)


def test_the_proxy_balances_over_every_replica_and_skips_a_stopped_one():
    """`--scale web=2`: the service name resolves to two addresses; both get requests, and
    when one stops, requests still succeed on the other."""
    first = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    port = first.server_address[1]
    second = http.server.ThreadingHTTPServer(("127.0.0.2", port), _Echo)
    _Dns.addresses = ("127.0.0.1", "127.0.0.2")
    dns = socketserver.ThreadingUDPServer(("127.0.0.1", 0), _Dns)
    servers = (first, second, dns)
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with _caddy(
            ECM_UPSTREAM_HOST="web",
            ECM_UPSTREAM_PORT=str(port),
            ECM_DNS_RESOLVER=f"udp/127.0.0.1:{dns.server_address[1]}",
        ) as running:
            answered = []
            for _ in range(20):
                status, body = _https(running, "GET", "/")
                assert status == 200
                answered.append(json.loads(body)["server"])
            assert set(answered) == {"127.0.0.1", "127.0.0.2"}, answered
            assert 1 in _Dns.asked  # the names came from DNS

            second.shutdown()
            second.server_close()
            after = [_https(running, "GET", "/") for _ in range(10)]
            assert [status for status, _body in after] == [200] * 10
            assert {json.loads(body)["server"] for _status, body in after} == {"127.0.0.1"}
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


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
