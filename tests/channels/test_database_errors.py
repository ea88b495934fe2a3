"""A constraint or value the database refuses is a bug (500 with the request id, logged by type), not "database
unavailable" (503, which says: retry later)."""
from __future__ import annotations

import httpx
import pytest
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from channels.request_id import HEADER
from tests.channels.test_request_id import Lines, fresh_id, lines  # noqa: F401  (fixture)
from tests.fakes.app import RunningApp


@pytest.mark.parametrize("error, status", [(IntegrityError, 500), (DataError, 500), (OperationalError, 503)])
def test_database_errors_are_told_apart(client: httpx.Client, gateway_app: RunningApp, lines: Lines,
                                        monkeypatch: pytest.MonkeyPatch, error: type, status: int) -> None:
    sender = gateway_app.call(gateway_app.services.web_sessions.start)

    async def refused(*_args: object) -> list:
        raise error("SELECT …", {}, ValueError("0912345678 violates a constraint"))

    monkeypatch.setattr(gateway_app.services.outbox, "stored_after", refused)
    request_id = fresh_id("dberror")
    response = client.get(f"/api/chat/{sender}/messages", headers={HEADER: request_id})
    assert response.status_code == status and response.headers[HEADER] == request_id
    assert "0912345678" not in response.text
    logged = [line for line in lines.of(request_id) if line["level"] == "ERROR"]
    assert len(logged) == 1 and "ValueError" in logged[0]["msg"] and "0912345678" not in str(logged)
    assert ("Retry-After" in response.headers) is (status == 503)
