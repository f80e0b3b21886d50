"""The metrics listener read by the Prometheus project's own parsers (the `prometheus_client`
package): known traffic against the live server, then the counts per operation and status,
read from a scrape before and after, must be exactly that traffic. The scrape is parsed both
as OpenMetrics (strict: any deviation from the format is an error) and as the classic text
format.

Usage: metrics.py API_BASE METRICS_BASE TOKEN   (a token of the demo company)
"""

import sys
import urllib.request

from api_call import request

from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics
from prometheus_client.parser import text_string_to_metric_families as classic

api, metrics_base, token = sys.argv[1:]


def call(method, path, body=None, authorized=True):
    status, _, _ = request(api, method, path, token if authorized else None, body)
    return status


def scrape():
    """Requests answered, by (operation, status), and the families' types, from one scrape."""
    with urllib.request.urlopen(metrics_base + "/metrics") as response:
        content_type = response.headers["Content-Type"]
        text = response.read().decode()
    assert content_type.startswith("application/openmetrics-text"), content_type
    counts, types = {}, {}
    for family in openmetrics(text):
        types[family.name] = family.type
        for sample in family.samples:
            if sample.name == "invoices_http_requests_total":
                key = (sample.labels["operation"], int(sample.labels["status"]))
                counts[key] = sample.value
    classic_counts = {}
    for family in classic(text):
        for sample in family.samples:
            if sample.name == "invoices_http_requests_total":
                key = (sample.labels["operation"], int(sample.labels["status"]))
                classic_counts[key] = sample.value
    assert classic_counts == counts, (classic_counts, counts)
    return counts, types


before, _ = scrape()
traffic = [
    (("GET", "/api/invoices"), 200),
    (("GET", "/api/invoices"), 200),
    (("POST", "/api/invoices", {"project_id": 1, "value": 10, "issue_date": "2026-11-25"}), 201),
    (("POST", "/api/invoices", {"project_id": "one"}), 400),
    (("GET", "/api/invoices/999999"), 404),
    (("GET", "/api/projects"), 200),
]
expected = {}
for args, status in traffic:
    got = call(*args)
    assert got == status, (args, got)
    operation = {
        ("GET", "/api/invoices"): "list_invoices",
        ("POST", "/api/invoices"): "create_invoice",
        ("GET", "/api/invoices/999999"): "get_invoice",
        ("GET", "/api/projects"): "list_projects",
    }[args[:2]]
    expected[(operation, status)] = expected.get((operation, status), 0) + 1
assert call("GET", "/api/invoices", authorized=False) == 401
expected[("list_invoices", 401)] = 1

after, types = scrape()
delta = {key: after.get(key, 0) - before.get(key, 0) for key in set(after) | set(before)}
delta = {key: value for key, value in delta.items() if value}
assert delta == expected, (delta, expected)
for name, kind in [
    ("invoices_http_requests", "counter"),
    ("invoices_http_request_duration_seconds", "histogram"),
    ("invoices_http_requests_in_flight", "gauge"),
    ("invoices_rate_limited_requests", "counter"),
    ("invoices_db_pool_in_use_connections", "gauge"),
]:
    assert types.get(name) == kind, (name, types.get(name))
print(f"metrics: {sum(expected.values())} requests counted by operation and status, as sent")
