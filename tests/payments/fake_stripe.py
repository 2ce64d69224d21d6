"""A small, strict fake of Stripe's HTTP API, for tests that drive it with the official library.

A ``ThreadingHTTPServer`` (``FakeStripe.base_url``) answers ``POST /v1/checkout/sessions``,
``GET /v1/checkout/sessions/{id}``, ``POST /v1/checkout/sessions/{id}/expire``, ``GET
/v1/payment_intents/{id}``, ``GET /v1/charges/{id}``, ``POST /v1/refunds``, ``GET
/v1/refunds/{id}``, ``GET /v1/refunds?payment_intent=...``, and a browser Checkout page
``/pay/{session_id}`` whose "Pay" completes the session and whose "Cancel" goes back.

Enforced as Stripe would: a ``Bearer sk_...`` key (401, live keys refused); no unknown
parameters; ``mode=payment``; line items of ``price_data`` (currency, integer ``unit_amount``
> 0, ``product_data[name]``) and integer ``quantity`` >= 1, one currency, Stripe's minimum
total; metadata limits; http(s) ``success_url`` and ``cancel_url`` (required here);
``expires_at`` 30 min .. 24 h after the fake's clock, with no slack; only open sessions expire
or get paid (they expire by themselves at ``expires_at``); refunds of at most the unrefunded
amount of a succeeded payment; 404 ``resource_missing`` for unknown ids; ``expand`` of
expandable fields only. A repeated ``Idempotency-Key`` replays the first successful answer
(errors are not saved); reused with other parameters it is an ``idempotency_error``. No
webhooks are sent: build them with ``FakeStripe.event`` and sign them with ``signed``.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import hmac
import html
import json
import re
import secrets
import socket
import struct
import threading
import time
from collections import namedtuple
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
import stripe

EXPANDABLE = {"payment_intent": "payment_intent", "latest_charge": "charge", "charge": "charge"}
MIN_AMOUNT = {"usd": 50, "eur": 50, "gbp": 30, "chf": 50}
SESSION_PARAMS = {"mode", "line_items", "metadata", "client_reference_id", "customer_email"}
SESSION_PARAMS |= {"success_url", "cancel_url", "expires_at", "payment_intent_data", "locale"}
PRODUCT_PARAMS = {"name", "description"}
REFUND_REASONS = (None, "duplicate", "fraudulent", "requested_by_customer")
DECLINED = {"type": "card_error", "code": "card_declined", "message": "Your card was declined."}

Request = namedtuple("Request", "method path params idempotency_key")


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def signed(event: dict, secret: str, timestamp: int | None = None) -> tuple[bytes, str]:
    """The payload bytes of a webhook event and its ``Stripe-Signature`` header."""
    payload = json.dumps(event).encode()
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return payload, f"t={t},v1={mac}"


class ApiError(Exception):
    def __init__(self, status, message, param=None, type="invalid_request_error", code=None):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": type, "message": message, "param": param, "code": code}}


def unflatten(pairs: list[tuple[str, str]]) -> dict:
    """``a[b][0][c]=v`` pairs into nested dicts; dicts with only digit keys become lists."""
    root: dict = {}
    for key, value in pairs:
        head, _, rest = key.partition("[")
        *path, last = [head, *re.findall(r"\[([^\]]*)\]", "[" + rest)] if rest else [head]
        node = root
        for part in path:
            node = node.setdefault(part or str(len(node)), {})
            if not isinstance(node, dict):
                raise ApiError(400, f"Invalid parameter: {key}", key)
        node[last or str(len(node))] = value  # "expand[]" appends

    def listify(node):
        if not isinstance(node, dict):
            return node
        node = {k: listify(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
        return node

    return listify(root)


def allow(params, allowed: set[str], at: str = "") -> dict:
    """``params`` if it is an object of only ``allowed`` keys (``at``: its name)."""
    if not isinstance(params, dict):
        raise ApiError(400, f"Invalid object: {at}", at or None)
    for key in params:
        if key not in allowed:
            name = f"{at}[{key}]" if at else key
            known = ", ".join(sorted(allowed)) or "nothing"
            raise ApiError(400, f"Received unknown parameter: {name} (fake knows {known})", name)
    return params


def required(params: dict, key: str, at: str = ""):
    param = f"{at}[{key}]" if at else key
    if params.get(key) in (None, ""):
        raise ApiError(400, f"Missing required param: {param}.", param)
    return params[key]


def integer(params: dict, key: str, at: str = "", minimum: int | None = None) -> int | None:
    param = f"{at}[{key}]" if at else key
    if key not in params:
        return None
    if not isinstance(params[key], str) or not re.fullmatch(r"-?\d+", params[key]):
        raise ApiError(400, f"Invalid integer: {params[key]}", param)
    if minimum is not None and int(params[key]) < minimum:
        raise ApiError(400, f"{param} must be greater than or equal to {minimum}.", param)
    return int(params[key])


def metadata(params: dict, param: str = "metadata") -> dict:
    value = params.get("metadata") or {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ApiError(400, f"Invalid object: {param}", param)
    if len(value) > 50 or any(len(k) > 40 or len(v) > 500 for k, v in value.items()):
        raise ApiError(400, "Metadata has at most 50 keys, of 40 and values of 500 chars.", param)
    return {k: v for k, v in value.items() if v}


def http_url(params: dict, key: str) -> str:
    url = urlsplit(required(params, key))
    if url.scheme not in ("http", "https") or not url.netloc:
        raise ApiError(400, f"Not a valid URL: {params[key]}", key)
    return params[key]


class FakeStripe:
    """The fake's state is in plain dicts (``sessions``, ``payment_intents``, ``charges``,
    ``refunds``, by id); ``requests`` logs every API request that reached it."""

    def __init__(self) -> None:
        self.sessions: dict[str, dict] = {}
        self.payment_intents: dict[str, dict] = {}
        self.charges: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.requests: list[Request] = []
        self.clock = None  # "now" in seconds: None (the real time), a number or a callable
        self.down: bool | str = False  # True: API answers 500; "refuse": connections closed
        self.delay_seconds = 0.0  # waited before handling an API request (still handled)
        self.base_url = ""
        self._replies: dict[str, tuple[tuple, dict]] = {}  # by idempotency key
        self._items: dict[str, tuple[list, dict]] = {}  # session: names, PaymentIntent metadata
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._routes = [
            ("POST", r"/v1/checkout/sessions", self._create_session),
            ("GET", r"/v1/checkout/sessions/([^/]+)", self._getter("checkout.session")),
            ("POST", r"/v1/checkout/sessions/([^/]+)/expire", self._expire_session),
            ("GET", r"/v1/payment_intents/([^/]+)", self._getter("payment_intent")),
            ("GET", r"/v1/charges/([^/]+)", self._getter("charge")),
            ("POST", r"/v1/refunds", self._create_refund),
            ("GET", r"/v1/refunds", self._list_refunds),
            ("GET", r"/v1/refunds/([^/]+)", self._getter("refund")),
        ]

    def start(self) -> FakeStripe:
        self._stopping.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.fake = self  # type: ignore[attr-defined]
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeStripe:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def now(self) -> float:
        clock = self.clock
        return time.time() if clock is None else float(clock() if callable(clock) else clock)

    # --- test-side helpers (Python, not HTTP) ----------------------------------------------

    def complete(self, session_id: str) -> dict:
        """Pay an open session: a succeeded PaymentIntent with a charge. The session."""
        with self._lock:
            session = self._open(session_id)
            intent = self._intent(session, "succeeded", last_payment_error=None)
            amount = intent["amount"]
            charge = self._new("ch", "charge", amount=amount, amount_captured=amount)
            charge.update(amount_refunded=0, refunded=False, captured=True, paid=True)
            charge.update(status="succeeded", currency=intent["currency"])
            charge.update(payment_intent=intent["id"], metadata=dict(intent["metadata"]))
            intent.update(amount_received=amount, latest_charge=charge["id"])
            session.update(status="complete", payment_status="paid", url=None)
            return copy.deepcopy(session)

    def fail_payment(self, session_id: str) -> dict:
        """A declined card on an open session, which stays open. The PaymentIntent."""
        with self._lock:
            session = self._open(session_id)
            intent = self._intent(session, "requires_payment_method", last_payment_error=DECLINED)
            return copy.deepcopy(intent)

    def expire(self, session_id: str) -> dict:
        """Expire an open session (as Stripe does at its expires_at). The session."""
        with self._lock:
            self._open(session_id).update(status="expired", url=None)
            return copy.deepcopy(self.sessions[session_id])

    def event(self, type: str, obj: dict) -> dict:
        """A webhook event about (a copy of) ``obj``."""
        event = {"id": new_id("evt"), "object": "event", "type": type, "created": int(self.now())}
        event.update(api_version=stripe.api_version, livemode=False)
        return {**event, "data": {"object": copy.deepcopy(obj)}}

    def _new(self, prefix: str, kind: str, **fields) -> dict:
        obj = {"id": new_id(prefix), "object": kind, **fields}
        obj.update(created=int(self.now()), livemode=False)
        self._store(kind)[obj["id"]] = obj
        return obj

    def _open(self, session_id: str) -> dict:
        session = self._tick(self.sessions[session_id])
        if session["status"] != "open":
            raise ValueError(f"session {session_id} is {session['status']}, not open")
        return session

    def _tick(self, session: dict) -> dict:
        if session["status"] == "open" and self.now() >= session["expires_at"]:
            session.update(status="expired", url=None)
        return session

    def _intent(self, session: dict, status: str, **fields) -> dict:
        intent = self.payment_intents.get(session["payment_intent"] or "")
        if intent is None:
            amount, currency = session["amount_total"], session["currency"]
            intent = self._new("pi", "payment_intent", amount=amount, currency=currency)
            intent.update(amount_received=0, latest_charge=None, last_payment_error=None)
            intent["metadata"] = dict(self._items[session["id"]][1])
            session["payment_intent"] = intent["id"]
        intent.update(status=status, **fields)
        return intent

    # --- the API -------------------------------------------------------------------------

    def _api(self, method: str, path: str, params: dict, headers) -> tuple[int, dict, dict]:
        key = headers.get("Idempotency-Key") if method == "POST" else None
        self.requests.append(Request(method, path, params, key))
        if self.delay_seconds and self._stopping.wait(self.delay_seconds):
            raise ConnectionAbortedError("the fake stopped")
        if self.down:
            raise ApiError(500, "The fake Stripe is down.", type="api_error")
        api_key = headers.get("Authorization", "").removeprefix("Bearer ")
        if not api_key.startswith("sk_") or api_key.startswith("sk_live_"):
            message = f"Invalid API Key provided: {api_key[:8]!r} (the fake takes sk_test_...)"
            raise ApiError(401, message, type="authentication_error")
        with self._lock:
            if key in self._replies:
                first, body = self._replies[key]
                if first != (method, path, params):
                    message = "Keys for idempotent requests can only be used with the same "
                    message += f"parameters they were first used with (key {key!r})."
                    raise ApiError(400, message, type="idempotency_error")
                return 200, copy.deepcopy(body), {"Idempotent-Replayed": "true"}
            for route_method, pattern, handler in self._routes:
                if route_method == method and (match := re.fullmatch(pattern, path)):
                    args = copy.deepcopy(params)
                    expand = args.pop("expand", [])
                    body = self._expand(copy.deepcopy(handler(args, *match.groups())), expand)
                    if key:
                        self._replies[key] = ((method, path, params), body)
                    return 200, copy.deepcopy(body), {}
        raise ApiError(404, f"Unrecognized request URL ({method}: {path}).")

    def _expand(self, obj: dict, paths) -> dict:
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise ApiError(400, "Invalid array: expand", "expand")
        for path in paths:
            node = obj
            for field in path.split("."):
                if field not in EXPANDABLE or not isinstance(node, dict) or field not in node:
                    raise ApiError(400, f"This property cannot be expanded ({path}).", "expand")
                if isinstance(node[field], str):
                    node[field] = copy.deepcopy(self._find(EXPANDABLE[field], node[field]))
                node = node[field]
        return obj

    def _find(self, kind: str, object_id: str, param: str = "id") -> dict:
        obj = self._store(kind).get(object_id)
        if obj is None:
            status = 404 if param == "id" else 400
            raise ApiError(status, f"No such {kind}: '{object_id}'", param, code="resource_missing")
        return self._tick(obj) if kind == "checkout.session" else obj

    def _store(self, kind: str) -> dict:
        return getattr(self, kind.split(".")[-1] + "s")  # sessions, payment_intents, ...

    def _getter(self, kind: str):
        def get(params: dict, object_id: str) -> dict:
            allow(params, set())
            return self._find(kind, object_id)

        return get

    def _create_session(self, p: dict) -> dict:
        allow(p, SESSION_PARAMS)
        intent_data = allow(p.get("payment_intent_data") or {}, {"metadata"}, "payment_intent_data")
        meta, intent_meta = metadata(p), metadata(intent_data, "payment_intent_data[metadata]")
        if required(p, "mode") != "payment":
            raise ApiError(400, "The fake supports only mode=payment.", "mode")
        items = required(p, "line_items")
        if not isinstance(items, list) or not 1 <= len(items) <= 100:
            raise ApiError(400, "Invalid array: line_items", "line_items")
        total, currencies, names = 0, set(), []
        for i, item in enumerate(items):
            at = f"line_items[{i}]"
            allow(item, {"price_data", "quantity"}, at)
            at_price, at_product = f"{at}[price_data]", f"{at}[price_data][product_data]"
            price = required(item, "price_data", at)
            allow(price, {"currency", "unit_amount", "product_data"}, at_price)
            product = allow(required(price, "product_data", at_price), PRODUCT_PARAMS, at_product)
            names.append(required(product, "name", at_product))
            currency = required(price, "currency", at_price).lower()
            if not re.fullmatch(r"[a-z]{3}", currency):
                raise ApiError(400, f"Invalid currency: {currency}", f"{at_price}[currency]")
            required(price, "unit_amount", at_price) and required(item, "quantity", at)
            unit = integer(price, "unit_amount", at_price, minimum=1)
            total += unit * integer(item, "quantity", at, minimum=1)
            currencies.add(currency)
        if len(currencies) > 1:
            raise ApiError(400, "All line items must have the same currency.", "line_items")
        currency = currencies.pop()
        if total < MIN_AMOUNT.get(currency, 1):
            raise ApiError(400, "The total amount due is below Stripe's minimum.", "line_items")
        now = self.now()
        expires_at = integer(p, "expires_at")
        if expires_at is None:
            expires_at = int(now) + 24 * 3600
        elif not now + 30 * 60 <= expires_at <= now + 24 * 3600:
            message = "expires_at must be between 30 minutes and 24 hours from now."
            raise ApiError(400, message, "expires_at")
        urls = {"success_url": http_url(p, "success_url"), "cancel_url": http_url(p, "cancel_url")}
        session = self._new("cs_test", "checkout.session", mode="payment", **urls)
        session.update(url=f"{self.base_url}/pay/{session['id']}", status="open")
        session.update(payment_status="unpaid", amount_subtotal=total, amount_total=total)
        session.update(currency=currency, metadata=meta, payment_intent=None)
        session["client_reference_id"] = p.get("client_reference_id") or None
        session["customer_email"] = p.get("customer_email") or None
        session["expires_at"] = expires_at
        self._items[session["id"]] = (names, intent_meta)
        return session

    def _expire_session(self, params: dict, session_id: str) -> dict:
        session = self._getter("checkout.session")(params, session_id)
        if session["status"] != "open":
            raise ApiError(400, f"Only open sessions can expire; this one is {session['status']}.")
        session.update(status="expired", url=None)
        return session

    def _create_refund(self, p: dict) -> dict:
        allow(p, {"payment_intent", "amount", "metadata", "reason"})
        meta = metadata(p)
        intent = self._find("payment_intent", required(p, "payment_intent"), "payment_intent")
        if intent["status"] != "succeeded":
            message = f"PaymentIntent {intent['id']} has no successful charge to refund."
            raise ApiError(400, message, "payment_intent")
        charge = self.charges[intent["latest_charge"]]
        remaining = charge["amount"] - charge["amount_refunded"]
        if remaining == 0:
            message = f"Charge {charge['id']} has already been refunded."
            raise ApiError(400, message, code="charge_already_refunded")
        amount = integer(p, "amount", minimum=1)
        amount = remaining if amount is None else amount
        if amount > remaining:
            message = f"Refund amount ({amount}) is greater than unrefunded amount ({remaining})."
            raise ApiError(400, message, "amount")
        if p.get("reason") not in REFUND_REASONS:
            raise ApiError(400, f"Invalid reason: {p['reason']}", "reason")
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        refund = self._new("re", "refund", amount=amount, currency=charge["currency"])
        refund.update(payment_intent=intent["id"], charge=charge["id"], status="succeeded")
        refund.update(reason=p.get("reason"), metadata=meta)
        return refund

    def _list_refunds(self, p: dict) -> dict:
        allow(p, {"payment_intent", "limit"})
        limit = min(integer(p, "limit", minimum=1) or 10, 100)
        refunds = list(reversed(self.refunds.values()))  # newest first
        if "payment_intent" in p:
            intent = self._find("payment_intent", p["payment_intent"], "payment_intent")
            refunds = [r for r in refunds if r["payment_intent"] == intent["id"]]
        page = {"object": "list", "url": "/v1/refunds", "data": refunds[:limit]}
        return {**page, "has_more": len(refunds) > limit}

    # --- the Checkout page -----------------------------------------------------------------

    def _page(self, method: str, path: str) -> tuple[int, str, dict]:
        match = re.fullmatch(r"/pay/([^/]+?)(/complete|/cancel)?", path)
        with self._lock:
            session = self.sessions.get(match[1]) if match else None
            if session is None:
                return 404, "<h1>No such Checkout Session</h1>", {}
            if self._tick(session)["status"] != "open":
                return 410, f"<h1>This Checkout Session is {session['status']}</h1>", {}
            if (method == "GET") == bool(match[2]):
                return 405, "<h1>Method not allowed</h1>", {}
            if match[2] == "/complete":
                self.complete(session["id"])
                url = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
                return 303, "", {"Location": url}
            if match[2] == "/cancel":
                return 303, "", {"Location": session["cancel_url"]}
            amount = f"{session['amount_total'] / 100:.2f} {session['currency'].upper()}"
            names = self._items[session["id"]][0]
            items = "".join(f"<li>{html.escape(name)}</li>" for name in names)
        action = f"/pay/{html.escape(session['id'])}"
        page = '<!doctype html><html lang="en"><meta charset="utf-8"><title>Checkout</title>'
        page += f'<main><h1>Checkout</h1><ul>{items}</ul><p class="amount">{amount}</p>'
        for name, verb in (("Pay", "complete"), ("Cancel", "cancel")):
            page += f'<form method="post" action="{action}/{verb}"><button>{name}</button></form>'
        return 200, page + "</main></html>", {}


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeStripe/1.0"

    def log_message(self, format, *args) -> None:
        pass

    def handle(self) -> None:
        if self.server.fake.down == "refuse":  # type: ignore[attr-defined]
            linger = struct.pack("ii", 1, 0)  # closed with a reset, nothing answered
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            return
        super().handle()

    def do_GET(self) -> None:
        self._serve(self.command)

    do_POST = do_GET

    def _serve(self, method: str) -> None:
        fake: FakeStripe = self.server.fake  # type: ignore[attr-defined]
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        if url.path.startswith("/pay/"):
            status, text, headers = fake._page(method, url.path)
            return self._send(status, text.encode(), "text/html; charset=utf-8", headers)
        form = self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded")
        try:
            if method == "POST" and body and not form:
                raise ApiError(400, "The fake takes application/x-www-form-urlencoded bodies.")
            params = unflatten(parse_qsl(url.query if method == "GET" else body, True))
            status, payload, headers = fake._api(method, url.path, params, self.headers)
        except ApiError as error:
            status, payload, headers = error.status, error.body, {}
        except ConnectionAbortedError:
            return
        headers["Request-Id"] = new_id("req")
        self._send(status, json.dumps(payload).encode(), "application/json", headers)

    def _send(self, status: int, data: bytes, content_type: str, headers: dict) -> None:
        with contextlib.suppress(ConnectionError):  # a client that gave up waiting
            self.send_response(status)
            headers = {"Content-Type": content_type, "Content-Length": str(len(data)), **headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)


@pytest.fixture
def fake_stripe():
    """A started FakeStripe, stopped after the test."""
    with FakeStripe() as fake:
        yield fake
