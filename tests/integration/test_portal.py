"""The trial-run portal over HTTP: sign-in by token and by one-time link, the role's manual, training confirmation,
feedback with a screenshot, "my feedback", and what keeps it safe (CSRF, cookies, rate limit, uploads)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from erp_models.portal import sign_in
from erp_models.portal.models import FeedbackAttachment
from erp_models.project import delivery
from erp_models.project.loading import project_by_code
from erp_models.project.models import TrainingAttendance
from tests.integration.builders import ref
from tests.integration.test_api_project import Server, serve

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
BASE = "http://127.0.0.1:8000"


@pytest.fixture(scope="module")
def portal(new_database: Callable[[], URL], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    for server in serve(new_database, with_plan=True):
        app = server.client.app
        app.state.settings = app.state.settings.model_copy(  # type: ignore[attr-defined]
            update={"state_dir": tmp_path_factory.mktemp("state"), "upload_dir": None})
        yield server


def _session(server: Server) -> Session:
    return Session(create_engine(server.url))


def invite(server: Server, username: str, role: str) -> str:
    with _session(server) as s:
        made = sign_in.invite(s, username=username, role=role, actor="tests")
        s.commit()
    return made.token


def browser(server: Server) -> TestClient:
    """A client of its own (its own cookie jar), like a second browser, on the same app."""
    return TestClient(server.client.app, base_url=BASE, raise_server_exceptions=False)


def signed_in(server: Server, role: str = "warehouse") -> tuple[TestClient, str]:
    """A browser signed in through a one-time link as a new user of `role`; the user's name."""
    username = ref(role)
    client = browser(server)
    token = invite(server, username, role)
    done = client.post("/portal/invite", data={"token": token}, follow_redirects=False)
    assert done.status_code == 303, done.text
    return client, username


def csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "no CSRF field on the page"
    return found.group(1)


def test_a_signed_out_visitor_is_sent_to_sign_in(portal: Server) -> None:
    response = browser(portal).get("/portal", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/portal/login")


def test_a_one_time_link_names_the_user_signs_in_once_and_sets_a_safe_cookie(portal: Server) -> None:
    username = ref("warehouse")
    token = invite(portal, username, "warehouse")
    client = browser(portal)
    shown = client.get(f"/portal/invite/{token}")
    assert shown.status_code == 200 and username in shown.text
    assert client.get(f"/portal/invite/{token}").status_code == 200, "showing the link must not use it up"
    done = client.post("/portal/invite", data={"token": token}, follow_redirects=False)
    cookie = done.headers["set-cookie"]
    assert done.status_code == 303
    for flag in ("HttpOnly", "SameSite=lax", "Path=/portal"):
        assert flag in cookie
    home = client.get("/portal")
    assert home.status_code == 200 and username in home.text
    again = browser(portal).post("/portal/invite", data={"token": token}, follow_redirects=False)
    assert again.status_code == 401
    assert browser(portal).get(f"/portal/invite/{token}").status_code == 404


def test_an_expired_link_does_not_sign_in(portal: Server) -> None:
    with _session(portal) as s:
        made = sign_in.invite(s, username=ref("sales"), role="sales", actor="tests", expires_in=timedelta(minutes=5))
        s.execute(sign_in.PortalInvite.__table__.update().values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
                  .where(sign_in.PortalInvite.username == made.username))
        s.commit()
    response = browser(portal).post("/portal/invite", data={"token": made.token}, follow_redirects=False)
    assert response.status_code == 401


def test_an_api_token_signs_in_and_a_bad_one_is_refused(portal: Server) -> None:
    token = portal.headers("purchaser")["Authorization"].removeprefix("Bearer ")
    client = browser(portal)
    done = client.post("/portal/login", data={"token": token}, follow_redirects=False)
    assert done.status_code == 303
    assert portal.usernames["purchaser"] in client.get("/portal").text
    refused = browser(portal).post("/portal/login", data={"token": "erp_deadbeef_not-a-token"},
                                   headers={"x-forwarded-for": "ignored"})
    assert refused.status_code == 401


def test_sign_in_from_another_site_is_refused(portal: Server) -> None:
    token = invite(portal, ref("warehouse"), "warehouse")
    forged = browser(portal).post("/portal/invite", data={"token": token}, headers={"origin": "https://evil.example"},
                                  follow_redirects=False)
    assert forged.status_code == 403
    assert browser(portal).post("/portal/invite", data={"token": token}, follow_redirects=False).status_code == 303


def test_repeated_failed_sign_ins_are_rate_limited(portal: Server) -> None:
    with _session(portal) as s:  # a fresh client address for this test
        s.execute(sign_in.PortalLoginFailure.__table__.delete())
        s.commit()
    client = browser(portal)
    statuses = [client.post("/portal/login", data={"token": f"erp_00000000_{n}"}).status_code
                for n in range(sign_in.MAX_FAILURES + 1)]
    assert statuses == [401] * sign_in.MAX_FAILURES + [429]
    valid = portal.headers("sales")["Authorization"].removeprefix("Bearer ")
    limited = client.post("/portal/login", data={"token": valid})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    with _session(portal) as s:
        s.execute(sign_in.PortalLoginFailure.__table__.delete())
        s.commit()


def test_the_manual_is_the_users_roles_own(portal: Server) -> None:
    for role in ("warehouse", "sales"):
        client, _ = signed_in(portal, role)
        page = client.get("/portal/manual")
        assert page.status_code == 200
        assert f"<h1>Operation manual · 操作手册: <code>{role}</code></h1>" in page.text
        assert "index.html" not in page.text, "the portal shows one role; the link to all roles would not open"


def test_users_confirm_upcoming_training_of_their_role(portal: Server) -> None:
    client, username = signed_in(portal, "warehouse")
    with _session(portal) as s:
        project = project_by_code(s, None).id
        soon = delivery.schedule_training(s, project_id=project, title="盘点培训", role="warehouse",
                                          scheduled_at=datetime.now(UTC) + timedelta(days=2), trainer="陈静",
                                          invitees=["someone-else"])
        other_role = delivery.schedule_training(s, project_id=project, title="采购培训", role="purchaser",
                                                scheduled_at=datetime.now(UTC) + timedelta(days=2), trainer="陈静",
                                                invitees=["someone-else"])
        s.commit()
        soon_id, other_id = soon.id, other_role.id
    page = client.get("/portal/training")
    assert f'id="training-{soon_id}"' in page.text and f'id="training-{other_id}"' not in page.text
    done = client.post(f"/portal/training/{soon_id}/confirm", data={"csrf": csrf(page.text)}, follow_redirects=False)
    assert done.status_code == 303
    with _session(portal) as s:
        row = s.scalars(select(TrainingAttendance).where(TrainingAttendance.training_session_id == soon_id,
                                                         TrainingAttendance.attendee == username)).one()
        assert row.confirmed_at is not None and not row.attended
    refused = client.post(f"/portal/training/{other_id}/confirm", data={"csrf": csrf(page.text)})
    assert refused.status_code == 422


def test_a_form_without_the_sessions_csrf_token_is_refused(portal: Server) -> None:
    client, _ = signed_in(portal)
    response = client.post("/portal/feedback", data={"csrf": "forged", "module": "inventory", "severity": "major",
                                                      "title": "x", "description": "y"})
    assert response.status_code == 403


def test_feedback_with_a_screenshot_is_listed_with_its_status_and_only_its_reporter_sees_the_image(
        portal: Server) -> None:
    client, username = signed_in(portal, "warehouse")
    form = client.get("/portal/feedback/new")
    sent = client.post("/portal/feedback", data={"csrf": csrf(form.text), "module": "inventory", "severity": "major",
                                                 "title": "扫码枪无法入库", "description": "扫描箱码后无反应"},
                       files={"screenshot": ("scan.png", PNG, "image/png")}, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    feedback_id = int(sent.headers["location"].rsplit("=", 1)[1])
    mine = client.get("/portal/feedback")
    assert f'id="feedback-{feedback_id}"' in mine.text and "扫码枪无法入库" in mine.text
    link = re.search(r'href="(/portal/screenshots/\d+)"', mine.text)
    assert link
    image = client.get(link.group(1))
    assert image.status_code == 200 and image.content == PNG
    assert image.headers["content-type"] == "image/png"
    assert image.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in image.headers["content-security-policy"]
    with _session(portal) as s:
        stored = s.scalars(select(FeedbackAttachment).where(FeedbackAttachment.feedback_id == feedback_id)).one()
        path = Path(portal.client.app.state.settings.uploads) / stored.stored_name  # type: ignore[attr-defined]
        assert path.read_bytes() == PNG and not path.stat().st_mode & 0o111 and stored.uploaded_by == username
        delivery.triage_feedback(s, feedback_id=feedback_id, severity=delivery.FeedbackSeverity.MAJOR,
                                 owner="王芳", by="tests")
        s.commit()
    assert "已分派" in client.get("/portal/feedback", headers={"accept-language": "zh-CN"}).text
    assert "triaged" in client.get("/portal/feedback?lang=en").text
    stranger, _ = signed_in(portal, "sales")
    assert stranger.get(link.group(1)).status_code == 403
    assert f'id="feedback-{feedback_id}"' not in stranger.get("/portal/feedback").text


@pytest.mark.parametrize(("name", "data", "why"), [
    ("evil.png", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "not a PNG"),
    ("run.sh", b"#!/bin/sh\nrm -rf /\n", "not a PNG"),
    ("huge.png", b"\x89PNG\r\n\x1a\n" + bytes(5 * 1024 * 1024), "at most 5 MiB"),
])
def test_uploads_that_are_not_small_images_are_refused_and_nothing_is_kept(portal: Server, name: str, data: bytes,
                                                                           why: str) -> None:
    client, username = signed_in(portal)
    form = client.get("/portal/feedback/new")
    refused = client.post("/portal/feedback", data={"csrf": csrf(form.text), "module": "inventory",
                                                    "severity": "minor", "title": "t", "description": "d"},
                          files={"screenshot": (name, data, "image/png")})
    assert refused.status_code == 422 and why in refused.text
    assert "扫码" not in refused.text and 'value="t"' in refused.text, "the form keeps what was typed"
    with _session(portal) as s:
        assert not delivery.list_feedback(s, submitted_by=username)


def test_sign_out_ends_the_session(portal: Server) -> None:
    client, _ = signed_in(portal)
    home = client.get("/portal")
    cookie = client.cookies.get("erpops_portal")
    assert client.post("/portal/logout", data={"csrf": csrf(home.text)}, follow_redirects=False).status_code == 303
    replay = browser(portal)
    replay.cookies.set("erpops_portal", str(cookie), path="/portal")
    assert replay.get("/portal", follow_redirects=False).status_code == 303


def test_pages_speak_chinese_with_english_alongside_or_english_alone(portal: Server) -> None:
    client = browser(portal)
    assert "登录 · Sign in" in client.get("/portal/login", headers={"accept-language": "zh-CN,zh;q=0.9"}).text
    english = client.get("/portal/login?lang=en")
    assert "Sign in" in english.text and "登录" not in english.text and english.cookies.get("erpops_lang") == "en"
    assert "登录" not in client.get("/portal/login", headers={"accept-language": "zh-CN"}).text, "the choice sticks"
    assert "登录 · Sign in" in client.get("/portal/login?lang=zh").text
