#!/usr/bin/env python3
"""A rolling upgrade and a rollback under load: nodes of the release before (OLD) and of this
release (NEW) on one database, while clients create, list, read, patch, send, pay and read
events through whichever node is up.

Usage: tests/upgrade/mixed.py OLD_BINARY NEW_BINARY
On PostgreSQL (TEST_DATABASE_URL set, as tests/with-postgres.sh does) both nodes serve at once:
  OLD migrates and serves; NEW starts and migrates while OLD serves under load; OLD is killed
  (kill -9) and restarted on the schema NEW left (a crash or scale-up of an old node mid-upgrade);
  NEW stops (a rollback) and OLD serves alone; NEW starts again.
On SQLite (one writer: one node at a time) the same steps run one node at a time.
Every answer must be the contract's (JSON, no 5xx); every create acknowledged with a 201 must be
readable at the end through a node of each release, with the same body; the events read
through both releases must agree; every event must reach a webhook endpoint registered before
the load (the nodes of both releases deliver, at least once; the killed node's share after its
claims or holds run out). Standard library only. Prints one line per check and a
closing 'N passed, M failed' line; exits non-zero on a failure.
"""

import http.client
import http.server
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

OLD, NEW = (os.path.abspath(path) for path in sys.argv[1:3])
ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = ADMIN_URL.startswith("postgres")
WORKDIR = tempfile.mkdtemp(prefix="invoices-upgrade-")
HEADERS = {"Wethod-Version": "2024-06-15", "Content-Type": "application/json"}
RESULTS = []


def check(name, ok, detail=""):
    ok = bool(ok)
    RESULTS.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail and not ok else ''}",
          flush=True)


def database_url():
    if not ON_POSTGRES:
        return "sqlite://" + os.path.join(WORKDIR, "upgrade.db")
    name = "upgrade_" + uuid.uuid4().hex[:16]
    subprocess.run(["psql", ADMIN_URL, "-qc", f"CREATE DATABASE {name} TEMPLATE template0"],
                   check=True)
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


URL = database_url()


def cli(binary, *args):
    out = subprocess.run([binary, *args], env={**os.environ, "DATABASE_URL": URL},
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{os.path.basename(binary)} {' '.join(args)}: {out.stderr.strip()}")
    return out.stdout.strip()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, body=None, headers=None, timeout=15):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


class Node:
    def __init__(self, name, binary):
        self.name, self.binary, self.port, self.proc = name, binary, free_port(), None
        self.log = open(os.path.join(WORKDIR, f"{name}.log"), "a")

    def start(self):
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--bind", f"127.0.0.1:{self.port}"],
            env={**os.environ, "DATABASE_URL": URL}, stdout=self.log, stderr=self.log)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode} "
                                   f"(see {self.log.name})")
            try:
                if request(self.port, "GET", "/health", timeout=1)[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start")

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        self.proc.wait(timeout=60)
        self.proc = None

    def health(self):
        return json.loads(request(self.port, "GET", "/health")[2])


class Receiver:
    """A webhook endpoint on a free port: keeps the `webhook-id` of every POST, answers 200."""

    def __init__(self):
        self.ids, self.lock = set(), threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.ids.add(self.headers.get("webhook-id"))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def missing(self, events):
        with self.lock:
            return [e["id"] for e in events if f"evt_{e['id']}" not in self.ids]


class Load:
    """Clients looping over create, read, list, patch, send, set-paid and events, each call
    through a node picked from those up."""

    def __init__(self, token, project, nodes, workers=4):
        self.token, self.project, self.nodes = token, project, nodes
        self.up, self.lock, self.stop = [], threading.Lock(), threading.Event()
        self.acknowledged, self.answers, self.bad = {}, 0, []
        self.threads = [threading.Thread(target=self.loop, daemon=True) for _ in range(workers)]

    def serving(self, *nodes):
        with self.lock:
            self.up = list(nodes)

    def call(self, method, path, body=None, extra=None):
        with self.lock:
            if not self.up:
                return None
            node = random.choice(self.up)
        headers = {**HEADERS, "Authorization": f"Bearer {self.token}", **(extra or {})}
        try:
            status, headers, text = request(node.port, method, path, body, headers)
        except OSError:
            return None  # the node went away mid-call: no answer, nothing acknowledged
        with self.lock:
            self.answers += 1
        if status >= 500 or (text and "json" not in headers.get("content-type", "")):
            self.bad.append(f"{node.name} {method} {path}: {status} {text[:200]}")
        return status, headers, text

    def loop(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            body = json.dumps({"project_id": self.project, "value": 12.34,
                               "issue_date": "2026-11-25", "notes": f"load {n}"})
            reply = self.call("POST", "/api/invoices", body)
            if reply is None:
                time.sleep(0.05)
                continue
            status, headers, text = reply
            if status != 201:
                self.bad.append(f"create: {status} {text[:200]}")
                continue
            invoice = json.loads(text)
            path = f"/api/invoices/{invoice['id']}"
            with self.lock:
                self.acknowledged[invoice["id"]] = None
            self.call("GET", path)
            self.call("GET", "/api/invoices?limit=20")
            reply = self.call("PATCH", path, json.dumps({"notes": f"patched {n}"}),
                              {"If-Match": headers.get("etag", "*")})
            if reply and reply[0] == 200:
                self.call("POST", f"{path}:send", "{}", {"If-Match": reply[1].get("etag", "*")})
                if n % 2 == 0:
                    self.call("POST", f"{path}:set-paid", "{}")
            self.call("GET", "/api/events?limit=50")

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


def read_events(node):
    """Every event, following the `after` cursor: (status, events)."""
    events, after = [], 0
    while True:
        status, _, text = request(node.port, "GET", f"/api/events?limit=100&after={after}",
                                  headers={**HEADERS, "Authorization": f"Bearer {TOKEN}"})
        if status != 200:
            return status, events
        page = json.loads(text)
        events += page
        if len(page) < 100:
            return status, events
        after = page[-1]["id"]


def main():
    global TOKEN
    cli(OLD, "migrate")
    demo = cli(OLD, "demo")
    TOKEN = demo.split("Token for ")[1].split(": ", 1)[1].split()[0]
    HEADERS["Wethod-Company"] = demo.split("Demo company '")[1].split("'")[0]
    project = int(demo.split("project ")[1].split()[0])
    receiver = Receiver()
    cli(OLD, "admin", "webhook", "add", "--company", HEADERS["Wethod-Company"],
        "--url", receiver.url)
    old, new = Node("old", OLD), Node("new", NEW)
    together = ON_POSTGRES

    def step(seconds):
        time.sleep(seconds)

    with Load(TOKEN, project, [old, new]) as load:
        old.start()
        load.serving(old)
        step(2)
        if together:
            new.start()  # migrates while the old node serves under load
            load.serving(old, new)
            step(2)
            old.stop(signal.SIGKILL)
            load.serving(new)
            old.start()  # an old node restarting on the schema the new one left
            load.serving(old, new)
            step(2)
            load.serving(old)
            new.stop()  # rollback: the old release serves alone
            step(2)
            new.start()
            load.serving(old, new)
            step(2)
        else:
            load.serving()
            old.stop()
            new.start()
            load.serving(new)
            step(2)
            load.serving()
            new.stop()
            old.start()  # rollback: the old release on the schema the new one left
            load.serving(old)
            step(2)
            load.serving()
            old.stop()
            new.start()
            load.serving(new)
            step(2)
        load.serving()
    if not together:
        new.stop()
        old.start()
    check("every answer during the upgrade was the contract's (no 5xx, JSON)",
          not load.bad, "; ".join(load.bad[:5]))
    check("the load got answers from the nodes", load.answers > 100, f"{load.answers} answers")
    print(f"     {len(load.acknowledged)} creates acknowledged, {load.answers} answers",
          flush=True)

    def readings(node):
        bodies = {}
        for invoice_id in load.acknowledged:
            status, _, text = request(node.port, "GET", f"/api/invoices/{invoice_id}",
                                      headers={**HEADERS, "Authorization": f"Bearer {TOKEN}"})
            bodies[invoice_id] = (status, text)
        _, events = read_events(node)
        return bodies, events

    old_bodies, old_events = readings(old)
    if not together:
        old.stop()
        new.start()
    new_bodies, new_events = readings(new)
    lost = [i for i, (status, _) in old_bodies.items() if status != 200]
    check("every acknowledged create is readable through the old release", not lost,
          f"{len(lost)} not: {lost[:5]}")
    lost = [i for i, (status, _) in new_bodies.items() if status != 200]
    check("every acknowledged create is readable through the new release", not lost,
          f"{len(lost)} not: {lost[:5]}")
    differ = [i for i in old_bodies if old_bodies[i] != new_bodies[i]]
    check("both releases answer the same invoice bodies", not differ, f"{differ[:5]}")
    check("both releases list the same events", old_events == new_events and old_events,
          f"{len(old_events)} through old, {len(new_events)} through new")
    # A node killed mid-delivery leaves its claims (and holds) to run out: 50 s.
    deadline, missing = time.time() + 90, receiver.missing(new_events)
    while missing and time.time() < deadline:
        time.sleep(0.5)
        missing = receiver.missing(new_events)
    check("every event reached the webhook endpoint, through the nodes of both releases",
          new_events and not missing, f"{len(missing)} of {len(new_events)} missing: "
          f"{missing[:5]}")
    check("the new node reports its release", new.health().get("release") is not None,
          json.dumps(new.health()))
    for node in (old, new):
        if node.proc:
            node.stop()
    passed = sum(RESULTS)
    print(f"{passed} passed, {len(RESULTS) - passed} failed")
    sys.exit(0 if passed == len(RESULTS) else 1)


if __name__ == "__main__":
    main()
