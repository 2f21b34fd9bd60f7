"""`python -m assistant eval --llm-local`: the eval set against the pinned local models, beside the
offline extractive answers, on the same questions in one run.

Each model is served by ``LocalServer`` (assistant/localllm.py) and reached through the ordinary
``llm.base_url`` / ``llm.model`` settings, so the pipeline is exactly the one users get. Per type it
reports fact recall, faithfulness before grounding (the claim check validated in
evals/grounding_eval.py), post-grounding consistency, grounding removals, refusals and latency; with
``prompt_paragraphs`` variants it also measures how prompt length trades recall for latency. The
model's own LLM judge is run on labelled grounding items, to report how far it can be trusted.
"""

from __future__ import annotations

import json
import statistics
import time
import urllib.request
from pathlib import Path

from policyqa.assistant.localllm import MODELS, LocalServer
from policyqa.evals.metrics import aggregate, by_type
from policyqa.evals.runner import run_items

COLUMNS = [
    ("fact_recall", "fact recall"),
    ("faithfulness_pre_grounding", "faithful before grounding"),
    ("post_grounding_consistency", "post-grounding consistency"),
    ("grounding_removals", "grounding removals"),
    ("llm_fallbacks", "fallbacks to offline"),
    ("refusal_rate_unanswerable", "refusal (unanswerable)"),
    ("false_refusal_rate", "false refusal"),
    ("latency_p50_ms", "p50 latency ms"),
]


def _prompt_tokens(base_url: str, assistant, answers, paragraphs: int) -> float | None:
    """Mean prompt length in the model's own tokens (llama.cpp's /tokenize), over the answered items."""
    from policyqa.assistant.answer import REFUSAL
    from policyqa.assistant.prompts import render

    counts = []
    for answer in answers[:20]:
        numbered = [
            {
                "n": i + 1,
                "doc_title": "",
                "doc_number": "",
                "doc_date": "",
                "section": r.section,
                "text": r.text,
            }
            for i, r in enumerate(answer.retrieved[:paragraphs])
        ]
        text = render("answer_system", refusal=REFUSAL) + render(
            "answer_user", paragraphs=numbered, mode="answer", question=answer.question, asked=""
        )  # the asked-slot line (a few tokens) is left out: the count is of the paragraphs' cost
        body = json.dumps({"content": text}).encode()
        request = urllib.request.Request(
            base_url.removesuffix("/v1") + "/tokenize", body, {"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                counts.append(len(json.loads(response.read())["tokens"]) + 60)  # + titles and chat template
        except OSError:
            return None
    return round(statistics.fmean(counts)) if counts else None


def judge_agreement(llm, model_name: str, cache: Path, limit: int) -> dict:
    """The model's faithfulness judge on labelled claims (evals/grounding_set.jsonl): agreement with the labels."""
    from policyqa.assistant.answer import Citation
    from policyqa.evals.grounding_eval import load_set
    from policyqa.evals.judge import LLMJudge

    items = [i for i in load_set() if i.get("paragraph")]
    step = max(1, len(items) // limit) if limit else 1
    sample = items[::step][:limit]
    judge = LLMJudge(llm, model_name, cache)
    agree = unjudged = 0
    said_yes_when_unsupported = unsupported = 0
    for item in sample:
        from policyqa.assistant.answer import Answer

        citation = Citation(1, "", "", "", "", "", item.get("header", ""), item["paragraph"])
        answer = Answer(question="", text=f"{item['claim']}[1]", citations=[citation])
        verdict = judge.judge("", answer, [])["faithful"]
        if verdict is None:
            unjudged += 1
            continue
        agree += verdict == item["supported"]
        if not item["supported"]:
            unsupported += 1
            said_yes_when_unsupported += verdict
    judged = len(sample) - unjudged
    return {
        "items": len(sample),
        "unjudged": unjudged,
        "agreement": round(agree / judged, 4) if judged else None,
        "passes_unsupported": round(said_yes_when_unsupported / unsupported, 4) if unsupported else None,
    }


def model_claims(answers, model: str) -> list[dict]:
    """Every claim the model wrote (before grounding), with the paragraphs it cites as the model saw
    them: material for hand-labelling more real-model items for evals/grounding_set.jsonl. The check's
    own verdict is kept apart (``check``) so a labeller can work without it."""
    from policyqa.evals.metrics import checked_claims

    out = []
    for answer in answers:
        if not answer.generated_text:
            continue
        for content, markers, cited, verdict in checked_claims(answer):
            out.append(
                {
                    "claim": content,
                    "question": answer.question,
                    "origin": f"model-{model}",
                    "markers": markers,
                    "paragraph_ids": [r.id for r in cited],
                    "header": "\n".join(r.section for r in cited),
                    "paragraphs": [r.text for r in cited],
                    "check": {"supported": verdict.supported, "reason": verdict.reason},
                }
            )
    return out


def run(
    settings, items, models: list[str], paragraph_counts: list[int], judge_items: int, progress: bool
) -> dict:
    from policyqa.assistant.pipeline import PolicyAssistant
    from policyqa.core.clients import chat_llm

    offline = PolicyAssistant.from_settings(settings, progress=progress)
    started = time.perf_counter()
    runs = {"extractive": run_items(offline, items, progress=progress)}
    extra: dict[str, dict] = {}
    claims: dict[str, list[dict]] = {}
    for key in models:
        with LocalServer(key, settings.data_dir) as server:
            for count in paragraph_counts:
                name = f"{key}" if len(paragraph_counts) == 1 else f"{key} top-{count}"
                local = settings.model_copy(deep=True)
                local.llm.base_url, local.llm.model = server.base_url, MODELS[key].name
                local.llm.max_tokens = settings.llm.max_tokens or 300
                local.llm.prompt_paragraphs = count
                local.llm.max_retries = 0
                local.llm.timeout_s = max(settings.llm.timeout_s, 300)
                assistant = PolicyAssistant(local, offline.snapshot, llm=chat_llm(local.llm))
                answers = []
                runs[name] = run_items(assistant, items, progress=progress, keep_answers=answers)
                extra[name] = {"prompt_tokens": _prompt_tokens(server.base_url, assistant, answers, count)}
                claims[name] = model_claims(answers, key)
            if judge_items:
                local_llm = chat_llm(local.llm)
                extra[key]["judge"] = judge_agreement(
                    local_llm, MODELS[key].name, settings.data_dir / "judge-cache.sqlite", judge_items
                )
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "questions": len(items),
        "overall": {name: aggregate(results) for name, results in runs.items()},
        "by_type": {name: by_type(results) for name, results in runs.items()},
        "extra": extra,
        "claims": claims,
        "results": {name: [r.to_dict() for r in results] for name, results in runs.items()},
    }


def render(report: dict) -> str:
    def cell(value) -> str:
        return "–" if value is None else (f"{value:.3g}" if isinstance(value, float) else str(value))

    names = list(report["overall"])
    lines = [
        f"{report['questions']} questions, {report['seconds']:.0f} s in all",
        "",
        "| type | backend | " + " | ".join(label for _, label in COLUMNS) + " |",
        "|---|---|" + "---|" * len(COLUMNS),
    ]
    types = sorted({t for name in names for t in report["by_type"][name]}) + ["all"]
    for kind in types:
        for name in names:
            m = report["overall"][name] if kind == "all" else report["by_type"][name].get(kind)
            if m is None:
                continue
            label = f"**all** (n={m['n']})" if kind == "all" else f"{kind} (n={m['n']})"
            lines.append(f"| {label} | {name} | " + " | ".join(cell(m.get(k)) for k, _ in COLUMNS) + " |")
    for name, info in report["extra"].items():
        lines.append("")
        lines.append(f"{name}: mean prompt {cell(info.get('prompt_tokens'))} tokens")
        if "judge" in info:
            j = info["judge"]
            lines[-1] += (
                f"; its LLM judge on {j['items']} labelled claims: agreement {cell(j['agreement'])}, "
                f"share of unsupported claims it passed {cell(j['passes_unsupported'])}, "
                f"{j['unjudged']} unparsable verdicts"
            )
    return "\n".join(lines)
