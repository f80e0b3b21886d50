"""The README walk-through and an invoice's whole lifecycle, sent through Prism's validating
proxy (`prism proxy openapi.yaml <server> --errors`): Prism checks every request and every
response against openapi.yaml and answers an error of its own when either breaks the spec, so
each call below also checks that the server's answer is one the spec describes.

Usage: through_prism.py PROXY_BASE ANN_TOKEN BOB_TOKEN PRISM_LOG
(Ann may do everything in the demo company; Bob may only create invoices.)
"""

import json
import sys
import uuid

from api_call import request

base, ann, bob, prism_log = sys.argv[1:]


def call(method, path, token=ann, body=None, headers=None, expect=200):
    status, answer, text = request(base, method, path, token, body, headers)
    if status != expect:
        sys.exit(f"{method} {path}: expected {expect}, got {status}: {text}")
    print(f"{method} {path} -> {status}")
    return answer, (json.loads(text) if text else None)


# The README walk-through: a 201, a 400, a 403 and a 412.
number = f"PRISM-{uuid.uuid4().hex[:12]}"  # new in a database other tests used before
new = {"project_id": 1, "value": 1250.5, "issue_date": "2026-11-25", "invoice_number": number}
headers, created = call("POST", "/api/invoices", body=new, expect=201)
invoice = f"/api/invoices/{created['id']}"
assert headers["Location"] == invoice, headers["Location"]
call("POST", "/api/invoices", body=new, expect=400)  # the number is taken
call("POST", "/api/invoices", body={**new, "project_id": 2, "invoice_number": None}, expect=412)
call("GET", "/api/invoices", token=bob, expect=403)  # Bob may not view
call("GET", "/api/invoices", token="wi_" + "0" * 64, expect=401)

# Reading, conditionally.
headers, _ = call("GET", invoice)
etag = headers["ETag"]
call("GET", invoice, headers={"If-None-Match": etag}, expect=304)
# Lists only from this walk's own invoice on: Prism checks `multipleOf` in floating point, so
# an exact value another test stored (0.29, a multiple of 0.01) can read to it as a violation.
since = created["updated_at"]
call("GET", f"/api/invoices?limit=10&order_by=updated_at&updated_at=gte:{since}")
call("GET", f"/api/invoices?project_id=1&issue_date=gte:2026-01-01&updated_at=gte:{since}")

# Changing it: a stale If-Match, then each write of the lifecycle.
call("PATCH", invoice, body={"notes": "stale"}, headers={"If-Match": '"1-999"'}, expect=412)
headers, _ = call("PATCH", invoice, body={"notes": "checked"}, headers={"If-Match": etag})
call("POST", f"{invoice}:send", headers={"If-Match": headers["ETag"]})
call("POST", f"{invoice}:set-paid", body={"payment_date": "2026-11-30"})
call("POST", f"{invoice}:set-unpaid")
call("DELETE", invoice, expect=204)
call("GET", invoice, expect=404)

# Its events, each type the lifecycle made; the filters; a caller without a view permission.
call("GET", f"/api/events?invoice_id={created['id']}")
call("GET", f"/api/events?invoice_id={created['id']}&type=invoice.sent&type=invoice.paid&limit=5")
call("GET", "/api/events", token=bob, expect=403)

# The reference lists.
for path in ["/api/projects", "/api/budget-areas?project_id=1", "/api/vat-rates", "/api/payment-terms"]:
    call("GET", path)
call("GET", "/api/projects/1")
call("GET", "/api/projects/999999", expect=404)
call("GET", "/api/invoice-contacts?updated_at=gt:2020-01-01T00:00:00Z")
call("GET", "/api/invoice-contacts/1")  # the demo's
call("GET", "/api/invoice-contacts/999999", expect=404)
call("GET", "/api/members?limit=2")

# Budgets and their areas (the demo's project 1 has budget 1); Bob holds no budget permission.
call("GET", "/api/budgets?project_id=1")
call("GET", "/api/budgets/1")
call("GET", "/api/budgets/999999", expect=404)
call("GET", "/api/budget-areas?budget_id=1&limit=5")
call("GET", "/api/budget-areas/1")
call("GET", "/api/budget-areas/999999", expect=404)
call("GET", "/api/budgets", token=bob, expect=403)
call("GET", "/api/budget-areas/1", token=bob, expect=403)

with open(prism_log, encoding="utf-8") as log:
    violations = [line for line in log if "violation" in line.lower()]
if violations:
    sys.exit("Prism reported violations:\n" + "".join(violations))
print("prism: every request and response matched openapi.yaml")
