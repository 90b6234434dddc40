"""Regulatory retrieval eval: recall@1 and recall@3 of the knowledge base on written questions,
and, with a model, how often an answer built from the retrieved passages holds the expected fact.

    python -m maestro.evals.regulatory [--k 3] [--model ID] [--questions FILE] [--json -]

The questions (evals/data/regulatory_questions.yaml) name the document that answers them and
a short fact the answer must contain; they are worded unlike the documents on purpose.
Goal: recall@3 >= 0.9. Exit 0 when the run completed (whatever the scores), 2 for bad input,
3 when the model could not be reached.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

DEFAULT_QUESTIONS = Path(__file__).resolve().parent / "data" / "regulatory_questions.yaml"
ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"answer": {"type": "string", "maxLength": 300}},
    "required": ["answer"],
}
SYSTEM = (
    "You answer questions about telecom standards and regulation using only the passages "
    'given. Quote the exact numbers from the passages. Reply with JSON: {"answer": "..."}.'
)


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str = Field(min_length=5)
    doc: str
    fact: str = Field(min_length=1)
    jurisdiction: str | None = None


class QuestionFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = 1
    questions: list[Question] = Field(min_length=1)


class EvalInputError(Exception):
    """Bad questions file or unknown document: one line, exit 2."""


def load_questions(path: str | Path = DEFAULT_QUESTIONS) -> list[Question]:
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
        return QuestionFile.model_validate(raw).questions
    except OSError as exc:
        raise EvalInputError(f"{p}: cannot read: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise EvalInputError(f"{p}: not valid YAML") from exc
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err.get("loc", ()))
        raise EvalInputError(f"{p}: {where}: {err.get('msg')}") from exc


def retrieval_eval(kb: Any, questions: Sequence[Question], k: int = 3) -> dict[str, Any]:
    """Rank of the expected document among the top k hits for every question."""
    known = {d.id for d in kb.documents}
    unknown = sorted({q.doc for q in questions} - known)
    if unknown:
        raise EvalInputError(f"questions name documents not in the corpus: {', '.join(unknown)}")
    rows, latencies = [], []
    for q in questions:
        start = time.perf_counter()
        hits = kb.search(q.q, k=k, jurisdiction=q.jurisdiction)
        latencies.append(time.perf_counter() - start)
        ids = [h.id for h in hits]
        rank = ids.index(q.doc) + 1 if q.doc in ids else None
        rows.append({"q": q.q, "expected": q.doc, "got": ids, "rank": rank})
    n = len(rows)
    latencies.sort()
    return {
        "n": n,
        "k": k,
        "recall@1": sum(1 for r in rows if r["rank"] == 1) / n,
        f"recall@{k}": sum(1 for r in rows if r["rank"] is not None) / n,
        "query_p50_ms": round(1000 * latencies[n // 2], 2),
        "misses": [r for r in rows if r["rank"] != 1],
    }


def _prompt(question: Question, hits: Sequence[Any]) -> list[Any]:
    from langchain_core.messages import HumanMessage, SystemMessage

    passages = "\n\n".join(f"[{h.id}] ({h.source})\n{h.text}" for h in hits)
    return [
        SystemMessage(content=SYSTEM),
        HumanMessage(content=f"Passages:\n{passages}\n\nQuestion: {question.q}"),
    ]


def _answer_text(content: Any) -> str:
    text = content if isinstance(content, str) else json.dumps(content)
    try:
        data = json.loads(text)
    except ValueError:
        return text
    return str(data.get("answer", "")) if isinstance(data, dict) else text


def answer_eval(
    kb: Any, questions: Sequence[Question], model: Any, k: int = 3, progress: bool = False
) -> dict[str, Any]:
    """Answer each question from its top-k passages; count answers holding the fact."""
    from maestro.agents.providers import bind_json_schema

    runnable = bind_json_schema(model, ANSWER_SCHEMA, "answer")
    rows: list[dict[str, Any]] = []
    for i, q in enumerate(questions, 1):
        if progress:
            print(f"\ranswering {i}/{len(questions)}", end="", file=sys.stderr, flush=True)
        hits = kb.search(q.q, k=k, jurisdiction=q.jurisdiction)
        reply = runnable.invoke(_prompt(q, hits))
        answer = _answer_text(reply.content)
        rows.append({"q": q.q, "fact": q.fact, "answer": answer,
                     "hit": q.fact.lower() in answer.lower()})  # fmt: skip
    if progress:
        print(file=sys.stderr)
    n = len(rows)
    return {
        "n": n,
        "answer_fact_hit_rate": sum(bool(r["hit"]) for r in rows) / n,
        "answers": rows,
    }


def _print_report(report: dict[str, Any]) -> None:
    r = report["retrieval"]
    k = r["k"]
    print(f"questions {r['n']}   recall@1 {r['recall@1']:.3f}   recall@{k} {r[f'recall@{k}']:.3f}"
          f"   query p50 {r['query_p50_ms']:.1f} ms")  # fmt: skip
    for miss in r["misses"]:
        where = "missed" if miss["rank"] is None else f"rank {miss['rank']}"
        print(f"  {where:<7} {miss['expected']:<32} <- {miss['q']}  (got {', '.join(miss['got'])})")
    if "answers" in report:
        a = report["answers"]
        print(f"model {report['model']}: answer-fact hit rate {a['answer_fact_hit_rate']:.3f} "
              f"over {a['n']} answers")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m maestro.evals.regulatory")
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--model", help="answer from the passages with this model id")
    parser.add_argument("--questions", default=str(DEFAULT_QUESTIONS))
    parser.add_argument("--limit", type=int, help="only the first N questions")
    parser.add_argument("--json", dest="json_dest", help="write the report as JSON ('-' = stdout)")
    args = parser.parse_args(argv)
    from maestro.knowledge import KnowledgeError, open_knowledge

    try:
        if not 1 <= args.k <= 20:
            raise EvalInputError(f"--k: must be 1..20, got {args.k}")
        questions = load_questions(args.questions)[: args.limit]
        kb = open_knowledge()
        report: dict[str, Any] = {"retrieval": retrieval_eval(kb, questions, args.k)}
        if args.model:
            from maestro.agents.providers import load_chat_model

            report["model"] = args.model
            report["answers"] = answer_eval(
                kb, questions, load_chat_model(args.model), args.k, progress=True
            )
    except (EvalInputError, KnowledgeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a model that cannot be reached or loaded: the run failed
        if not args.model:
            raise
        print(f"error: model {args.model}: {' '.join(str(exc).split())[:200]}", file=sys.stderr)
        return 3
    if args.json_dest:
        text = json.dumps(report, indent=2)
        if args.json_dest == "-":
            print(text)
            return 0
        Path(args.json_dest).write_text(text + "\n", encoding="utf-8")
    _print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
