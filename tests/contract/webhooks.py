"""Webhooks checked by the Standard Webhooks project's own Python verifier (the
`standardwebhooks` package, not our code): a local receiver is registered with
`admin webhook add`, an invoice goes through its whole lifecycle, and every message that arrives
must verify with the endpoint's secret, carry a `webhook-id` naming its event, and be exactly
the event `GET /api/events` lists; a message with a changed body must not verify. Then the
delivery lag histogram, read by the Prometheus project's OpenMetrics parser
(`prometheus_client`), must hold exactly those deliveries.

Usage: webhooks.py BINARY API_BASE TOKEN METRICS_BASE   (DATABASE_URL: the server's database; a
token of the demo company's Ann, who may do everything)
"""

import http.server
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request

from api_call import request
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

binary, api, token, metrics_base = sys.argv[1:]
received, lock = [], threading.Lock()


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            received.append((dict(self.headers.items()), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{server.server_address[1]}/hook"
secret = subprocess.run([binary, "admin", "webhook", "add", "--company", "demo", "--url", url],
                        capture_output=True, text=True, check=True, env=os.environ).stdout.strip()


def call(method, path, body=None, expect=200):
    status, _, text = request(api, method, path, token, body)
    assert status == expect, f"{method} {path}: {status} {text}"
    return json.loads(text) if text else None


created = call("POST", "/api/invoices", {"project_id": 1, "value": 10, "issue_date": "2026-11-25"},
               expect=201)
invoice = f"/api/invoices/{created['id']}"
call("PATCH", invoice, {"notes": "webhooks"})
call("POST", f"{invoice}:send")
call("POST", f"{invoice}:set-paid", {"payment_date": "2026-11-30"})
call("POST", f"{invoice}:set-unpaid")
call("DELETE", invoice, expect=204)

deadline = time.time() + 30
while time.time() < deadline and len(received) < 6:
    time.sleep(0.2)
listed = call("GET", f"/api/events?invoice_id={created['id']}")
assert len(listed) == 6, listed
verifier = Webhook(secret)
with lock:
    messages = list(received)
assert len(messages) == 6, f"{len(messages)} messages arrived"
events = []
for headers, body in messages:
    event = verifier.verify(body, headers)
    assert headers["webhook-id"] == f"evt_{event['id']}", headers
    events.append(event)
    try:
        verifier.verify(body + b" ", headers)
        sys.exit("a changed body verified")
    except WebhookVerificationError:
        pass
events.sort(key=lambda e: e["id"])
assert events == listed, (events, listed)
print(f"webhooks: {len(events)} messages ({', '.join(e['type'] for e in events)}) "
      "verified by the standardwebhooks package")


def lag_histogram():
    """The delivery lag family's samples, from one scrape parsed as OpenMetrics."""
    with urllib.request.urlopen(metrics_base + "/metrics") as response:
        text = response.read().decode()
    families = {f.name: f for f in openmetrics(text)}
    family = families["invoices_webhook_delivery_lag_seconds"]
    assert family.type == "histogram", family.type
    return family.samples


# Each delivery is counted once its 2xx arrived, a moment after the receiver saw it.
deadline = time.time() + 10
while True:
    samples = lag_histogram()
    count = next(s.value for s in samples if s.name.endswith("_count"))
    if count >= len(events) or time.time() > deadline:
        break
    time.sleep(0.1)
assert count == len(events), f"{count} deliveries counted, {len(events)} made"
buckets = [(s.labels["le"], s.value) for s in samples if s.name.endswith("_bucket")]
values = [value for _, value in buckets]
assert values == sorted(values), buckets
assert buckets[-1] == ("+Inf", count), buckets
total = next(s.value for s in samples if s.name.endswith("_sum"))
assert total > 0, total
print(f"webhooks: the lag histogram counts {int(count)} deliveries, {total:.3f} s in all, "
      "read by prometheus_client")
