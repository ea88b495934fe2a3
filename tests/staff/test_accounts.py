"""Staff accounts through the HTTP API, on SQLite and PostgreSQL: an administrator disables an account (its open
sessions stop at once), an officer changes their password (other sessions end), idle sessions are refused, and
"sign out everywhere". Each change is in the audit log."""
from __future__ import annotations

import uuid
from contextlib import ExitStack
from dataclasses import replace
from datetime import timedelta
from typing import Iterator

import httpx
import pytest
from sqlalchemy import update

from channels.app import create_app
from settings import SETTINGS
from staff.sessions import session_digest
from storage.tables import StaffSession, utcnow
from tests.conftest import postgres_schema, sqlite_url
from tests.fakes.app import RunningApp
from tests.fakes.server import free_port
from tests.staff.conftest import ADMIN, signed_in

IDLE_MINUTES = 30


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def accounts_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with ExitStack() as stack:
        url = (sqlite_url(tmp_path_factory.mktemp("accounts")) if request.param == "sqlite"
               else stack.enter_context(postgres_schema()))
        settings = replace(SETTINGS, rasa_url=f"http://127.0.0.1:{free_port()}", rasa_timeout=2, database_url=url,
                           staff_admin_user=ADMIN[0], staff_admin_password=ADMIN[1], staff_idle_minutes=IDLE_MINUTES)
        yield stack.enter_context(RunningApp(create_app(settings)))


def new_officer(app: RunningApp) -> tuple[str, str]:
    who = ("canbo." + uuid.uuid4().hex[:8], "mat-khau-" + uuid.uuid4().hex[:8])
    app.call(lambda: app.services.staff.accounts.create(*who, "officer", utcnow()))
    return who


def sign_in(app: RunningApp, who: tuple[str, str]) -> httpx.Response:
    return httpx.post(f"{app.url}/api/staff/login", json={"username": who[0], "password": who[1]})


def trail(admin: httpx.Client, username: str) -> list[tuple[str, str]]:
    return [(e["username"], e["action"]) for e in admin.get("/api/staff/audit", params={"subject": f"staff:{username}"}).json()]


@pytest.fixture
def admin(accounts_app: RunningApp) -> Iterator[httpx.Client]:
    client = signed_in(accounts_app, ADMIN)
    yield client
    client.close()


def test_a_disabled_account_cannot_sign_in_and_its_sessions_stop_at_once(accounts_app: RunningApp,
                                                                          admin: httpx.Client) -> None:
    who = new_officer(accounts_app)
    officer = signed_in(accounts_app, who)
    assert officer.get("/api/staff/me").status_code == 200
    assert officer.post(f"/api/staff/users/{ADMIN[0]}/disable").status_code == 403           # officers cannot
    assert admin.post(f"/api/staff/users/{ADMIN[0]}/disable").status_code == 409             # nor oneself
    assert admin.post("/api/staff/users/khong.co.ai/disable").status_code == 404
    assert admin.post(f"/api/staff/users/{who[0]}/disable", headers={"X-CSRF-Token": ""}).status_code == 403

    disabled = admin.post(f"/api/staff/users/{who[0]}/disable")
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert officer.get("/api/staff/me").status_code == 401                                    # at once
    refused = sign_in(accounts_app, who)
    assert refused.status_code == 403 and "khoá" in refused.json()["detail"]
    assert sign_in(accounts_app, (who[0], "sai-mat-khau")).status_code == 401                 # no hint to guessers
    listed = {a["username"]: a["disabled"] for a in admin.get("/api/staff/users").json()}
    assert listed[who[0]] is True and listed[ADMIN[0]] is False

    assert admin.post(f"/api/staff/users/{who[0]}/enable").json()["disabled"] is False
    assert sign_in(accounts_app, who).status_code == 200
    assert trail(admin, who[0]) == [(ADMIN[0], "enable_account"), (ADMIN[0], "disable_account")]
    officer.close()


def test_an_officer_changes_their_password_and_their_other_sessions_end(accounts_app: RunningApp,
                                                                        admin: httpx.Client) -> None:
    who = new_officer(accounts_app)
    here, elsewhere = signed_in(accounts_app, who), signed_in(accounts_app, who)
    change = {"old_password": who[1], "new_password": "mat-khau-moi-dai"}
    assert here.post("/api/staff/password", json=change, headers={"X-CSRF-Token": ""}).status_code == 403
    wrong = here.post("/api/staff/password", json={**change, "old_password": "khong-dung-dau"})
    assert wrong.status_code == 403 and "hiện tại" in wrong.json()["detail"]
    short = here.post("/api/staff/password", json={**change, "new_password": "ngan"})
    assert short.status_code == 422 and "ít nhất 8" in short.json()["detail"]
    assert elsewhere.get("/api/staff/me").status_code == 200                                  # nothing changed yet

    done = here.post("/api/staff/password", json=change)
    assert done.status_code == 200 and done.json() == {"sessions_ended": 1}
    assert elsewhere.get("/api/staff/me").status_code == 401
    assert here.get("/api/staff/me").json()["username"] == who[0]                             # this one stays
    assert sign_in(accounts_app, who).status_code == 401
    assert sign_in(accounts_app, (who[0], "mat-khau-moi-dai")).status_code == 200
    assert trail(admin, who[0]) == [(who[0], "change_password")]
    here.close(), elsewhere.close()


def test_a_session_left_idle_is_refused(accounts_app: RunningApp) -> None:
    who = new_officer(accounts_app)
    idle, recent = signed_in(accounts_app, who), signed_in(accounts_app, who)

    def last_seen(client: httpx.Client, minutes_ago: float) -> None:
        token = client.cookies["tthc_staff"]
        accounts_app.call(lambda: accounts_app.services.db.run(lambda s: s.execute(
            update(StaffSession).where(StaffSession.token_hash == session_digest(token))
            .values(last_seen_at=utcnow() - timedelta(minutes=minutes_ago)))))

    last_seen(idle, IDLE_MINUTES + 1)
    last_seen(recent, IDLE_MINUTES - 1)
    assert idle.get("/api/staff/me").status_code == 401
    assert idle.get("/staff/dossiers", follow_redirects=False).status_code == 303             # the page asks again
    assert recent.get("/api/staff/me").status_code == 200
    last_seen(recent, IDLE_MINUTES - 1)                                                       # a use kept it alive:
    assert recent.get("/api/staff/me").status_code == 200
    assert signed_in(accounts_app, who).get("/api/staff/me").status_code == 200              # signing in again works
    idle.close(), recent.close()


def test_sign_out_everywhere_ends_every_session_of_the_officer_only(accounts_app: RunningApp,
                                                                     admin: httpx.Client) -> None:
    who, other = new_officer(accounts_app), new_officer(accounts_app)
    here, elsewhere, colleague = (signed_in(accounts_app, w) for w in (who, who, other))
    assert here.post("/api/staff/logout-everywhere", headers={"X-CSRF-Token": ""}).status_code == 403
    done = here.post("/api/staff/logout-everywhere")
    assert done.status_code == 200 and done.json() == {"sessions_ended": 2}
    assert here.get("/api/staff/me").status_code == 401 and elsewhere.get("/api/staff/me").status_code == 401
    assert colleague.get("/api/staff/me").status_code == 200
    assert trail(admin, who[0]) == [(who[0], "sign_out_everywhere")]
    here.close(), elsewhere.close(), colleague.close()


def test_the_console_pages_for_accounts(accounts_app: RunningApp, admin: httpx.Client) -> None:
    who = new_officer(accounts_app)
    officer = signed_in(accounts_app, who)
    mine = officer.get("/staff/account").text
    assert 'id="password-form"' in mine and 'id="logout-everywhere"' in mine and "Đổi mật khẩu" in mine
    assert officer.get("/staff/users").status_code == 403
    page = admin.get("/staff/users").text
    assert f'data-disable="{who[0]}"' in page and f'data-disable="{ADMIN[0]}"' not in page
    officer.close()
