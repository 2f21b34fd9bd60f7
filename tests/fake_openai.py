"""A local OpenAI-compatible HTTP server for tests: real sockets, JSON and SSE, scripted per test.

Each request to /v1/chat/completions is answered by the next scripted reply (a string, or a
function of the request body returning a string); requests are recorded for assertions.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Fault:
    """A scripted failure: an HTTP status (with headers), a delay, a stream cut off after some
    chunks, or a body that is not JSON."""

    status: int | None = None
    headers: dict = field(default_factory=dict)
    sleep_s: float = 0.0
    then: str | None = None  # after the delay, answer this
    break_after: int | None = None  # stream this many chunks, then drop the connection
    text: str = "长沙城区最低工资标准为1700元/月，长浏宁三县（市）为1540元/月。"
    malformed: bool = False


Reply = str | Callable[[dict], str] | Fault


class FakeOpenAI:
    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.default: Reply = "所提供的政策文件中没有找到相关内容。"
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.rerank_keywords: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server naming)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                server.requests.append(body)
                server.headers.append(dict(self.headers))
                if self.path.endswith("/embeddings"):
                    texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                    data = [
                        {"object": "embedding", "index": i, "embedding": bigram_vector(t)}
                        for i, t in enumerate(texts)
                    ]
                    self._send(
                        {
                            "object": "list",
                            "data": data,
                            "model": body.get("model", "fake"),
                            "usage": {"prompt_tokens": 1, "total_tokens": 1},
                        }
                    )
                    return
                if self.path.endswith("/rerank"):
                    self._send(server.rerank(body))
                    return
                if not self.path.endswith("/chat/completions"):
                    self.send_error(404)
                    return
                reply = server.replies.pop(0) if server.replies else server.default
                if isinstance(reply, Fault):
                    self._fault(reply, body)
                    return
                text = reply(body) if callable(reply) else reply
                if body.get("stream"):
                    self._stream(text, body)
                else:
                    self._json(text, body)

            def _fault(self, fault: Fault, body: dict) -> None:
                if fault.sleep_s:
                    time.sleep(fault.sleep_s)
                if fault.status:
                    payload = json.dumps(
                        {"error": {"message": "scripted failure", "type": "server_error"}}
                    ).encode()
                    self.send_response(fault.status)
                    for key, value in fault.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                elif fault.malformed:
                    payload = b'{"id": "x", "choices": [ {"delta": oops'
                    self.send_response(200)
                    self.send_header(
                        "Content-Type", "text/event-stream" if body.get("stream") else "application/json"
                    )
                    self.end_headers()
                    self.wfile.write(b"data: " + payload + b"\n\n" if body.get("stream") else payload)
                    self.wfile.flush()
                    self.close_connection = True
                elif fault.break_after is not None:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.end_headers()
                    for i in range(fault.break_after):
                        chunk = {
                            "id": "c",
                            "object": "chat.completion.chunk",
                            "created": 0,
                            "model": "fake",
                            "choices": [
                                {
                                    "index": 0,
                                    "delta": {"content": fault.text[i * 5 : (i + 1) * 5]},
                                    "finish_reason": None,
                                }
                            ],
                        }
                        self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
                        self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)  # the connection drops mid-stream
                elif fault.then is not None:
                    (self._stream if body.get("stream") else self._json)(fault.then, body)

            def _send(self, obj: dict) -> None:
                payload = json.dumps(obj).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _json(self, text: str, body: dict) -> None:
                self._send(
                    {
                        "id": "chatcmpl-test",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": body.get("model", "fake"),
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": text},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    }
                )

            def _stream(self, text: str, body: dict) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                pieces = [text[i : i + 7] for i in range(0, len(text), 7)] or [""]
                for i, piece in enumerate(pieces):
                    delta = {"content": piece} if i else {"role": "assistant", "content": piece}
                    chunk = {
                        "id": "chatcmpl-test",
                        "object": "chat.completion.chunk",
                        "created": int(time.time()),
                        "model": body.get("model", "fake"),
                        "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
                    }
                    self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
                    self.wfile.flush()
                end = {
                    "id": "chatcmpl-test",
                    "object": "chat.completion.chunk",
                    "created": int(time.time()),
                    "model": body.get("model", "fake"),
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                }
                self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
                self.wfile.flush()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def rerank(self, body: dict) -> dict:
        """Cohere/Jina-style rerank: documents containing more of ``rerank_keywords`` score higher."""
        scores = [sum(k in doc for k in self.rerank_keywords) for doc in body["documents"]]
        order = sorted(range(len(scores)), key=lambda i: -scores[i])
        return {"results": [{"index": i, "relevance_score": float(scores[i])} for i in order]}

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def chat_requests(self) -> list[dict]:
        return [r for r in self.requests if "messages" in r]


def numbered_paragraphs(body: dict) -> dict[int, str]:
    """The [n] paragraphs of the answer prompt in a chat request (n → paragraph text)."""
    import re

    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    blocks = re.split(r"\n(?=\[\d+\] 《)", "\n" + user)
    out = {}
    for block in blocks:
        m = re.match(r"\[(\d+)\] 《[^\n]*\n(.*)", block.strip(), re.S)
        if m:
            out[int(m.group(1))] = m.group(2).split("\n\n")[0]
    return out


def cite(body: dict, needle: str) -> int:
    """The number of the first prompt paragraph containing the needle (fails loudly if none)."""
    for n, text in numbered_paragraphs(body).items():
        if needle in text:
            return n
    raise AssertionError(f"no prompt paragraph contains {needle!r}")


def bigram_vector(text: str, dim: int = 64) -> list[float]:
    """A deterministic, normalised bag of character bigrams: similar texts get similar vectors."""
    import hashlib
    import math

    vec = [0.0] * dim
    for a, b in zip(text, text[1:], strict=False):
        vec[int(hashlib.md5((a + b).encode()).hexdigest(), 16) % dim] += 1.0
    norm = math.sqrt(sum(v * v for v in vec)) or 1.0
    return [v / norm for v in vec]
