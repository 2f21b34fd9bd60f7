"""End to end in a real browser (Debian's Chromium driven by Playwright) against `python app.py`,
plus the same question through gradio_client. The screenshot and timings land in test-artifacts/."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from conftest import REPO
from policyqa.assistant.feedback import read_feedback
from policyqa.evals.servers import start_app

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.slow
PLANTED_KEY = "sk-planted-do-not-leak-4f2a9c"


@pytest.fixture(scope="module")
def running_app(real_index, tmp_path_factory):
    """`python app.py` on a free loopback port, over a copy of the session's index."""
    data_dir = tmp_path_factory.mktemp("app-data")
    shutil.copytree(real_index.data_dir, data_dir, dirs_exist_ok=True)
    # A key is configured (no model, so it is never used): it must never be shown anywhere.
    url, proc = start_app(data_dir, {"ASSISTANT_LLM_API_KEY": PLANTED_KEY}, log_path=data_dir / "app.log")
    yield url, data_dir
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM.exists(), (
        "Chromium is needed for this test: apt-get install chromium (bash .ci/run does it)"
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def _ask(page, question: str) -> tuple[float, float]:
    """Type and send a question; return (seconds to first streamed text, seconds to the full answer)."""
    before = page.locator("#chat .message").count()
    page.fill("#question textarea", question)
    started = time.perf_counter()
    page.click("#send")
    page.wait_for_function(
        "n => document.querySelectorAll('#chat .message').length > n && "
        "document.querySelectorAll('#chat .message')[document.querySelectorAll('#chat .message').length - 1]"
        ".innerText.trim().length > 0",
        arg=before + 1,
        timeout=60000,
    )
    first = time.perf_counter() - started
    page.wait_for_selector("#sources .src-card, #sources li", timeout=60000)
    page.wait_for_function("() => !document.querySelector('#send').disabled", timeout=60000)
    return first, time.perf_counter() - started


def test_ask_cite_reply_feedback_in_a_real_browser(running_app, browser):
    url, data_dir = running_app
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page.goto(url)
    page.wait_for_selector("#question textarea", timeout=60000)
    # The index is opened in the background after the page is served; the status line says when ready.
    page.wait_for_function(
        "() => document.querySelector('#status').innerText.includes('离线摘录模式')", timeout=60000
    )

    first, full = _ask(page, "长沙城区最低工资标准是多少？")
    chat = page.locator("#chat")
    assert chat.locator("a.cite").count() >= 1 and "1700元/月" in chat.inner_text()
    card = page.locator("#sources #src-0-1")
    assert "1700元/月" in card.inner_text() and card.locator(".src-text mark").count() == 1
    chat.locator("a.cite").first.click()
    page.wait_for_function(
        "() => document.querySelector('#src-0-1').classList.contains('flash')", timeout=5000
    )
    assert page.url.startswith(url)  # the marker scrolled the panel; it did not navigate away

    page.get_by_label("起草答复").check()
    _ask(page, "我想在长沙创业，能贷款吗？")
    page.wait_for_function(
        "() => document.querySelector('#draft textarea').value.startsWith('您好')", timeout=30000
    )
    draft = page.input_value("#draft textarea")
    assert "创业担保贷款" in draft and "[1]" not in draft

    page.fill("#comment textarea", "浏览器测试反馈")
    page.click("#thumbs-up")
    page.wait_for_function(
        "() => document.querySelector('#feedback-note').innerText.includes('谢谢')", timeout=10000
    )
    records = read_feedback(data_dir)
    assert (
        records[-1]["comment"] == "浏览器测试反馈" and records[-1]["question"] == "我想在长沙创业，能贷款吗？"
    )
    assert records[-1]["mode"] == "reply" and records[-1]["citations"]

    page.fill("#question textarea", "<img src=x onerror=\"document.title='pwned'\"> 长沙最低工资？")
    page.click("#send")
    page.wait_for_timeout(1500)
    assert page.title() != "pwned"

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui.png"), full_page=True)
    (ARTIFACTS / "ui-timings.json").write_text(
        json.dumps({"first_text_s": round(first, 3), "full_answer_s": round(full, 3)}), encoding="utf-8"
    )
    assert (ARTIFACTS / "ui.png").stat().st_size > 10_000
    page.close()


def test_gradio_client_gets_the_same_cited_answer(running_app, real_index, real_snapshot):
    from gradio_client import Client
    from policyqa.assistant.pipeline import PolicyAssistant

    url, _ = running_app
    client = Client(url, verbose=False)
    data = client.predict("长沙城区最低工资标准是多少？", "answer", "", api_name="/ask")
    direct = PolicyAssistant(real_index, real_snapshot).ask("长沙城区最低工资标准是多少？")
    assert data["answer"] == direct.text
    assert [c["id"] for c in data["citations"]] == [c.id for c in direct.citations]
    assert data["citations"][0]["doc_number"] == "长政办发〔2021〕73号"


def test_api_key_never_reaches_the_page_or_the_log(running_app):
    import httpx

    url, data_dir = running_app
    page = httpx.get(url, timeout=30).text
    config = httpx.get(f"{url}/config", timeout=30).text
    assert "政策问答助手" in page
    assert PLANTED_KEY not in page and PLANTED_KEY not in config
    assert PLANTED_KEY not in (data_dir / "app.log").read_text(encoding="utf-8")


def test_login_is_required_when_configured(real_index, tmp_path):
    import httpx
    from gradio_client import Client
    from gradio_client.exceptions import AuthenticationError

    url, proc = start_app(
        real_index.data_dir, {"ASSISTANT_UI_USERNAME": "staff", "ASSISTANT_UI_PASSWORD": "s3cret-pass"}
    )
    try:
        assert httpx.get(f"{url}/config", timeout=10).status_code == 401
        with pytest.raises(AuthenticationError, match="credentials were not provided"):
            Client(url, verbose=False)
        client = Client(url, auth=("staff", "s3cret-pass"), verbose=False)
        data = client.predict("长沙城区最低工资标准是多少？", "answer", "", api_name="/ask")
        assert "1700元/月" in data["answer"]
    finally:
        proc.terminate()
        proc.wait(timeout=20)
