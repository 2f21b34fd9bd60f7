"""The Gradio chat UI: a thin adapter over ``PolicyAssistant``.

``build_ui(holder, settings)`` makes the Blocks app; ``launch`` (in app.py) only serves it. The
handlers (``respond``, ``give_feedback``, …) are plain functions and generators over plain values,
so tests drive them without a browser. Everything shown is escaped here: user text and document
text are never interpreted as HTML or Markdown (a ``<script>`` or ``![](http://…)`` shows as text).
"""

from __future__ import annotations

import contextlib
import html
import logging
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from policyqa.assistant.answer import Answer
from policyqa.assistant.condense import Turn
from policyqa.assistant.feedback import append_feedback
from policyqa.assistant.pipeline import PolicyAssistant, QuestionError
from policyqa.core.profile import ui_examples
from policyqa.core.settings import Settings
from policyqa.core.text import CITATION_MARK, strip_marks

log = logging.getLogger(__name__)

MODES = [("政策查询", "answer"), ("起草答复", "reply")]
ALL_DOCS = ""
# Characters Markdown gives meaning to, written as entities so text stays text.
_MARKDOWN_SPECIALS = {c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+-!|~<>"}

CSS = """
.cite { font-weight: 600; color: #b45309; cursor: pointer; text-decoration: none; }
.src-card { border: 1px solid #d6d3d1; border-radius: 8px; padding: 10px 12px; margin-bottom: 10px; background: #fafaf9; }
.src-card.flash { outline: 3px solid #f59e0b; }
.src-head { font-weight: 600; }
.src-path { color: #57534e; font-size: 0.9em; margin: 4px 0; }
.src-text mark { background: #fde68a; }
.status-note { color: #44403c; font-size: 0.95em; }
.status-warn { color: #b91c1c; }
.rewritten { color: #78716c; font-size: 0.85em; display: block; margin-bottom: 4px; }
details.answer-sources > summary { cursor: pointer; color: #57534e; margin: 6px 0; }
"""

# Clicking a [n] marker brings source card n into view (links in chat messages would otherwise
# open a new tab). Listens in the capture phase so Gradio's own link handling never runs.
JS = """
() => {
  document.addEventListener('click', (event) => {
    const link = event.target.closest('a.cite, a[href^="#src-"]');
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const card = document.getElementById(link.getAttribute('href').slice(1));
    if (card) {
      const group = card.closest('details.answer-sources');
      if (group) group.open = true;
      card.scrollIntoView({behavior: 'smooth', block: 'center'});
      card.classList.add('flash');
      setTimeout(() => card.classList.remove('flash'), 1500);
    }
  }, true);
}
"""


def safe_text(text: str) -> str:
    """Text as inert HTML: escaped, Markdown syntax neutralised, line breaks kept."""
    escaped = "".join(_MARKDOWN_SPECIALS.get(ch, html.escape(ch, quote=True)) for ch in text)
    return escaped.replace("\n", "<br>")


def answer_html(text: str, linked: bool = True, answer_no: int = 0, rewritten: str = "") -> str:
    """An answer as safe HTML with each [n] marker a link to source card n of this answer (answers keep
    their own sources, so [1] in an older answer still opens that answer's paragraph). A follow-up shows
    how it was understood, next to its answer."""
    parts, last = [], 0
    if rewritten:
        parts.append(f'<span class="rewritten">按上下文理解为：{safe_text(rewritten)}</span>')
    for m in CITATION_MARK.finditer(text):
        parts.append(safe_text(text[last : m.start()]))
        n = m.group(1)
        parts.append(f'<a class="cite" href="#src-{answer_no}-{n}">[{n}]</a>' if linked else f"[{n}]")
        last = m.end()
    parts.append(safe_text(text[last:]))
    return "".join(parts)


def _highlighted(text: str, highlights: list[str]) -> str:
    out = safe_text(text)
    for sentence in sorted(set(highlights), key=len, reverse=True):
        piece = safe_text(sentence)
        if piece and piece in out:
            out = out.replace(piece, f"<mark>{piece}</mark>", 1)
    return out


def _source_line(c) -> str:
    """《title》（文号，date）with missing fields left out."""
    extra = "，".join(safe_text(x) for x in (c.doc_number, c.doc_date) if x)
    return f"《{safe_text(c.doc_title)}》" + (f"（{extra}）" if extra else "")


def answer_cards(answer: Answer, assistant: PolicyAssistant | None, answer_no: int = 0) -> str:
    """The cited paragraphs of one answer, each with the supporting sentence marked, in the paragraph
    and in its section's full text."""
    if answer.refused and not answer.citations:
        items = "".join(f"<li>{safe_text(s)}</li>" for s in answer.suggestions)
        return f'<div class="status-note">未找到可引用的段落。可参考的章节：<ul>{items}</ul></div>'
    cards = []
    for c in answer.citations:
        section_text = ""
        if assistant is not None and c.section_id in assistant.snapshot.sections:
            section_text = assistant.snapshot.sections[c.section_id].text
        context = (
            "<details><summary>阅读所在章节全文</summary>"
            f"<div>{_highlighted(section_text, c.highlight or [c.text])}</div></details>"
            if section_text
            else ""
        )
        cards.append(
            f'<div class="src-card" id="src-{answer_no}-{c.n}">'
            f'<div class="src-head">[{c.n}] {_source_line(c)}</div>'
            f'<div class="src-path">{safe_text(c.section)}</div>'
            f'<div class="src-text">{_highlighted(c.text, c.highlight)}</div>{context}</div>'
        )
    return "".join(cards) or '<div class="status-note">这条回答没有引用段落。</div>'


def sources_html(
    answer: Answer | None, assistant: PolicyAssistant | None, earlier: list | None = None
) -> str:
    """The sources of the latest answer, then those of earlier answers (folded), newest first.

    ``earlier``: (answer number, Answer) of the previous answers in this chat."""
    if answer is None and not earlier:
        return '<div class="status-note">引用的原文段落会显示在这里。</div>'
    parts = []
    if answer is not None:
        parts.append(answer_cards(answer, assistant, len(earlier or [])))
    for number, old in reversed(earlier or []):
        parts.append(
            f'<details class="answer-sources"><summary>第{number + 1}问的引用：{safe_text(old.question[:40])}</summary>'
            f"{answer_cards(old, assistant, number)}</details>"
        )
    return "".join(parts)


def status_html(answer: Answer | None, assistant: PolicyAssistant | None, notice: str = "") -> str:
    if assistant is None:
        return ""
    backend = "离线摘录模式" if assistant.llm is None else f"大模型：{assistant.settings.llm.model}"
    parts = [f'<span class="status-note">回答方式：{safe_text(backend)}</span>']
    if notice:
        parts.append(f'<span class="status-note" id="index-notice">{safe_text(notice)}</span>')
    if answer is not None:
        if answer.refused:
            parts.append('<span class="status-warn">文件中没有找到答案（已拒答）</span>')
        for notice in answer.notices:
            parts.append(f'<span class="status-warn">{safe_text(notice)}</span>')
    return "　".join(parts)


def reply_draft(answer: Answer | None) -> str:
    """The reply text a hotline operator copies: no citation markers, no table syntax."""
    if answer is None or answer.mode != "reply":
        return ""
    text = answer.draft or strip_marks(answer.text).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


@dataclass
class ChatState:
    """Per-browser-session state: the plain-text turns for follow-ups and the last answer."""

    turns: list[Turn] = field(default_factory=list)
    last: Answer | None = None
    answers: list[Answer] = field(default_factory=list)  # every answer of this chat, for its sources


def index_problem_zh(exc: Exception) -> str:
    """The Chinese line the UI shows when the index cannot be built or opened: the real cause and the fix."""
    from policyqa.index.ingest import NothingToIndex
    from policyqa.index.store import IndexDamaged, IndexMissing, StoreUnavailable

    if isinstance(exc, IndexDamaged):
        return (
            f"索引文件已损坏（{exc.problem}）。请在终端运行 python -m assistant ingest 修复"
            "（只重建索引，不重新计算向量），修复后本页面会自动切换到新索引。"
        )
    if isinstance(exc, StoreUnavailable):
        return "无法连接 Chroma 向量库服务器。请启动该服务器，或设置 ASSISTANT_CHROMA_MODE=embedded 使用内置存储后重启。"
    if isinstance(exc, NothingToIndex | IndexMissing):
        return (
            "还没有索引，corpus 文件夹中也没有可索引的文件。请放入政策文件后运行 python -m assistant ingest。"
        )
    return f"无法打开索引（{exc.__class__.__name__}），详情见终端日志。"


def failure_zh(assistant: PolicyAssistant) -> str:
    """What to tell the user when answering failed: a damaged index if it is one (and how to repair it)."""
    from policyqa.index.store import IndexDamaged, verify_generation

    generation = assistant.snapshot.generation
    try:
        problems = verify_generation(assistant.settings, generation)
    except Exception as exc:  # e.g. the Chroma server went away
        return index_problem_zh(exc)
    if problems:
        log.error("index generation %s is damaged: %s", generation, "; ".join(problems))
        return index_problem_zh(IndexDamaged(generation, "; ".join(problems)))
    return "抱歉，处理这个问题时出错了，请稍后再试或换一种问法。"


class AssistantHolder:
    """The assistant the UI answers with: built in a background thread at start (ingest, then open),
    then kept on the index's CURRENT generation.

    A watcher thread (and each request) notices a new CURRENT, opens it beside the one in use and
    switches between requests; requests already running finish on the old generation, whose lease
    is released when the last of them ends, so the next ingest may remove it.
    """

    def __init__(self, settings: Settings, assistant: PolicyAssistant | None = None, poll_s: float = 2.0):
        self.settings = settings
        self.assistant = assistant
        self.status = "就绪" if assistant else "正在准备索引……"
        self.error: str | None = None
        self.notice = ""  # the last index switch (or failed switch), for the status line
        self.poll_s = poll_s
        self._ready = threading.Event()
        self._switching = threading.Lock()
        self._users_lock = threading.Lock()
        self._users: dict[int, int] = {}  # id(assistant) → requests still using it
        self._retired: list[PolicyAssistant] = []
        self._unusable: str | None = None  # a generation that failed to open (not retried)
        if assistant is not None:
            self._ready.set()

    def start(self) -> AssistantHolder:
        if not self._ready.is_set():
            threading.Thread(target=self._load, name="index-loader", daemon=True).start()
        threading.Thread(target=self._watch, name="index-watcher", daemon=True).start()
        return self

    def _progress(self, stage: str, done: int, total: int) -> None:
        what, zh = ("sentences", "句子") if stage == "sentences" else ("paragraphs", "段落")
        self.status = f"正在建立索引：已处理 {done}/{total} 个{zh}……"
        if done == 0:
            log.info("building the index: %d %s to embed…", total, what)
        elif done == total or done * 10 // total != (done - 1) * 10 // total:
            log.info("building the index: %d/%d %s embedded", done, total, what)

    def _waiting(self, message: str) -> None:
        log.warning(message)
        self.status = "另一个索引更新正在进行，等待它完成……"

    def _load(self) -> None:
        from policyqa.index.ingest import NothingToIndex, ingest
        from policyqa.index.store import StoreUnavailable

        log.info("checking the index against the corpus in the background (the page shows progress)…")
        try:
            summary = ingest(self.settings, progress=False, on_progress=self._progress, on_wait=self._waiting)
            if summary.repaired:
                log.warning("the index was damaged and has been rebuilt: %s", "; ".join(summary.repaired))
            if summary.changed:
                log.info(
                    "index built: %d documents, %d units in %.0f s",
                    summary.documents,
                    summary.paragraphs + summary.table_rows + summary.notes + summary.outlines,
                    summary.seconds,
                )
            for skipped in summary.skipped:
                log.warning("skipped %s: %s", skipped.path, skipped.reason)
        except NothingToIndex:
            self.status = "文件夹中没有可索引的文件，使用已有索引。"
        except StoreUnavailable as exc:
            log.error("%s", exc)
        except (
            Exception
        ) as exc:  # an unusable corpus must not take the UI down; an older index may still work
            log.exception("ingest on start failed")
            self.status = f"更新索引失败（{exc.__class__.__name__}），使用已有索引。"
        try:
            assistant = PolicyAssistant.from_settings(self.settings, build_if_missing=False)
            assistant.warm_up()
            self.assistant = assistant
            self.status = "就绪"
            log.info(
                "ready: answering questions (%d documents indexed, index generation %s)",
                len(assistant.snapshot.documents),
                assistant.snapshot.generation,
            )
        except Exception as exc:
            log.error("cannot open the index: %s", exc)
            self.error = index_problem_zh(exc)
            self.status = self.error
        finally:
            self._ready.set()

    # -- following the index --------------------------------------------------------------------

    @property
    def generation(self) -> str | None:
        return self.assistant.snapshot.generation if self.assistant is not None else None

    def _watch(self) -> None:
        while True:
            time.sleep(self.poll_s)
            try:
                self.refresh()
            except Exception:  # the watcher must outlive any one failure
                log.exception("checking for a new index failed")

    def refresh(self) -> bool:
        """Switch to a new CURRENT generation if there is one; True if switched. Never blocks on a switch
        already in progress (the caller goes on with the generation in use)."""
        from policyqa.index.store import current_generation

        if not self._ready.is_set():
            return False
        latest = current_generation(self.settings)
        if latest is None or latest in (self.generation, self._unusable):
            return False
        if not self._switching.acquire(blocking=False):
            return False
        try:
            if latest == self.generation:
                return False
            return self._switch_to(latest)
        finally:
            self._switching.release()

    def _switch_to(self, generation: str) -> bool:
        from policyqa.index.store import open_generation

        old = self.assistant
        try:
            snapshot = open_generation(self.settings, generation)
            if snapshot is None:  # already replaced by a newer one; the next check picks that up
                return False
            new = PolicyAssistant(self.settings, snapshot, llm=old.llm if old else None)
        except Exception as exc:
            self._unusable = generation
            log.error(
                "cannot switch to index generation %s, staying on %s: %s", generation, self.generation, exc
            )
            self.notice = f"新索引无法打开，继续使用原索引。{index_problem_zh(exc)}"
            return False
        with self._users_lock:
            self.assistant = new
            if old is not None:
                self._retired.append(old)
            self._close_unused()
        self.error = None
        self.status = "就绪"
        when = time.strftime("%H:%M:%S")
        self.notice = f"索引已更新（{when}，{len(snapshot.documents)} 个文件）"
        log.info(
            "switched to index generation %s (%d documents, %d units); was %s",
            generation,
            len(snapshot.documents),
            len(snapshot.paragraphs),
            old.snapshot.generation if old else "none",
        )
        return True

    def _close_unused(self) -> None:
        for old in list(self._retired):
            if self._users.get(id(old), 0) == 0:
                old.snapshot.close()
                self._retired.remove(old)
                self._users.pop(id(old), None)

    @contextlib.contextmanager
    def using(self) -> Iterator[PolicyAssistant | None]:
        """The assistant for one request, on the newest generation; kept open until the request ends."""
        self.refresh()
        with self._users_lock:
            assistant = self.assistant
            if assistant is not None:
                self._users[id(assistant)] = self._users.get(id(assistant), 0) + 1
        try:
            yield assistant
        finally:
            if assistant is not None:
                with self._users_lock:
                    self._users[id(assistant)] -= 1
                    self._close_unused()

    def wait(self, timeout: float | None = None) -> PolicyAssistant | None:
        self._ready.wait(timeout)
        return self.assistant

    @property
    def loading(self) -> bool:
        """True while the index is still being built or opened."""
        return not self._ready.is_set()

    @property
    def ready(self) -> bool:
        return self._ready.is_set() and self.assistant is not None


# -- handlers ----------------------------------------------------------------------------------------


def _copy(history: list) -> list:
    """Each streamed step is its own value (Gradio serialises it; tests and callers may keep it)."""
    return [dict(message) for message in history]


def respond(message: str, history: list, mode: str, doc: str, state: ChatState, holder: AssistantHolder):
    """Chat handler (a generator): yields (history, sources, status, draft, state, textbox) as it streams."""
    history = list(history or [])
    message = message or ""
    history.append({"role": "user", "content": safe_text(message)})
    history.append({"role": "assistant", "content": ""})
    while holder.loading:
        history[-1]["content"] = safe_text(holder.status)
        yield _copy(history), sources_html(None, None), "", "", state, ""
        time.sleep(0.5)
    with holder.using() as assistant:
        yield from _answer(message, history, mode, doc, state, assistant, holder)


def _answer(message, history, mode, doc, state, assistant, holder):
    if assistant is None:
        history[-1]["content"] = safe_text(holder.error or "索引不可用。")
        yield _copy(history), sources_html(None, None), "", "", state, ""
        return
    notice = holder.notice
    try:
        stream = assistant.stream(message, state.turns, doc or None, mode)
        partial = ""
        answer = None
        for event in stream:
            if event.kind == "reset":
                partial = ""
            elif event.kind == "delta":
                partial += event.text
                history[-1]["content"] = answer_html(partial, linked=False)
                yield (
                    _copy(history),
                    sources_html(None, None),
                    status_html(None, assistant, notice),
                    "",
                    state,
                    "",
                )
            elif event.kind == "answer":
                answer = event.answer
    except QuestionError as exc:
        history[-1]["content"] = safe_text(exc.zh)
        yield _copy(history), sources_html(None, None), status_html(None, assistant, notice), "", state, ""
        return
    except Exception:  # never a stack trace in the page; the log has it
        log.exception("answering failed")
        history[-1]["content"] = safe_text(failure_zh(assistant))
        yield _copy(history), sources_html(None, None), status_html(None, assistant, notice), "", state, ""
        return
    number = len(state.answers)
    history[-1]["content"] = answer_html(answer.text, answer_no=number, rewritten=answer.rewritten_question)
    state = ChatState(
        turns=[*state.turns, Turn("user", answer.question), Turn("assistant", answer.text)],
        last=answer,
        answers=[*state.answers, answer],
    )
    yield (
        history,
        sources_html(answer, assistant, list(enumerate(state.answers[:-1]))),
        status_html(answer, assistant, notice),
        reply_draft(answer),
        state,
        "",
    )


def give_feedback(rating: str, comment: str, state: ChatState, holder: AssistantHolder) -> tuple[str, str]:
    """Append feedback on the last answer to the log; returns (message, cleared comment box)."""
    answer = state.last if state else None
    if answer is None:
        return "请先提问，再对回答进行评价。", comment
    record = {
        "rating": rating,
        "comment": (comment or "").strip()[:2000],
        "question": answer.question,
        "rewritten_question": answer.rewritten_question,
        "mode": answer.mode,
        "backend": answer.backend,
        "refused": answer.refused,
        "answer": answer.text,
        "citations": [
            {"n": c.n, "id": c.id, "doc_title": c.doc_title, "section": c.section} for c in answer.citations
        ],
    }
    try:
        append_feedback(holder.settings.data_dir, record)
    except OSError as exc:  # e.g. an unwritable data directory: say so and keep what the user typed
        log.error("could not save feedback to %s: %s", holder.settings.data_dir, exc)
        return (
            "反馈未能保存（服务器的数据目录无法写入），您的意见仍保留在输入框中，请稍后再试或联系管理员。",
            comment,
        )
    return "已记录您的反馈，谢谢！", ""


def new_chat():
    return [], ChatState(), sources_html(None, None), "", "", ""


def documents_html(holder: AssistantHolder) -> str:
    assistant = holder.assistant
    if assistant is None:
        return safe_text(holder.status)
    rows = []
    for d in assistant.documents():
        counts = d["counts"]
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{safe_text(str(v))}</td>"
                for v in (
                    d.get("title") or d["doc_id"],
                    d.get("doc_number") or "—",
                    d.get("date") or "—",
                    counts["sections"],
                    counts["paragraphs"],
                    counts["table_rows"],
                )
            )
            + "</tr>"
        )
    built = assistant.snapshot.manifest.get("created_at", "")
    head = "".join(f"<th>{h}</th>" for h in ("文件", "文号", "日期", "章节数", "段落数", "表格行数"))
    return (
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f'<p class="status-note">索引建立时间：{safe_text(built)}（UTC）</p>'
    )


def doc_choices(holder: AssistantHolder) -> list[tuple[str, str]]:
    choices = [("全部文件", ALL_DOCS)]
    if holder.assistant is not None:
        choices += [(d.get("title") or d["doc_id"], d["doc_id"]) for d in holder.assistant.documents()]
    return choices


def api_ask(question: str, mode: str, doc: str, holder: AssistantHolder) -> dict:
    """The JSON API (for gradio_client): the same Answer the chat shows, as data."""
    holder.wait(timeout=600)
    with holder.using() as assistant:
        if assistant is None:
            return {"error": holder.error or "index unavailable"}
        try:
            return assistant.ask(question, doc=doc or None, mode=mode or "answer").to_dict()
        except QuestionError as exc:
            return {"error": str(exc), "message": exc.zh}
        except Exception as exc:  # the same diagnosis as the chat, as data
            log.exception("answering failed")
            return {"error": f"answering failed ({exc.__class__.__name__})", "message": failure_zh(assistant)}


# -- layout ------------------------------------------------------------------------------------------


def build_ui(holder: AssistantHolder, settings: Settings):
    import gradio as gr

    with gr.Blocks(title="政策问答助手", analytics_enabled=False) as app:
        state = gr.State(ChatState())
        gr.Markdown("## 政策问答助手\n根据政策文件原文回答问题，每条回答都附有引用段落。")
        status = gr.HTML(status_html(None, holder.assistant), elem_id="status")
        loading = gr.HTML(safe_text(holder.status) if not holder.ready else "", elem_id="loading")
        with gr.Tab("问答"), gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(label="对话", height=520, elem_id="chat", buttons=["copy"])
                with gr.Row():
                    mode = gr.Radio(MODES, value="answer", label="模式", elem_id="mode")
                    doc = gr.Dropdown(doc_choices(holder), value=ALL_DOCS, label="查询范围", elem_id="doc")
                examples = ui_examples(settings)
                question = gr.Textbox(
                    label="问题",
                    placeholder=f"例如：{examples[0]}" if examples else "请输入您的问题",
                    lines=2,
                    elem_id="question",
                )
                with gr.Row():
                    send = gr.Button("发送", variant="primary", elem_id="send")
                    clear = gr.Button("新对话", elem_id="new-chat")
                gr.Examples(examples=[[q] for q in examples], inputs=[question], label="示例问题")
                draft = gr.Textbox(
                    label="答复草稿（起草答复模式，已去除引用标记，可一键复制）",
                    lines=6,
                    buttons=["copy"],
                    elem_id="draft",
                )
                with gr.Row():
                    up = gr.Button("👍 有帮助", elem_id="thumbs-up")
                    down = gr.Button("👎 有问题", elem_id="thumbs-down")
                comment = gr.Textbox(label="意见（可选）", lines=1, elem_id="comment")
                feedback_note = gr.Markdown(elem_id="feedback-note")
            with gr.Column(scale=2):
                gr.Markdown("### 引用原文")
                sources = gr.HTML(sources_html(None, None), elem_id="sources")
        with gr.Tab("文件列表"):
            docs_table = gr.HTML(documents_html(holder), elem_id="documents")

        outputs = [chatbot, sources, status, draft, state, question]

        def _respond(message, history, mode_value, doc_value, chat_state):
            yield from respond(message, history, mode_value, doc_value, chat_state, holder)

        send.click(_respond, [question, chatbot, mode, doc, state], outputs, api_name="chat")
        question.submit(_respond, [question, chatbot, mode, doc, state], outputs, api_name=False)
        clear.click(new_chat, None, [chatbot, state, sources, status, draft, question], api_name=False)
        up.click(
            lambda c, s: give_feedback("up", c, s, holder),
            [comment, state],
            [feedback_note, comment],
            api_name=False,
        )
        down.click(
            lambda c, s: give_feedback("down", c, s, holder),
            [comment, state],
            [feedback_note, comment],
            api_name=False,
        )

        def _ask(question_text: str, mode_value: str = "answer", doc_value: str = "") -> dict:
            return api_ask(question_text, mode_value, doc_value, holder)

        gr.api(_ask, api_name="ask")

        # While loading: progress every second. Then every few seconds: a switch to a new index
        # generation (after an ingest) refreshes the status line, the document list and the filter.
        timer = gr.Timer(1.0)
        shown = gr.State(holder.generation)

        def _poll(shown_generation):
            if holder.loading:
                return (
                    safe_text(holder.status),
                    gr.skip(),
                    gr.skip(),
                    gr.skip(),
                    gr.Timer(1.0),
                    shown_generation,
                )
            if holder.generation == shown_generation and shown_generation is not None:
                return "", gr.skip(), gr.skip(), gr.skip(), gr.Timer(holder.poll_s), shown_generation
            return (
                safe_text(holder.error or ""),
                status_html(None, holder.assistant, holder.notice),
                documents_html(holder),
                gr.Dropdown(choices=doc_choices(holder), value=ALL_DOCS),
                gr.Timer(holder.poll_s),
                holder.generation,
            )

        timer.tick(_poll, [shown], [loading, status, docs_table, doc, timer, shown], api_name=False)
    return app
