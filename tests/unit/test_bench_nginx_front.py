"""bench.nginx_front: the production nginx site in front of a stand-in console, over TLS."""
from __future__ import annotations

import http.server
import threading

import pytest
import requests

from bench import nginx_front
from bench.support import free_port


class _Healthz(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        body = f"{self.path} via {self.headers.get('X-Forwarded-Proto')}".encode()
        self.send_response(200 if self.path == "/healthz" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def console_port():
    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _Healthz)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield port
    server.shutdown()
    server.server_close()


def test_the_front_serves_the_console_over_tls_from_the_clients_address(tmp_path, console_port):
    front, process = nginx_front.start_front(tmp_path, [console_port])
    try:
        answer = nginx_front.session(front, "127.0.0.91").get(front.base_url + "/healthz",
                                                              timeout=5)
        assert (answer.status_code, answer.text) == (200, "/healthz via https")
        with nginx_front.tls_socket(front, "127.0.0.92") as connection:
            assert connection.getsockname()[0] == "127.0.0.92"
            assert connection.version() in ("TLSv1.2", "TLSv1.3")
        log = (tmp_path / "nginx" / "access.log").read_text()
        assert f"\n127.0.0.91 [" in log and f"upstream=127.0.0.1:{console_port}" in log
        with pytest.raises(requests.exceptions.SSLError):  # only its own certificate
            requests.get(front.base_url + "/healthz", timeout=5)
    finally:
        process.terminate()
        process.wait(timeout=10)
