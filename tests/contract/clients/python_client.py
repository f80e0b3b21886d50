"""The client openapi-python-client generates from openapi.yaml, against the live server:
a typed 201, a typed 400 and a typed 412; a contact read, and an invoice sent to it; a budget
and a budget area read.

Usage: python_client.py BASE_URL TOKEN   (the generated package must be importable)
"""

import datetime
import sys

from invoices_api_client import AuthenticatedClient
from invoices_api_client.api.budget_areas import get_budget_area, list_budget_areas
from invoices_api_client.api.budgets import get_budget, list_budgets
from invoices_api_client.api.invoice_contacts import get_invoice_contact, list_invoice_contacts
from invoices_api_client.api.invoices import create_invoice, send_invoice
from invoices_api_client import models

base_url, token = sys.argv[1], sys.argv[2]
client = AuthenticatedClient(base_url=base_url, token=token)


def create(**fields):
    body = models.CreateInvoiceRequest(issue_date=datetime.date(2026, 11, 25), **fields)
    return create_invoice.sync_detailed(
        client=client, body=body, wethod_company="demo", wethod_version=models.ApiVersion.VALUE_0
    )


created = create(project_id=1, value=1250.5)
assert created.status_code == 201, created
assert isinstance(created.parsed, models.Invoice), created.parsed
assert created.parsed.status == models.Status.DRAFT and created.parsed.value == 1250.5

invalid = create(project_id=1, value=1.005)
assert invalid.status_code == 400, invalid
assert isinstance(invalid.parsed, models.Error) and invalid.parsed.key == models.ErrorKey.INVALID_DATA, invalid.parsed
assert [f.field for f in invalid.parsed.failures] == ["value"], invalid.parsed

archived = create(project_id=2, value=10)
assert archived.status_code == 412, archived
assert isinstance(archived.parsed, models.Error), archived.parsed
assert archived.parsed.key == models.ErrorKey.PRECONDITION_FAILURE, archived.parsed

headers = dict(wethod_company="demo", wethod_version=models.ApiVersion.VALUE_0)
contacts = list_invoice_contacts.sync_detailed(client=client, **headers)
assert contacts.status_code == 200 and contacts.parsed, contacts
contact = get_invoice_contact.sync_detailed(contacts.parsed[0].id, client=client, **headers)
assert isinstance(contact.parsed, models.InvoiceContact), contact
assert contact.parsed.email == contacts.parsed[0].email, contact.parsed

sent = send_invoice.sync_detailed(
    created.parsed.id,
    client=client,
    body=models.SendInvoiceRequest(invoice_contact_id=contact.parsed.id),
    **headers,
)
assert isinstance(sent.parsed, models.Invoice) and sent.parsed.status == models.Status.SENT, sent

budgets = list_budgets.sync_detailed(client=client, **headers)
assert budgets.status_code == 200 and budgets.parsed, budgets
budget = get_budget.sync_detailed(budgets.parsed[0].id, client=client, **headers)
assert isinstance(budget.parsed, models.Budget), budget
assert budget.parsed.status == models.BudgetStatus.APPROVED and budget.parsed.total_days == 25.5, budget.parsed
areas = list_budget_areas.sync_detailed(client=client, budget_id=budget.parsed.id, **headers)
assert areas.status_code == 200 and areas.parsed, areas
area = get_budget_area.sync_detailed(areas.parsed[-1].id, client=client, **headers)
assert isinstance(area.parsed, models.BudgetArea), area
assert area.parsed.budget_id == budget.parsed.id, area.parsed
assert area.parsed.type_ == models.BudgetAreaType.CONTINGENCY_DISCOUNT, area.parsed

print(
    f"openapi-python-client: typed 201 (invoice {created.parsed.id}), typed 400, typed 412, "
    f"contact {contact.parsed.id} read, sent to it; budget {budget.parsed.id} and its area "
    f"{area.parsed.id} read"
)
