"""The KPI catalogue is the only source of KPI names and formats: report, CLI and no copies.

Why: the HTML report, the screens and the CLI each kept their own KPI labels and number
formats and drifted apart. Here the report and the `shapan run` table are rendered for real and
every KPI they show is compared with `sandbox.kpi_catalogue`; the screens are checked the same
way in tests/ui/test_kpi_screens.py.
"""

from __future__ import annotations

import json
import random
import re
from html import unescape
from pathlib import Path

import pytest
from analytics_records import finish, make_record

from sandbox import kpi_catalogue as kc
from sandbox import report
from sandbox.cli import main
from sandbox.kpis import KpiAccumulator
from sandbox.results import build_results

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def results() -> dict:
    rng = random.Random(5)
    acc = KpiAccumulator(seed=1, sample_size=40)
    for i in range(200):
        rec = make_record(i, rng, human=(i % 90 == 3))
        acc.arrival(rec["channel"], t=rec["arrived_at"])
        acc.answered(rec["wait_s"], rec["channel"], t=rec["arrived_at"])
        acc.staffed(rec["agent_id"], 900.0)
        acc.agent_busy(rec["agent_id"], rec["handle_s"])
        finish(acc, rec)
    targets = {"service_level": 0.8, "aht_s": 240, "risk_points": 10, "csat_mean": 4.0}
    return build_results(
        acc, seed=3, scenario={"name": "practice", "hash": "f" * 64}, journeys={"j": "e" * 64},
        model_version="m", duration_s=3000.0, targets=targets,
    )  # fmt: skip


def test_every_kpi_has_both_names_a_unit_and_a_direction() -> None:
    assert len(kc.KPI_KEYS) == 17 and tuple(k.key for k in kc.CATALOGUE) == kc.KPI_KEYS
    for kpi in kc.CATALOGUE:
        assert kpi.zh and kpi.en and kpi.zh != kpi.en
        assert kpi.unit in ("count", "rate", "seconds", "csat")
        assert kpi.better in ("higher", "lower")
    for lang in kc.LANGS:  # no two KPIs share a name
        assert len(set(kc.labels(lang).values())) == len(kc.KPI_KEYS)
    assert kc.label("fcr", "zh-CN") == "一次解决率" and kc.label("aht_s", "en") == "AHT"


def test_values_read_the_same_everywhere() -> None:
    assert kc.format_value("service_level", 0.8123) == "81.2%"
    assert kc.format_value("aht_s", 312.4) == "5:12"
    assert kc.format_value("asa_s", 17.1) == "0:17"
    assert kc.format_value("aht_s", 3725) == "1:02:05"
    assert kc.format_value("csat_mean", 3.8449) == "3.84"
    assert kc.format_value("contacts", 40123) == "40,123"
    assert kc.format_value("risk_points", 3.0) == "3"
    for missing in (None, float("nan"), "n/a"):
        assert kc.format_value("fcr", missing) == "—"
    for lang in kc.LANGS:  # a value is written the same way in both languages
        assert kc.format_value("service_level", 0.8123, lang) == "81.2%"


def test_differences_to_target_carry_the_unit_in_the_readers_language() -> None:
    assert kc.format_delta("service_level", -0.06, "en") == "−6.0 pp"
    assert kc.format_delta("service_level", -0.06, "zh-CN") == "−6.0个百分点"
    assert kc.format_delta("aht_s", 48, "en") == "+48 s"
    assert kc.format_delta("aht_s", 48, "zh-CN") == "+48秒"
    assert kc.format_delta("csat_mean", 0.001) == "±0.00"
    assert kc.format_delta("risk_points", -1200) == "−1,200"
    assert kc.format_delta("fcr", None) == ""


def test_targets_compare_in_the_kpis_direction() -> None:
    assert kc.met("aht_s", 300, 360) is True and kc.met("aht_s", 400, 360) is False
    assert kc.met("fcr", 0.6, 0.7) is False and kc.met("fcr", 0.7, 0.7) is True
    assert kc.met("fcr", None, 0.7) is None and kc.met("fcr", 0.7, None) is None
    assert kc.format_target("aht_s", 300) == "≤5:00"
    assert kc.format_target("service_level", 0.8) == "≥80.0%"
    assert kc.format_target("service_level", None) == ""
    rows = kc.target_rows({"aht_s": 300.0, "fcr": None}, {"aht_s": 360, "fcr": 0.7})
    assert rows["aht_s"] == {
        "value": 300.0, "target": 360.0, "delta": -60.0, "better": "lower", "met": True,
    }  # fmt: skip
    assert rows["fcr"]["met"] is None and rows["fcr"]["better"] == "higher"


@pytest.mark.parametrize("lang", kc.LANGS)
def test_the_report_shows_the_catalogues_names_and_values(results: dict, lang: str) -> None:
    html = report.render_report(results, lang=lang)
    tiles = re.findall(
        r'data-kpi="(\w+)"><div class="label">(.*?)</div><div class="value">(.*?)</div>'
        r'<div class="target">(.*?)</div>',
        html,
    )
    assert [key for key, *_ in tiles] == list(kc.KPI_KEYS)
    for key, label, value, target in tiles:
        assert unescape(label) == kc.label(key, lang)
        assert unescape(value) == kc.format_value(key, results["kpis"][key], lang)
        row = results["kpi_vs_target"].get(key)
        if row:
            assert kc.format_target(key, row["target"], lang) in unescape(target)
            assert kc.format_delta(key, row["delta"], lang) in unescape(target)
    # the per-agent and per-channel tables head their columns with the same names
    for section in ("agents", "channels"):
        title = report.TEXT[section][lang]
        table = html.split(f"<h2>{title}</h2>", 1)[1].split("</table>", 1)[0]
        headers = [unescape(h) for h in re.findall(r"<th>(.*?)</th>", table)]
        kpi_headers = [h for h in headers[1:] if h]
        assert kpi_headers and set(kpi_headers) <= set(kc.labels(lang).values())


def test_the_cli_table_shows_the_catalogues_names_and_values(tmp_path, capsys) -> None:
    code = main(["run", "--scenario", "erlang", "--hours", "0.25", "--seed", "4",
                 "--out", str(tmp_path / "out"), "--no-db", "--no-report"])  # fmt: skip
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    doc = json.loads((tmp_path / "out" / "results.json").read_text("utf-8"))
    rows = lines[2 : 2 + len(kc.KPI_KEYS)]
    for key, line in zip(kc.KPI_KEYS, rows, strict=True):
        name = f"{kc.label(key, 'zh-CN')} {kc.label(key, 'en')}"
        assert line.startswith(name + " ")
        cells = line[len(name) :].split()
        assert cells[0] == kc.format_value(key, doc["kpis"][key])
        target = doc["kpi_vs_target"].get(key)
        if target:
            assert cells[1] == kc.format_target(key, target["target"])


def test_no_other_module_keeps_a_kpi_table() -> None:
    """No second table of KPI names, units or directions anywhere in the code.

    A KPI name table is several KPI keys mapped to {"zh-CN": ...} texts (one such key alone is
    an ordinary UI string that happens to share the word, like the "contacts" page title).
    """
    keys = "|".join(kc.KPI_KEYS)
    named = re.compile(rf'"({keys})"\s*:\s*\{{\s*"zh-CN"')
    units = re.compile(rf'"({keys})"\s*:\s*"(count|rate|seconds|csat)"')
    tables = re.compile(r"\b(LOWER_IS_BETTER|KPI_LABELS|KPI_UNITS)\s*[:=]")
    offenders = []
    for package in ("sandbox", "ui", "journeys", "customer_models"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == ROOT / "sandbox" / "kpi_catalogue.py":
                continue
            text = path.read_text(encoding="utf-8")
            found = [m.group(0) for m in (*units.finditer(text), *tables.finditer(text))]
            names = {m.group(1) for m in named.finditer(text)}
            if len(names) >= 3:
                found.append(f"names for {sorted(names)}")
            offenders += [f"{path.relative_to(ROOT)}: {f}" for f in found]
    assert offenders == []
