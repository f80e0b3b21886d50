"""The Python client openapi-generator generates from openapi.yaml, against the live server:
a typed 201, a typed 400 and a typed 412; a contact read, and an invoice sent to it; a budget and a
budget area read. (This client checks bodies against the schema
before sending, so the 400 is one only the server can tell: a duplicate invoice number.)

Usage: openapi_generator_python.py BASE_URL TOKEN   (the generated package must be importable)
"""

import datetime
import sys
import uuid

from og_invoices import (
    ApiClient,
    BudgetAreasApi,
    BudgetsApi,
    Configuration,
    InvoiceContactsApi,
    InvoicesApi,
)
from og_invoices.exceptions import ApiException
from og_invoices.models import (
    ApiVersion,
    Budget,
    BudgetArea,
    CreateInvoiceRequest,
    Error,
    ErrorKey,
    Invoice,
    InvoiceContact,
    SendInvoiceRequest,
    Status,
)

base_url, token = sys.argv[1], sys.argv[2]
api_client = ApiClient(Configuration(host=base_url, access_token=token))
api = InvoicesApi(api_client)
contacts_api = InvoiceContactsApi(api_client)
version = ApiVersion("2024-06-15")
number = f"OG-{uuid.uuid4().hex[:12]}"


def create(**fields):
    body = CreateInvoiceRequest(issue_date=datetime.date(2026, 11, 25), **fields)
    return api.create_invoice_with_http_info("demo", version, body)


created = create(project_id=1, value=1250.5, invoice_number=number)
assert created.status_code == 201, created
assert isinstance(created.data, Invoice) and created.data.invoice_number == number, created.data


def refused(expected_status, expected_type, **fields):
    try:
        create(**fields)
    except ApiException as error:
        assert error.status == expected_status, error
        assert isinstance(error.data, expected_type), (type(error.data), error.body)
        return error.data
    raise AssertionError(f"expected {expected_status}")


duplicate = refused(400, Error, project_id=1, value=10, invoice_number=number)
assert duplicate.key == ErrorKey.INVALID_DATA, duplicate
# `field` is a Python keyword-ish name the generator renames to `var_field`.
assert [f.var_field for f in duplicate.failures] == ["invoice_number"], duplicate
archived = refused(412, Error, project_id=2, value=10)
assert archived.key == ErrorKey.PRECONDITION_FAILURE, archived

contacts = contacts_api.list_invoice_contacts_with_http_info("demo", version)
assert contacts.status_code == 200 and contacts.data, contacts
contact = contacts_api.get_invoice_contact("demo", version, contacts.data[0].id)
assert isinstance(contact, InvoiceContact) and contact.email == contacts.data[0].email, contact
sent = api.send_invoice(
    "demo",
    version,
    created.data.id,
    send_invoice_request=SendInvoiceRequest(invoice_contact_id=contact.id),
)
assert isinstance(sent, Invoice) and sent.status == Status.SENT, sent
budgets_api, areas_api = BudgetsApi(api_client), BudgetAreasApi(api_client)
budgets = budgets_api.list_budgets("demo", version)
assert budgets, budgets
budget = budgets_api.get_budget("demo", version, budgets[0].id)
assert isinstance(budget, Budget) and budget.version == 1 and budget.currency == "EUR", budget
areas = areas_api.list_budget_areas("demo", version, budget_id=budget.id)
assert areas and all(a.budget_id == budget.id for a in areas), areas
area = areas_api.get_budget_area("demo", version, areas[0].id)
assert isinstance(area, BudgetArea) and area.uid == areas[0].uid, area
print(
    f"openapi-generator (python): typed 201 (invoice {created.data.id}), typed 400, typed 412, "
    f"contact {contact.id} read, sent to it; budget {budget.id} and its area {area.id} read"
)
