"""`journey record` never overwrites silently, can force random branches (saved in the
transcript, so `journey test` replays them) and takes a persona."""

from __future__ import annotations

import yaml
from library_testutil import FIXTURES

from sandbox.cli import main

PLAN = FIXTURES / "plan_upgrade_wide.yaml"


def test_record_refuses_to_overwrite_without_force(tmp_path, capsys):
    out = tmp_path / "t.yaml"
    args = ["journey", "record", str(PLAN), "--policy", "expert", "--seed", "3", "-o", str(out)]
    assert main(args) == 0
    before = out.read_bytes()
    assert main([*args[:-2], "--seed", "4", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "exists" in err and "--force" in err and out.read_bytes() == before
    assert main([*args, "--force"]) == 0
    # the default file name is refused the same way
    default = ["journey", "record", str(PLAN), "--choices", "let_go", "--persona", "churn_risk=0.9",
               "--persona", "segment=mass"]  # fmt: skip
    folder = tmp_path / "lib"
    folder.mkdir()
    copy = folder / PLAN.name
    copy.write_bytes(PLAN.read_bytes())
    default[2] = str(copy)
    assert main(default) == 0
    assert main(default) == 1 and "--force" in capsys.readouterr().err
    assert main([*default, "--force"]) == 0


def test_record_forces_a_random_branch_and_test_replays_it(tmp_path, capsys):
    out = tmp_path / "browsing.yaml"
    base = ["journey", "record", str(PLAN), "--persona", "churn_risk=0.1", "-o", str(out)]
    for seed in range(6):  # whatever the seed draws, the forced branch is taken
        code = main([*base, "--seed", str(seed), "--branch", "opening=browsing",
                     "--choices", "end_call", "--force"])  # fmt: skip
        assert code == 0, capsys.readouterr().err
        doc = yaml.safe_load(out.read_text(encoding="utf-8"))
        assert doc["branches"] == {"opening": "browsing"}
        assert doc["persona"] == {"churn_risk": 0.1}
        assert [s["node"] for s in doc["steps"]] == ["browsing"]
        assert main(["journey", "test", str(out)]) == 0
    capsys.readouterr()
    code = main([*base, "--branch", "opening=nowhere", "--choices", "end_call", "--force"])
    err = capsys.readouterr().err
    assert code == 1 and "no branch 'nowhere'" in err and "needs, browsing" in err
    code = main([*base, "--branch", "needs=close", "--choices", "end_call", "--force"])
    assert code == 1 and "no random route" in capsys.readouterr().err
