"""The evaluation sets stay valid: every code exists in its group, styles agree, counts hold."""
from __future__ import annotations

import json

from knowledge_base.eval import check_devset


def test_dev_set_is_valid(capsys) -> None:
    assert check_devset.main([]) == 0, capsys.readouterr().out


def test_held_out_set_is_valid_and_disjoint_from_the_dev_set(capsys) -> None:
    heldout = check_devset.HERE / "heldout.jsonl"
    assert check_devset.main(["--devset", str(heldout), "--min-questions", "100",
                              "--min-procedures", "60"]) == 0, capsys.readouterr().out

    def naturals(name: str) -> set[str]:
        lines = (check_devset.HERE / name).read_text(encoding="utf-8").splitlines()
        return {check_devset.norm_words(json.loads(line)["natural"]) for line in lines if line.strip()}

    assert not naturals("heldout.jsonl") & naturals("devset.jsonl")
