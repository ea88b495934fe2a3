"""The evaluation sets stay valid: every code exists in its group, styles agree, counts hold."""
from __future__ import annotations

import collections
import json

import pytest

from tools.evaluation import check_devset
from tools.evaluation.evaluate import load_jsonl


def test_dev_set_is_valid(capsys) -> None:
    assert check_devset.main([]) == 0, capsys.readouterr().out


@pytest.mark.parametrize("name, earlier", [("heldout.jsonl", ["devset.jsonl"]),
                                           ("blind.jsonl", ["devset.jsonl", "heldout.jsonl"])])
def test_later_sets_are_valid_and_disjoint_from_earlier_ones(capsys, name: str, earlier: list[str]) -> None:
    assert check_devset.main(["--devset", str(check_devset.HERE / name), "--min-questions", "100",
                              "--min-procedures", "60"]) == 0, capsys.readouterr().out

    def naturals(name: str) -> set[str]:
        lines = (check_devset.HERE / name).read_text(encoding="utf-8").splitlines()
        return {check_devset.norm_words(json.loads(line)["natural"]) for line in lines if line.strip()}

    for other in earlier:
        assert not naturals(name) & naturals(other)


def test_training_examples_are_valid_and_never_repeat_an_evaluation_question() -> None:
    """The example questions (knowledge_base/data/examples.jsonl) teach the search engine; the
    evaluation sets measure it, so no example may be one of their questions or a near copy of one."""
    from knowledge_base.search.examples import DEFAULT_PATH, parse_examples

    lines = [line for line in DEFAULT_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]
    codes = set(check_devset.load_catalogue(check_devset.CATALOGUE))
    examples = parse_examples(lines, known_codes=codes)
    assert len(examples) == len(lines) >= 500, "every line parses and names only known codes"
    assert len({e.question for e in examples}) == len(examples)

    def words(text: str) -> frozenset[str]:
        return frozenset(check_devset.norm_words(check_devset.strip_diacritics(text)).split())

    evaluation = []
    for item in evaluation_items():
        evaluation.extend(words(item[style]) for style in ("natural", "unaccented", "abbreviated"))
    containing: dict[str, list[int]] = collections.defaultdict(list)     # word -> evaluation questions
    for i, q in enumerate(evaluation):
        for word in q:
            containing[word].append(i)
    for e in examples:
        w = words(e.question)
        shared = collections.Counter(i for word in w for i in containing[word])
        close = [evaluation[i] for i, n in shared.items() if n / (len(w) + len(evaluation[i]) - n) >= 0.6]
        assert not close, (e.question, [" ".join(sorted(q)) for q in close[:2]])


CONVERSATION_SETS = ("dialogues_dev.jsonl", "dialogues_heldout.jsonl", "details_dev.jsonl", "details_heldout.jsonl")


def read_jsonl(name: str) -> list[dict]:
    return load_jsonl(check_devset.HERE / name)


def evaluation_items() -> list[dict]:
    """Every evaluated question: the retrieval sets, each dialogue turn, each yes/no detail question."""
    items = [item for name in ("devset.jsonl", "heldout.jsonl", "blind.jsonl") for item in read_jsonl(name)]
    for name in CONVERSATION_SETS:
        for item in read_jsonl(name):
            items.extend(item["turns"] if "turns" in item else [item])
    return items


@pytest.mark.parametrize("name", CONVERSATION_SETS)
def test_conversation_sets_name_real_procedures_and_quote_their_records(name: str) -> None:
    """Codes exist; a yes/no item's evidence is the record's own words; the unaccented style is the natural one."""
    from knowledge_base.service import load_procedures

    records = {p.code: p for p in load_procedures()}
    items = read_jsonl(name)
    turns = [t for item in items for t in item.get("turns", [item])]
    assert len(items) >= 30 and all(t["unaccented"] for t in turns)
    for turn in turns:
        codes = turn.get("acceptable") or [turn["procedure"]]
        assert all(c in records for c in codes), turn["natural"]
        same = check_devset.norm_words(check_devset.strip_diacritics(turn["natural"]))
        assert same == check_devset.norm_words(check_devset.strip_diacritics(turn["unaccented"])), turn["natural"]
        if turn.get("verdict"):
            assert turn["verdict"] in ("yes", "no", "undecided")
        if turn.get("evidence"):
            record = " ".join(json.dumps(records[codes[0]].to_dict(), ensure_ascii=False).split())
            assert " ".join(turn["evidence"].split()).replace('"', '\\"') in record, turn["evidence"]
