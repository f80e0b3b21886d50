#!/usr/bin/env python3
"""Process-level fault tests of the real binary: SIGTERM, kill -9 under load (invoices and the
webhooks they owe), database outage.

Usage: tests/process/faults.py BINARY
Uses SQLite in a temporary directory, or the PostgreSQL cluster of tests/with-postgres.sh when
TEST_DATABASE_URL is set (then also stops and restarts that cluster for the outage test).
Standard library only. Prints one line per check and a closing 'N passed, M failed' line.
"""

import http.client
import http.server
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid

BINARY = os.path.abspath(sys.argv[1])
ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = ADMIN_URL.startswith("postgres")
WORKDIR = tempfile.mkdtemp(prefix="invoices-faults-")
RESULTS = []


def check(name, ok, detail=""):
    RESULTS.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail and not ok else ''}", flush=True)


def fresh_database_url():
    if not ON_POSTGRES:
        return "sqlite://" + os.path.join(WORKDIR, f"{uuid.uuid4().hex}.db")
    name = "faults_" + uuid.uuid4().hex[:16]
    subprocess.run(["psql", ADMIN_URL, "-qc", f"CREATE DATABASE {name}"], check=True)
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def cli(url, *args):
    out = subprocess.run([BINARY, *args], env={**os.environ, "DATABASE_URL": url},
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


TOKENS = []


def seed(url):
    """A company, a PM with a token, and a project; returns (token, project_id)."""
    cli(url, "admin", "company", "add", "--slug", "acme", "--name", "Acme")
    cli(url, "admin", "user", "add", "--email", "pm@acme.test", "--name", "PM")
    cli(url, "admin", "member", "add", "--company", "acme", "--user", "pm@acme.test",
        "--permission", "invoices.create", "--permission", "invoices.view")
    project = cli(url, "admin", "project", "add", "--company", "acme", "--name", "Site",
                  "--job-order", "JO-1", "--pm", "pm@acme.test", "--account", "pm@acme.test")
    token = cli(url, "admin", "token", "add", "--user", "pm@acme.test", "--name", "faults")
    TOKENS.append(token)
    return token, int(project)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, url):
        self.url, self.port = url, free_port()
        self.log = open(os.path.join(WORKDIR, f"server-{self.port}.log"), "w")
        self.proc = None

    def start(self, *flags):
        # Debug logs, so the check that no token is ever logged has the most to look at.
        self.proc = subprocess.Popen(
            [BINARY, "serve", "--bind", f"127.0.0.1:{self.port}", *flags],
            env={**os.environ, "DATABASE_URL": self.url, "RUST_LOG": "debug"},
            stdout=self.log, stderr=self.log)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                status, _, _ = request(self.port, "GET", "/health", timeout=1)
                if status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")


def request(port, method, path, body=None, headers=None, timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


def create(port, token, project, **extra):
    body = json.dumps({"project_id": project, "value": 12.34, "issue_date": "2026-11-25", **extra})
    return request(port, "POST", "/api/invoices", body, {
        "Authorization": f"Bearer {token}", "Wethod-Company": "acme",
        "Wethod-Version": "2024-06-15", "Content-Type": "application/json"})


def stored_invoice_ids(url):
    if ON_POSTGRES:
        out = subprocess.run(["psql", url, "-Atc", "SELECT id FROM invoices"],
                             capture_output=True, text=True, check=True).stdout
        return {int(line) for line in out.split()}
    with sqlite3.connect(url[len("sqlite://"):]) as db:
        return {row[0] for row in db.execute("SELECT id FROM invoices")}


def sigterm_finishes_in_flight_requests_and_exits_0():
    url = fresh_database_url()
    token, project = seed(url)
    server = Server(url)
    server.start()
    body = json.dumps({"project_id": project, "value": 1, "issue_date": "2026-11-25"}).encode()
    sock = socket.create_connection(("127.0.0.1", server.port))
    head = (f"POST /api/invoices HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
            f"Wethod-Company: acme\r\nWethod-Version: 2024-06-15\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    sock.sendall(head + body[:10])  # the request is in flight: half its body is still to come
    time.sleep(0.3)
    server.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    try:
        request(server.port, "GET", "/health", timeout=2)
        refused = False
    except OSError:
        refused = True
    check("after SIGTERM, new connections are refused", refused)
    sock.sendall(body[10:])
    reply = sock.recv(65536).decode(errors="replace")
    sock.close()
    check("after SIGTERM, the in-flight request completes with 201",
          reply.startswith("HTTP/1.1 201"), reply[:200])
    try:
        code = server.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        code = None
    check("after SIGTERM, the server exits 0", code == 0, f"exit code {code}")


def kill_9_under_load_loses_no_acknowledged_invoice(workers=8, seconds=3.0):
    url = fresh_database_url()
    token, project = seed(url)
    server = Server(url)
    server.start()
    acknowledged, errors, stop = [], [], threading.Event()

    def load():
        while not stop.is_set():
            try:
                status, _, text = create(server.port, token, project)
            except OSError:
                continue  # the server died mid-request: no 201 was received
            if status == 201:
                acknowledged.append(json.loads(text)["id"])
            else:
                errors.append((status, text[:200]))

    threads = [threading.Thread(target=load) for _ in range(workers)]
    for t in threads:
        t.start()
    time.sleep(seconds)
    server.proc.kill()  # SIGKILL, mid-load
    server.proc.wait()
    stop.set()
    for t in threads:
        t.join()
    check(f"under load ({workers} clients, {seconds:.0f} s) every answer before the kill was 201",
          not errors, str(errors[:3]))
    server.start()  # restart on the same database
    stored = stored_invoice_ids(url)
    lost = [i for i in acknowledged if i not in stored]
    check(f"after kill -9 and a restart, all {len(acknowledged)} acknowledged invoices are stored",
          len(acknowledged) > 0 and not lost, f"lost {len(lost)}: {lost[:10]}")
    status, _, _ = create(server.port, token, project)
    check("after the restart, creating works again", status == 201)
    server.proc.send_signal(signal.SIGTERM)
    server.proc.wait(timeout=30)
    return len(acknowledged)


class Receiver:
    """A webhook receiver on a free port: records the events posted, answering 503 until
    `accepting` is set, then 200."""

    def __init__(self):
        self.events, self.accepting, self.lock = [], threading.Event(), threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                ok = receiver.accepting.is_set()
                if ok:
                    with receiver.lock:
                        receiver.events.append(json.loads(body))
                self.send_response(200 if ok else 503)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def created_invoice_ids(self):
        with self.lock:
            return {e["invoice_id"] for e in self.events if e["type"] == "invoice.created"}


def kill_9_with_webhooks_owed_delivers_them_after_restart(workers=4, seconds=2.0):
    url = fresh_database_url()
    token, project = seed(url)
    receiver = Receiver()
    cli(url, "admin", "webhook", "add", "--company", "acme", "--url", receiver.url)
    # Retries every 200 ms, for longer than the test runs.
    schedule = ["--webhook-retry-schedule", ",".join(["200ms"] * 20)]
    server = Server(url)
    server.start(*schedule)
    acknowledged, stop = [], threading.Event()

    def load():
        while not stop.is_set():
            try:
                status, _, text = create(server.port, token, project)
            except OSError:
                continue
            if status == 201:
                acknowledged.append(json.loads(text)["id"])

    threads = [threading.Thread(target=load) for _ in range(workers)]
    for t in threads:
        t.start()
    time.sleep(seconds)  # the receiver refuses everything meanwhile: deliveries are owed
    server.proc.kill()  # SIGKILL, mid-load and mid-delivery
    server.proc.wait()
    stop.set()
    for t in threads:
        t.join()
    receiver.accepting.set()
    server.start(*schedule)
    # A delivery claimed by the killed process is taken over when its claim runs out (50 s).
    deadline, missing = time.time() + 90, set(acknowledged)
    while time.time() < deadline and missing:
        missing = set(acknowledged) - receiver.created_invoice_ids()
        time.sleep(0.5)
    check(f"after kill -9 and a restart, the events of all {len(acknowledged)} acknowledged "
          "invoices reach the webhook", len(acknowledged) > 0 and not missing,
          f"missing {len(missing)}: {sorted(missing)[:10]}")
    server.proc.send_signal(signal.SIGTERM)
    server.proc.wait(timeout=30)
    receiver.server.shutdown()


def postgres_outage_is_a_503_and_recovers_by_itself():
    pg_ctl = [os.path.join(os.environ["PG_TEST_BINDIR"], "pg_ctl"), "-D", os.environ["PG_TEST_DATA_DIR"]]
    as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    url = fresh_database_url()
    token, project = seed(url)
    server = Server(url)
    server.start()
    status, _, _ = create(server.port, token, project)
    check("before the outage, creating works", status == 201)
    subprocess.run([*as_owner, *pg_ctl, "-m", "fast", "-w", "stop"], check=True, capture_output=True)
    try:
        status, headers, text = create(server.port, token, project)
        body = json.loads(text) if text.startswith("{") else {}
        check("with the database down, a create is a JSON 503 unavailable",
              status == 503 and body.get("key") == "unavailable", f"{status} {text[:200]}")
        status, _, text = request(server.port, "GET", "/health")
        check("with the database down, /health is a 503", status == 503, f"{status} {text[:200]}")
    finally:
        port = os.environ["PG_TEST_PORT"]
        subprocess.run([*as_owner, *pg_ctl, "-w", "-l", os.path.join(os.environ["PG_TEST_SOCKET_DIR"], "server.log"),
                        "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {os.environ['PG_TEST_SOCKET_DIR']} "
                              "-c fsync=off -c max_connections=400", "start"],
                       check=True, capture_output=True)
    deadline, status = time.time() + 30, None
    while time.time() < deadline:
        status, _, _ = create(server.port, token, project)
        if status == 201:
            break
        time.sleep(0.5)
    check("when the database is back, the API recovers by itself", status == 201, str(status))
    server.proc.send_signal(signal.SIGTERM)
    server.proc.wait(timeout=30)


def mount_small_filesystem(path, size):
    """A tmpfs of `size` at `path`; False when this machine does not allow it (not root)."""
    os.makedirs(path, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path],
                          capture_output=True).returncode == 0


def fill(path, leave_bytes):
    """Fills the file system of `path` with one file, leaving about `leave_bytes` free."""
    filler = os.path.join(path, "filler")
    with open(filler, "wb", buffering=0) as f:
        chunk = b"\0" * 65536
        try:
            while True:
                f.write(chunk)
        except OSError:
            pass
    size = os.path.getsize(filler)
    os.truncate(filler, max(0, size - leave_bytes))
    return filler


def a_full_disk_is_a_503_with_retry_after_and_writes_resume_when_room_is_made(workers=4):
    """SQLite on a small file system that fills up under creates from several clients."""
    where = os.path.join(WORKDIR, "small")
    if not mount_small_filesystem(where, "24m"):
        # CI runs as root; a developer's machine may not allow mounting.
        check("a tmpfs can be mounted for the full-disk test (needs root)",
              os.environ.get("CI") != "true")
        print("SKIP the full-disk test: mounting a tmpfs needs root", flush=True)
        return
    try:
        url = "sqlite://" + os.path.join(where, "full.db")
        token, project = seed(url)
        server, metrics_port = Server(url), free_port()
        server.start("--metrics-bind", f"127.0.0.1:{metrics_port}")
        filler = fill(where, 256 * 1024)
        acknowledged, refusals, others, lock = [], [], [], threading.Lock()

        def load():
            deadline, refused = time.time() + 20, 0
            while time.time() < deadline and refused < 20:
                status, headers, text = create(server.port, token, project, notes="n" * 2000)
                with lock:
                    if status == 201:
                        acknowledged.append(json.loads(text)["id"])
                    elif status == 503:
                        refused += 1
                        refusals.append((headers, text))
                    else:
                        others.append((status, text[:200]))

        threads = [threading.Thread(target=load) for _ in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        check("a full disk refuses creates", len(refusals) > 0,
              f"{len(acknowledged)} created, {len(others)} other answers")
        check("every refusal on a full disk is a 503, none a 500", not others, str(others[:3]))
        bodies = [json.loads(text) for _, text in refusals if text.startswith("{")]
        check("every full-disk refusal is the JSON unavailable with Retry-After",
              len(bodies) == len(refusals)
              and all(b.get("key") == "unavailable" for b in bodies)
              and all("retry-after" in {k.lower() for k in h} for h, _ in refusals),
              str(refusals[:1]))
        _, _, metrics = request(metrics_port, "GET", "/metrics")
        counted = [line for line in metrics.splitlines()
                   if line.startswith('invoices_storage_refusals_total{reason="storage_full"}')]
        check("each full-disk refusal is counted in the metrics",
              counted == [f'invoices_storage_refusals_total{{reason="storage_full"}} {len(refusals)}'],
              str(counted))
        with open(os.path.join(WORKDIR, f"server-{server.port}.log"), errors="replace") as f:
            logged = [line for line in f if "the storage cannot take requests now" in line]
        check(f"{len(refusals)} refusals are logged in a few lines, with the cause and the request id",
              1 <= len(logged) <= 4 and all("request_id=" in l and "full" in l for l in logged),
              f"{len(logged)} lines: {logged[:2]}")
        status, _, text = request(server.port, "GET", "/health")
        health = json.loads(text) if text.startswith("{") else {}
        check("with the disk full, /health says degraded with the reason",
              status == 200 and health.get("status") == "degraded"
              and health.get("reason") == "storage_full", f"{status} {text[:200]}")
        status, _, _ = request(server.port, "GET", "/api/invoices?limit=5", headers={
            "Authorization": f"Bearer {token}", "Wethod-Company": "acme",
            "Wethod-Version": "2024-06-15"})
        check("with the disk full, reads keep working", status == 200, str(status))
        os.remove(filler)
        status, _, text = create(server.port, token, project)
        check("once there is room, creates succeed again without a restart", status == 201,
              f"{status} {text[:200]}")
        if status == 201:
            acknowledged.append(json.loads(text)["id"])
        status, _, text = request(server.port, "GET", "/health")
        check("once a write succeeds again, /health is ok", status == 200
              and json.loads(text).get("status") == "ok", f"{status} {text[:200]}")
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(timeout=30)
        missing = set(acknowledged) - stored_invoice_ids(url)
        check(f"every acknowledged invoice is stored ({len(acknowledged)})", not missing,
              f"missing {sorted(missing)[:10]}")
        with sqlite3.connect(url[len("sqlite://"):]) as db:
            integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        check("after a full disk, PRAGMA integrity_check is ok", integrity == "ok", integrity)
    finally:
        subprocess.run(["umount", "-l", where], capture_output=True)


def main():
    print(f"process fault tests on {'PostgreSQL' if ON_POSTGRES else 'SQLite'}", flush=True)
    sigterm_finishes_in_flight_requests_and_exits_0()
    kill_9_under_load_loses_no_acknowledged_invoice()
    kill_9_with_webhooks_owed_delivers_them_after_restart()
    if ON_POSTGRES:
        postgres_outage_is_a_503_and_recovers_by_itself()
    else:
        a_full_disk_is_a_503_with_retry_after_and_writes_resume_when_room_is_made()
    logs = ""
    for name in os.listdir(WORKDIR):
        if name.startswith("server-"):
            with open(os.path.join(WORKDIR, name), errors="replace") as f:
                logs += f.read()
    check(f"no token appears in {len(logs)} bytes of debug server logs",
          len(logs) > 0 and not any(t in logs or t[3:] in logs for t in TOKENS))
    passed, failed = RESULTS.count(True), RESULTS.count(False)
    print(f"faults: {passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
