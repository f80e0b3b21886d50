// The types openapi-typescript generates from openapi.yaml, used through openapi-fetch against
// the live server: a typed 201, a typed 400 and a typed 412; a contact read, and an invoice
// sent to it; a budget and a budget area read. Type-checked by tsc first.
// Usage: node typescript_client.js BASE_URL TOKEN   (after tsc)
import createClient from "openapi-fetch";
import type { paths, components } from "./schema";

type Invoice = components["schemas"]["Invoice"];
type ApiError = components["schemas"]["Error"];
type InvoiceContact = components["schemas"]["InvoiceContact"];
type Budget = components["schemas"]["Budget"];
type BudgetArea = components["schemas"]["BudgetArea"];

const [baseUrl, token] = process.argv.slice(2);
const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
const headers = { "Wethod-Company": "demo", "Wethod-Version": "2024-06-15" } as const;

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

async function main(): Promise<void> {
  const created = await client.POST("/api/invoices", {
    params: { header: headers },
    body: { project_id: 1, value: 99.9, issue_date: "2026-11-25" },
  });
  check(created.response.status === 201, `expected 201, got ${created.response.status}`);
  const invoice: Invoice | undefined = created.data;
  check(invoice !== undefined && invoice.status === "draft", "a draft invoice");

  const invalid = await client.POST("/api/invoices", {
    params: { header: headers },
    body: { project_id: 1, value: 1.005, issue_date: "2026-11-25" },
  });
  check(invalid.response.status === 400, `expected 400, got ${invalid.response.status}`);
  const refusal: ApiError | undefined = invalid.error;
  check(refusal?.key === "invalid_data" && refusal.failures?.[0]?.field === "value", "a failure on value");

  const archived = await client.POST("/api/invoices", {
    params: { header: headers },
    body: { project_id: 2, value: 10, issue_date: "2026-11-25" },
  });
  check(archived.response.status === 412, `expected 412, got ${archived.response.status}`);
  const precondition: ApiError | undefined = archived.error;
  check(precondition?.key === "precondition_failure", "a precondition failure");

  const contacts = await client.GET("/api/invoice-contacts", { params: { header: headers } });
  const first: InvoiceContact | undefined = contacts.data?.[0];
  check(first !== undefined, "the demo's invoice contact is listed");
  const contact = await client.GET("/api/invoice-contacts/{id}", {
    params: { header: headers, path: { id: first.id } },
  });
  check(contact.data?.email === first.email, "the contact read is the one listed");

  const sent = await client.POST("/api/invoices/{id}:send", {
    params: { header: headers, path: { id: invoice.id } },
    body: { invoice_contact_id: first.id },
  });
  check(sent.data?.status === "sent", `expected a sent invoice, got ${sent.response.status}`);

  const budgets = await client.GET("/api/budgets", { params: { header: headers } });
  const budget: Budget | undefined = budgets.data?.[0];
  check(budget !== undefined && budget.status === "APPROVED", "the demo's budget is listed");
  const areas = await client.GET("/api/budget-areas", {
    params: { header: headers, query: { budget_id: budget.id } },
  });
  const listed: BudgetArea | undefined = areas.data?.[0];
  check(listed !== undefined && listed.budget_id === budget.id, "the budget's areas are listed");
  const area = await client.GET("/api/budget-areas/{id}", {
    params: { header: headers, path: { id: listed.id } },
  });
  check(area.data?.uid === listed.uid && area.data.type === "DEFAULT", "the area read is the one listed");
  const one = await client.GET("/api/budgets/{id}", {
    params: { header: headers, path: { id: budget.id } },
  });
  check(one.data?.version === budget.version, "the budget read is the one listed");

  console.log(
    `openapi-typescript + openapi-fetch: typed 201 (invoice ${invoice.id}), typed 400, typed 412, ` +
      `contact ${first.id} read, sent to it; budget ${budget.id} and its area ${listed.id} read`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
