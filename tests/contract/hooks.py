"""schemathesis hooks for tests/contract/run.sh.

Two values must be new for every new request, which a schema can't say:
- an Idempotency-Key (a key sent again with another body is rightly a 400 on the header);
- an invoice_number (a number the company already uses is rightly a 400 on the field).
Generated requests reuse short values by chance, and the stateful phase reuses values from
earlier responses. So, right before each call of a positive (schema-valid) case, the key and
the invoice number are made unique, as a real client's would be. Negative cases are left as
they are, to be rejected, but one: the transitions `:send` and `:set-paid` accept an empty
JSON array as "no body" (README: a body may be left out, empty, `{}` or `[]`, as clients of the
original send), which the schema can't say without a union that generated clients would have to
wrap every body in. A negative case whose body is exactly `[]` is made `[[]]`, still an array
and still refused; nothing else of any request changes.
"""

import re
import uuid

import schemathesis

VALID_KEY = re.compile(r"[\x21-\x7E]{1,255}")
VALID_NUMBER = re.compile(r"[^\x00]*[^\x00\t\n\x0b\f\r ][^\x00]*")


def unique_number(number):
    suffix = "-" + uuid.uuid4().hex[:12]
    return number[: 255 - len(suffix)] + suffix


@schemathesis.hook
def before_call(ctx, case, kwargs):
    # Negative cases are left alone: they are meant to be refused anyway, and changing one
    # makes schemathesis revalidate it (and drop the headers it deliberately left out).
    if case.meta is not None and case.meta.generation.mode.is_negative:
        if case.body == [] and case.operation.path.endswith((":send", ":set-paid")):
            case.body = [[]]
        return
    if case.headers:
        for name in list(case.headers):
            value = case.headers[name]
            if name.lower() == "idempotency-key" and isinstance(value, str) \
                    and VALID_KEY.fullmatch(value):
                case.headers[name] = str(uuid.uuid4())
    body = case.body
    if isinstance(body, dict):
        number = body.get("invoice_number")
        if isinstance(number, str) and len(number) <= 255 and VALID_NUMBER.fullmatch(number):
            body["invoice_number"] = unique_number(number)
