"""Start the chat UI: `policy-assistant-ui` or `python app.py [--host HOST] [--port PORT]` (defaults from settings:
127.0.0.1:7860).

Only wiring: settings → background index loader → Blocks app → launch. The UI itself is
assistant/chat.py; nothing here answers questions.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import argparse  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402

from policyqa.assistant.chat import CSS, JS, AssistantHolder, build_ui  # noqa: E402
from policyqa.core.settings import Settings  # noqa: E402
from pydantic import ValidationError  # noqa: E402

log = logging.getLogger("app")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def public_bind_warning(host: str, auth) -> str:
    """A warning when the UI would be reachable beyond this machine without a login ("" otherwise)."""
    if host in LOOPBACK or auth is not None:
        return ""
    return (
        f"binding to {host} without a login: anyone who can reach this address can use the assistant "
        "(set ASSISTANT_UI_USERNAME and ASSISTANT_UI_PASSWORD)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="政策问答助手 chat UI")
    parser.add_argument("--host", help="address to bind (default: settings ui.host, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: settings ui.port, 7860)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "bm25s", "chromadb"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"error: invalid settings:\n{exc}", file=sys.stderr)
        return 2
    host = args.host or settings.ui.host
    port = args.port or settings.ui.port
    auth = None
    if settings.ui.username and settings.ui.password:
        auth = (settings.ui.username, settings.ui.password.get_secret_value())
    warning = public_bind_warning(host, auth)
    if warning:
        log.warning(warning)
    holder = AssistantHolder(settings).start()
    app = build_ui(holder, settings)
    app.queue(default_concurrency_limit=4)
    log.info("serving on http://%s:%s", host, port)
    app.launch(
        server_name=host,
        server_port=port,
        share=False,
        auth=auth,
        css=CSS,
        js=JS,
        show_error=False,
        auth_message="请登录政策问答助手",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
