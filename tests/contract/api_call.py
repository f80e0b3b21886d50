"""One call to the API as a client of the original API sends it, for the contract scripts."""

import json
import urllib.error
import urllib.request


def request(base, method, path, token=None, body=None, headers=None):
    """Sends the call with the demo company's headers (and the bearer token, when given);
    returns the status, the response headers and the body's text."""
    call = urllib.request.Request(base + path, method=method)
    if token is not None:
        call.add_header("Authorization", f"Bearer {token}")
    call.add_header("Wethod-Company", "demo")
    call.add_header("Wethod-Version", "2024-06-15")
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        call.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        call.add_header(name, value)
    try:
        with urllib.request.urlopen(call, data=data) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()
