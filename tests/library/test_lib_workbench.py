"""`shapan journey bots` (through the engine's offline play) and `watch`."""

from __future__ import annotations

import io
import json

from journeys.library import library_dir
from sandbox.cli import main
from sandbox.workbench.bots import run_bots
from sandbox.workbench.watch import watch

JOURNEY = library_dir() / "package_downgrade_refund.yaml"


def test_bots_are_deterministic_whatever_the_worker_count():
    one = run_bots(JOURNEY, runs=100, seed=3, workers=1, predict=False)
    two = run_bots(JOURNEY, runs=100, seed=3, workers=2, predict=False)
    assert one.to_json() == two.to_json()
    assert one.ranking_ok
    by = {p.policy: p for p in one.policies}
    assert by["expert"].mean_score > by["random"].mean_score
    assert sum(by["expert"].outcomes.values()) == 100


def test_bots_cli_json_has_the_contract_fields(capsys):
    assert (
        main(
            [
                "journey",
                "bots",
                str(JOURNEY),
                "--runs",
                "30",
                "--seed",
                "2",
                "--policy",
                "expert",
                "--policy",
                "novice",
                "--json",
            ]
        )
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert [p["policy"] for p in doc["policies"]] == ["expert", "novice"]
    for p in doc["policies"]:
        assert {"policy", "runs", "mean_score", "outcomes"} <= set(p)
        assert p["runs"] == 30 and 1.0 <= p["csat_mean"] <= 5.0
        assert 0.0 <= p["churn_mean"] <= 1.0
    assert isinstance(doc["suggested_pass_mark"], float)


def test_bots_cli_usage_errors(capsys):
    assert main(["journey", "bots", str(JOURNEY), "--policy", "genius"]) == 2
    assert "genius" in capsys.readouterr().err
    assert main(["journey", "bots", str(JOURNEY), "--runs", "0"]) == 2


def test_watch_revalidates_on_every_save(tmp_path):
    src = (library_dir() / "privacy_trap.yaml").read_text(encoding="utf-8")
    common = tmp_path / "common"
    common.mkdir()
    for f in (library_dir() / "common").glob("*.yaml"):
        (common / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    path = tmp_path / "privacy_trap.yaml"
    path.write_text(src, encoding="utf-8")
    out = io.StringIO()
    edits = [
        lambda: path.write_text(
            src.replace("goto: insist\n", "goto: insits\n", 1), encoding="utf-8"
        ),
        lambda: path.write_text(src + "\n", encoding="utf-8"),
        lambda: (common / "closing.yaml").write_text(
            (common / "closing.yaml").read_text(encoding="utf-8") + "\n# touched\n",
            encoding="utf-8",
        ),
    ]
    cycles = {"n": 0}

    def sleep(_):
        if cycles["n"] < len(edits):
            edits[cycles["n"]]()
        cycles["n"] += 1

    assert (
        watch(path, out, interval=0.0, should_stop=lambda: cycles["n"] > len(edits), sleep=sleep)
        == 0
    )
    text = out.getvalue()
    reports = [ln for ln in text.splitlines() if ln.startswith("[")]
    assert len(reports) == 4, text  # initial + one per save, the include's save included
    assert "OK" in reports[0] and "1 error(s)" in reports[1] and "OK" in reports[2]
    assert "insits" in text
