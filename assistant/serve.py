"""Start the chat UI: `policy-assistant-ui` or `python app.py [--host HOST] [--port PORT]` (defaults from settings:
127.0.0.1:7860).

Only wiring: settings → start-up checks → background index loader → Blocks app → launch. The UI
itself is assistant/chat.py; nothing here answers questions. Configuration that cannot work (bad
settings, half a login, an invalid or busy port, an unreachable Chroma server) stops here with one
line and exit code 2, before the index is touched.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import argparse  # noqa: E402
import errno  # noqa: E402
import logging  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402

from policyqa.assistant.login import LoginSettingsError, login_pair  # noqa: E402
from policyqa.core.settings import ConfigError, Settings, load_settings  # noqa: E402

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


def port_problem(host: str, port: int) -> str | None:
    """Why the UI cannot listen on host:port (invalid, unresolvable, in use), or None."""
    where = "set --port or ASSISTANT_UI_PORT"
    if not 1 <= port <= 65535:
        return f"UI port {port} is not a valid port number (1-65535); {where}"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as exc:
        return f"UI host {host!r} cannot be resolved ({exc}); set --host or ASSISTANT_UI_HOST"
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"UI port {port} on {host} is already in use (is the app already running?); {where}"
            return f"cannot listen on {host}:{port} ({exc.strerror}); {where} or --host"
    return None


def startup_problem(settings: Settings, host: str, port: int) -> str | None:
    """The first configuration problem that would stop the app from working, or None."""
    try:
        login_pair(settings.ui.username, settings.ui.password and settings.ui.password.get_secret_value())
    except LoginSettingsError as exc:
        return str(exc)
    problem = port_problem(host, port)
    if problem or settings.chroma.mode != "server":
        return problem
    from policyqa.index.store import StoreUnavailable, chroma_client

    try:
        chroma_client(settings)
    except StoreUnavailable as exc:
        return str(exc)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="政策问答助手 chat UI")
    parser.add_argument("--host", help="address to bind (default: settings ui.host, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: settings ui.port, 7860)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "bm25s", "chromadb"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    host = args.host or settings.ui.host
    port = args.port if args.port is not None else settings.ui.port
    problem = startup_problem(settings, host, port)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    return serve(settings, host, port)


def serve(settings: Settings, host: str, port: int) -> int:
    from policyqa.assistant.chat import CSS, JS, AssistantHolder, build_ui
    from policyqa.assistant.login import ClientAddressMiddleware, LoginGuard
    from starlette.middleware import Middleware

    pair = login_pair(settings.ui.username, settings.ui.password and settings.ui.password.get_secret_value())
    auth = LoginGuard(*pair) if pair else None
    warning = public_bind_warning(host, auth)
    if warning:
        log.warning(warning)
    holder = AssistantHolder(settings).start()
    app = build_ui(holder, settings)
    app.queue(default_concurrency_limit=4)
    log.info("serving on http://%s:%s", host, port)
    try:
        app.launch(
            server_name=host,
            server_port=port,
            share=False,
            auth=auth,
            css=CSS,
            js=JS,
            show_error=False,
            auth_message="请登录政策问答助手",
            app_kwargs={"middleware": [Middleware(ClientAddressMiddleware)]},
        )
    except OSError as exc:  # the port was taken between the check and the start
        print(f"error: cannot serve on {host}:{port}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
