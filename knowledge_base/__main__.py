"""Command line for the knowledge base.

    python -m knowledge_base search "làm lại căn cước bị mất" [--limit N] [--field F] [--level xã]
    python -m knowledge_base ask "làm lại căn cước bị mất cần gì" [--context CODE]
    python -m knowledge_base show CODE
    python -m knowledge_base build
"""
from __future__ import annotations

import argparse
import logging
import sys
import time


def _search(args: argparse.Namespace) -> int:
    from knowledge_base.service import KnowledgeBase

    kb = KnowledgeBase.load()
    result = kb.search(args.query, limit=args.limit, field=args.field, level=args.level)
    aspect = kb.engine.analyze(args.query).aspect.value
    print(f"query understood: {result.query!r}  aspect: {aspect}  confident: {result.confident}  "
          f"took_ms: {result.took_ms:.1f}")
    for rank, hit in enumerate(result.hits, 1):
        print(f"{rank:>2}. {hit.score:6.3f}  {hit.code:<10} {hit.name}  [{hit.field}; {', '.join(hit.levels)}]")
    if not result.hits:
        print("(no hits)")
    return 0


def _ask(args: argparse.Namespace) -> int:
    from knowledge_base.service import KnowledgeBase

    reply = KnowledgeBase.load().respond(args.question, context_code=args.context)
    print(f"[{reply.kind}; aspect: {reply.aspect.value}; procedures: {', '.join(reply.procedure_codes) or '-'}]")
    print(reply.text)
    for choice in reply.choices:
        print(f"  ({choice.code}) {choice.title}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from knowledge_base.service import load_procedures

    by_code = {p.code: p for p in load_procedures()}
    proc = by_code.get(args.code)
    if proc is None:
        print(f"no procedure with code {args.code}", file=sys.stderr)
        return 1
    print(f"{proc.code}  {proc.name}")
    print(f"field: {proc.field}   levels: {', '.join(proc.levels)}   group: {proc.source_group}")
    print(f"url: {proc.url}")
    if proc.applicants:
        print(f"applicants: {proc.applicants}")
    for c in proc.channels:
        print(f"channel: {c.channel} | {c.time_text or '-'} | {c.fee or '-'}")
    if proc.documents:
        print("documents:")
        for d in proc.documents:
            print(f"  - {d.name}")
    if proc.result:
        print(f"result: {proc.result}")
    return 0


def _build(args: argparse.Namespace) -> int:
    from settings import SETTINGS
    from knowledge_base.service import KnowledgeBase, load_procedures

    started = time.perf_counter()
    print(f"catalogue: parsing {SETTINGS.catalogue_source} -> {SETTINGS.catalogue_path}", flush=True)
    procs = load_procedures(SETTINGS, rebuild=True)
    print(f"catalogue: {len(procs)} procedures ({time.perf_counter() - started:.1f} s)", flush=True)
    print("indexes: restorer, lexical and (when enabled) dense ...", flush=True)
    kb = KnowledgeBase.load(SETTINGS, show_progress=True)
    for key, value in kb.stats().items():
        print(f"  {key}: {value}")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge_base")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("search", help="ranked hits for a question")
    p.add_argument("query")
    p.add_argument("--limit", type=int, default=5)
    p.add_argument("--field", default=None)
    p.add_argument("--level", default=None)
    p.set_defaults(func=_search)
    p = sub.add_parser("ask", help="the reply the assistant gives, as plain text")
    p.add_argument("question")
    p.add_argument("--context", default=None, help="code of the procedure the conversation is about")
    p.set_defaults(func=_ask)
    p = sub.add_parser("show", help="one procedure")
    p.add_argument("code")
    p.set_defaults(func=_show)
    p = sub.add_parser("build", help="parse the catalogue and build the indexes")
    p.set_defaults(func=_build)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
