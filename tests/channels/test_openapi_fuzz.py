"""Schemathesis against the gateway's own OpenAPI schema (GET /openapi.json): every documented operation gets a fixed
number of generated requests (valid and invalid), sent as an anonymous caller and, to the operations that need it,
again with the admin token, the Telegram webhook secret and a staff administrator's session. The app is the real one
on a port, built as the other channel tests build it (test database, fake Zalo and Telegram servers) but with Rasa
absent (nothing listens at its address), so the chat gives its polite "unavailable" reply at once instead of waiting
out a stalled Rasa.

No response may be a 5xx; each must use a status code, content type and body the schema declares; every 4xx must
be the app's error shape: JSON with a Vietnamese `detail` (plus `errors` naming the fields for validation errors);
and an anonymous caller gets 401/403 from every protected operation."""
from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings as hyp_settings
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                 status_code_conformance)

from channels.app import FRAMEWORK_ERRORS, create_app
from channels.guards import NUL_REASON
from settings import SETTINGS
from staff.web.auth import COOKIE, CSRF_HEADER
from storage.tables import utcnow
from tests.channels.conftest import ADMIN_TOKEN, TELEGRAM_SECRET, channel_settings
from tests.fakes.app import RunningApp
from tests.fakes.server import free_port

# Generated requests per operation (fuzzing phase, valid and invalid data; fewer where an operation has nothing to
# vary). Schemathesis's coverage phase adds its own fixed set of edge cases (boundary values, wrong methods, missing or
# malformed parameters and bodies). Derandomized: every run sends the same requests.
MAX_EXAMPLES = 30
STAFF_ADMIN = ("quantri.fuzz", "mat-khau-quan-tri-fuzz-1")
# Letters only Vietnamese uses (đ, ơ, ư, ă and the tone-marked vowels): an English or stack-trace reason has none.
VIETNAMESE = re.compile("[đăâêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.IGNORECASE)
# Operations a caller must be signed in (staff), hold the admin token or the channel's secret/signature for.
PROTECTED = re.compile(r"^/api/staff/(?!login$)|^/api/admin/|^/channels/")
# GET /health sums up Rasa too and answers 503 by design while Rasa is down, as it is here; checked below instead.
HEALTH = "/health"
# End the caller's session or its others (a sign-out, everywhere too; a password change): called with a throwaway one.
SESSION_ENDING = {"/api/staff/logout", "/api/staff/logout-everywhere", "/api/staff/password"}
ZALO_UNREADABLE_EVENT = "Sự kiện không hợp lệ."

# The document GET /openapi.json serves (checked below); loaded here, not from a fixture, because schemathesis's
# fixture-based loader relies on a pytest internal that pytest 9 no longer has.
OPENAPI = create_app(SETTINGS).openapi()
# Excluded: GET /api/chat/{sender_id}/events is a server-sent event stream that stays open until the client leaves,
# so a generated request would never get a complete response. Nothing else is excluded: no operation reaches an
# outside service here (Zalo and Telegram are fakes on localhost, Rasa is absent, dossiers come from the local store,
# and the conversation purge's Rasa tracker store is a file in the test folder).
schema = schemathesis.openapi.from_dict(OPENAPI).exclude(method="GET", path="/api/chat/{sender_id}/events")


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory: pytest.TempPathFactory, fake_zalo, fake_telegram) -> Iterator[RunningApp]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    settings = channel_settings(SETTINGS, fake_zalo, fake_telegram, rasa_url=f"http://127.0.0.1:{free_port()}",
                                rasa_timeout=3.0, database_url=f"sqlite:///{folder / 'gateway.db'}",
                                tracker_store_url=f"sqlite:///{folder / 'rasa_tracker.db'}", send_retries=0,
                                send_backoff_seconds=0.05, admin_token=ADMIN_TOKEN, staff_admin_user=STAFF_ADMIN[0],
                                staff_admin_password=STAFF_ADMIN[1], notify_interval_seconds=0.5)
    with RunningApp(create_app(settings)) as running:
        yield running


def test_the_fuzzed_schema_is_the_one_the_app_serves(fuzzed_app: RunningApp) -> None:
    served = httpx.get(f"{fuzzed_app.url}/openapi.json", timeout=30)
    assert served.status_code == 200 and served.json() == OPENAPI


def open_staff_session(app: RunningApp, username: str = STAFF_ADMIN[0]) -> dict[str, str]:
    member = app.call(lambda: app.services.staff.accounts.member(username))
    token, csrf = app.call(lambda: app.services.staff.sessions.open(member, utcnow()))
    return {"Cookie": f"{COOKIE}={token}", CSRF_HEADER: csrf}


def throwaway_session(app: RunningApp) -> dict[str, str]:
    """A session of a fresh officer account, for the operations that end sessions."""
    name = "fuzz." + uuid.uuid4().hex[:8]
    app.call(lambda: app.services.staff.accounts.create(name, "mat-khau-fuzz-1", "officer", utcnow()))
    return open_staff_session(app, name)


@pytest.fixture(scope="module")
def credentials(fuzzed_app: RunningApp) -> dict[str, str]:
    """A staff administrator's session, the admin API's bearer token and the Telegram webhook's secret."""
    return {**open_staff_session(fuzzed_app), "Authorization": f"Bearer {ADMIN_TOKEN}",
            "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}


def vietnamese_error_shape(ctx: Any, response: Any, case: Any) -> None:
    """Every 4xx is JSON {"detail": a Vietnamese reason} (validation errors add "errors": the fields at fault)."""
    if not 400 <= response.status_code < 500:
        return
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith("application/json"), f"{response.status_code} is not JSON: {content_type!r}"
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("detail"), str), f"not the error shape: {body!r}"
    assert VIETNAMESE.search(body["detail"]), f"the reason is not Vietnamese: {body['detail']!r}"
    assert "Traceback" not in response.content.decode("utf-8", "replace")
    if "errors" in body:
        assert isinstance(body["errors"], list) and all(isinstance(e, str) for e in body["errors"])


def unreadable(response: Any) -> bool:
    """A refusal of a request that could not be read at all, which comes before any sign-in check: a NUL in the
    address (RequestGuards), a body that is not JSON (the framework reads it before running dependencies), or a Zalo
    event that is not one (its signature covers the event's own timestamp, so the event is read first)."""
    body = response.json()
    if response.status_code == 400:
        return body["detail"] in (NUL_REASON, ZALO_UNREADABLE_EVENT, *FRAMEWORK_ERRORS.values())
    errors = body.get("errors") or []
    return response.status_code == 422 and bool(errors) and all(e.endswith("JSON decode error") for e in errors)


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          vietnamese_error_shape]


@schema.parametrize()
@hyp_settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
def test_every_operation_answers_within_its_schema_and_never_fails(case: Any, fuzzed_app: RunningApp,
                                                                   credentials: dict[str, str]) -> None:
    checks = [c for c in CHECKS if c is not not_a_server_error] if case.path == HEALTH else CHECKS
    anonymous = case.call_and_validate(base_url=fuzzed_app.url, checks=checks)
    documented_method = case.method.upper() == case.operation.method.upper()
    if case.path == HEALTH and documented_method:   # only Rasa is down: the knowledge base and database are fine
        body = anonymous.json()
        assert anonymous.status_code == 503 and body["components"]["rasa"]["ok"] is False, anonymous.text
        assert body["components"]["knowledge_base"]["ok"] and body["components"]["database"]["ok"]
    if not PROTECTED.match(case.path):
        return
    assert anonymous.status_code >= 400, (case.path, anonymous.status_code, anonymous.text)
    if documented_method and not unreadable(anonymous):
        assert anonymous.status_code in (401, 403), (case.path, anonymous.status_code, anonymous.text)
    if case.path in SESSION_ENDING:                 # would end the shared session: use a throwaway one instead
        credentials = {**credentials, **throwaway_session(fuzzed_app)}
    case.call_and_validate(base_url=fuzzed_app.url, headers=credentials, checks=checks)
