"""The chat UI's optional login: one user name and password, with failed attempts slowed per client.

Gradio calls ``auth(username, password)`` without the request, so a small ASGI middleware records
each request's client address in a context variable that ``LoginGuard`` reads. After
``FREE_FAILURES`` wrong passwords a client must wait before the next attempt (1 s, 2 s, 4 s, … up to
``MAX_WAIT_S``); attempts during the wait are refused with HTTP 429 without checking the password.
A success clears the client's count. Counts live in memory: they reset when the app restarts.
"""

from __future__ import annotations

import contextvars
import hmac
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)
FREE_FAILURES = 3
MAX_WAIT_S = 300.0
CLIENT: contextvars.ContextVar[str] = contextvars.ContextVar("login_client", default="unknown")


class LoginSettingsError(ValueError):
    """Only one of user name and password is configured."""


def login_pair(username: str | None, password: str | None) -> tuple[str, str] | None:
    """(user, password) when both are set, None when neither is; LoginSettingsError for half a login."""
    if bool(username) != bool(password):
        given, missing = ("USERNAME", "PASSWORD") if username else ("PASSWORD", "USERNAME")
        raise LoginSettingsError(
            f"only ASSISTANT_UI_{given} is set: set ASSISTANT_UI_{missing} as well to require a login, "
            f"or unset ASSISTANT_UI_{given} (refusing to start without the login you asked for)"
        )
    return (username, password) if username and password else None


class ClientAddressMiddleware:
    """Pure ASGI middleware: makes the client address of each HTTP request visible to LoginGuard."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope.get("client"):
            token = CLIENT.set(scope["client"][0])
            try:
                await self.app(scope, receive, send)
            finally:
                CLIENT.reset(token)
            return
        await self.app(scope, receive, send)


@dataclass
class _Failures:
    count: int = 0
    blocked_until: float = 0.0


class TooManyAttempts(Exception):
    def __init__(self, wait_s: float):
        super().__init__(f"too many failed logins; try again in {wait_s:.0f} s")
        self.wait_s = wait_s


class LoginGuard:
    """The callable handed to gradio's ``auth``: checks the password, with per-client backoff."""

    def __init__(self, username: str, password: str, clock: Callable[[], float] = time.monotonic):
        self._username = username.encode("utf-8")
        self._password = password.encode("utf-8")
        self._clock = clock
        self._failures: dict[str, _Failures] = {}
        self._lock = threading.Lock()

    def check(self, client: str, username: str, password: str) -> bool:
        """True for the right pair; TooManyAttempts while the client must wait."""
        now = self._clock()
        with self._lock:
            state = self._failures.setdefault(client, _Failures())
            if now < state.blocked_until:
                raise TooManyAttempts(state.blocked_until - now)
            ok = hmac.compare_digest(username.encode("utf-8"), self._username) & hmac.compare_digest(
                password.encode("utf-8"), self._password
            )
            if ok:
                self._failures.pop(client, None)
                return True
            state.count += 1
            if state.count >= FREE_FAILURES:
                wait = min(2.0 ** (state.count - FREE_FAILURES), MAX_WAIT_S)
                state.blocked_until = now + wait
                log.warning(
                    "failed login %d from %s; next attempt allowed in %.0f s", state.count, client, wait
                )
            return False

    def __call__(self, username: str, password: str) -> bool:
        client = CLIENT.get()
        try:
            return self.check(client, username, password)
        except TooManyAttempts as exc:
            from fastapi import HTTPException

            raise HTTPException(
                status_code=429, detail=f"登录失败次数过多，请 {exc.wait_s:.0f} 秒后再试。"
            ) from None
