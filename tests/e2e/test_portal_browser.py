"""The trial-run portal in a real browser, as a warehouse clerk meets it: a one-time link from `erpops portal invite`,
the role's manual, confirming a training session, feedback with a screenshot, and "my feedback" with its status once
the PM has triaged it (`erpops feedback triage`); then a signed report link opened with no token. Screenshots of each
page land in test-output/screenshots/."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from erp_models.project import spec
from erp_models.project.loading import load_plan
from tests.e2e.api_server import running_api
from tests.e2e.browser import browser_page, requires_chromium, screenshot
from tests.e2e.cli import run_erpops
from tests.e2e.conftest import free_port

pytestmark = [pytest.mark.slow, requires_chromium]
EXAMPLE_PLAN = Path(__file__).resolve().parents[2] / "examples" / "plan.yaml"


def _erpops_json(*args: str, env: dict[str, str]) -> dict[str, object]:
    done = run_erpops(*args, "--json", env=env)
    assert done.returncode == 0, done.stderr
    parsed: dict[str, object] = json.loads(done.stdout)
    return parsed


def _load_example_plan(env: dict[str, str]) -> None:
    plan, sha = spec.load_plan(EXAMPLE_PLAN)
    engine = create_engine(env["ERPOPS_DATABASE_URL"])
    with Session(engine) as session:
        load_plan(session, plan=plan, sha256=sha)
        session.commit()
    engine.dispose()


def test_a_warehouse_clerk_uses_the_portal_from_a_one_time_link(db_env: dict[str, str]) -> None:
    port = free_port()
    db_env["ERPOPS_API_PORT"] = str(port)  # the address invites and report links are made for
    assert run_erpops("db", "upgrade", env=db_env).returncode == 0
    _load_example_plan(db_env)
    when = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0).isoformat()
    scheduled = run_erpops("training", "schedule", "--title", "退货与库存调整", "--role", "warehouse", "--at", when,
                           "--trainer", "陈静", "--invite", "张伟", env=db_env)
    assert scheduled.returncode == 0, scheduled.stderr
    invite = _erpops_json("portal", "invite", "李娜", "--role", "warehouse", env=db_env)
    link = str(invite["link"])
    assert link.startswith(f"http://127.0.0.1:{port}/portal/invite/")
    manuals = Path(db_env["ERPOPS_STATE_DIR"]) / "manual"
    assert run_erpops("manual", str(manuals), "--role", "warehouse", env=db_env).returncode == 0
    report = str(_erpops_json("reports", "link", str(manuals / "warehouse.html"), env=db_env)["link"])

    with running_api(db_env, port), browser_page(name="portal") as page:
        page.set_extra_http_headers({"Accept-Language": "zh-CN,zh;q=0.9"})
        page.goto(link)
        expect(page.get_by_text("李娜")).to_be_visible()
        screenshot(page, "portal-invite")
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("heading", name="欢迎 · Welcome, 李娜")).to_be_visible()
        screenshot(page, "portal-home")

        page.get_by_role("link", name="操作手册").first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("warehouse")
        screenshot(page, "portal-manual")

        page.get_by_role("link", name="培训").first.click()
        row = page.locator("tr", has_text="退货与库存调整")
        row.get_by_role("button", name="确认出席").click()
        expect(page.get_by_role("status")).to_have_text("已确认出席。 · Attendance confirmed.")
        expect(page.locator("tr", has_text="退货与库存调整")).to_contain_text("已确认")
        screenshot(page, "portal-training")

        shot = page.screenshot()  # a real PNG to attach
        page.get_by_role("link", name="提交反馈").first.click()
        page.get_by_label("模块").select_option("inventory")
        page.get_by_label("严重程度").select_option("major")
        page.get_by_label("标题").fill("扫码枪扫描箱码后无反应")
        page.get_by_label("描述").fill("在杭州仓收货时，扫描第二个箱码后页面没有反应。")
        page.get_by_label("截图").set_input_files({"name": "scan.png", "mimeType": "image/png", "buffer": shot})
        screenshot(page, "portal-feedback-form")
        page.get_by_role("button", name="提交").click()
        expect(page.get_by_role("status")).to_contain_text("反馈已提交")

        page.get_by_role("link", name="我的反馈").first.click()
        mine = page.locator("tr", has_text="扫码枪扫描箱码后无反应")
        expect(mine).to_contain_text("待处理")
        feedback_id = mine.locator("td").first.inner_text()
        triaged = run_erpops("feedback", "triage", feedback_id, "--severity", "major", "--owner", "王芳",
                             "--by", "王芳", env=db_env)  # the PM triages it from the command line
        assert triaged.returncode == 0, triaged.stderr
        page.reload()
        expect(mine).to_contain_text("已分派")
        expect(mine).to_contain_text("王芳")
        screenshot(page, "portal-my-feedback")
        with page.expect_navigation():
            mine.get_by_role("link", name="查看").click()
        assert page.evaluate("document.images.length") == 1
        assert page.evaluate("document.images[0].naturalWidth") > 0, "the stored screenshot is a real image"

        page.go_back()
        page.get_by_role("link", name="English", exact=True).click()
        expect(page.get_by_role("heading", name="My feedback")).to_be_visible()
        expect(page.locator("tr", has_text="扫码枪扫描箱码后无反应")).to_contain_text("triaged")
        screenshot(page, "portal-my-feedback-en")

        page.goto(report)  # a signed link: no token, no portal session needed
        expect(page.get_by_role("heading", level=1)).to_contain_text("warehouse")
        screenshot(page, "report-signed-link")

    training = json.loads(run_erpops("training", "list", "--json", env=db_env).stdout)
    assert [t["confirmed"] for t in training if t["title"] == "退货与库存调整"] == [1]
    feedback = json.loads(run_erpops("feedback", "list", "--json", env=db_env).stdout)
    mine_rows = [f for f in feedback if f["title"] == "扫码枪扫描箱码后无反应"]
    assert [(f["by"], f["role"], f["status"]) for f in mine_rows] == [("李娜", "warehouse", "triaged")]
