"""The self-contained HTML report: valid, images embedded, both languages, escaped."""

from __future__ import annotations

import base64
import random
import re
from html.parser import HTMLParser

import pytest
from analytics_records import finish, make_record

from sandbox import report
from sandbox.kpis import KpiAccumulator
from sandbox.results import build_results

VOID = {"meta", "img", "br", "hr", "input", "link"}


class _Checker(HTMLParser):
    """Checks that every non-void element is closed in order."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "img":
            self.images.append(dict(attrs)["src"])
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with open {self.stack[-3:]}")
        else:
            self.stack.pop()


@pytest.fixture(scope="module")
def results() -> dict:
    rng = random.Random(11)
    acc = KpiAccumulator(seed=1, sample_size=80)
    for i in range(400):
        rec = make_record(i, rng, human=(i % 150 == 3))
        if i == 3:
            rec["decisions"][0]["risks"] = ["privacy_breach"]
            rec["title"] = {"zh-CN": "<script>alert(1)</script>", "en": "<script>alert(1)</script>"}
        acc.arrival(rec["channel"], t=rec["arrived_at"])
        if i % 17 == 0:
            acc.abandoned(35.0, rec["channel"], t=rec["arrived_at"])
            continue
        acc.answered(rec["wait_s"], rec["channel"], t=rec["arrived_at"])
        acc.staffed(rec["agent_id"], 900.0)
        acc.agent_busy(rec["agent_id"], rec["handle_s"])
        finish(acc, rec)
    return build_results(
        acc, seed=3, scenario={"name": "practice", "hash": "f" * 64}, journeys={"j": "e" * 64},
        model_version="m", duration_s=3000.0, targets={"service_level": 0.8, "aht_s": 240},
    )  # fmt: skip


def _check(html: str) -> _Checker:
    checker = _Checker()
    checker.feed(html)
    checker.close()
    assert checker.errors == [] and checker.stack == []
    return checker


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_report_is_valid_self_contained_html(results: dict, lang: str) -> None:
    html = report.render_report(results, lang=lang)
    checker = _check(html)
    assert len(checker.images) == len(report.CHARTS)
    for src in checker.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing fetched from outside
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert f'lang="{lang}"' in html
    if lang == "zh-CN":
        assert "服务水平" in html and "能力雷达" in html and "隐私泄露" in html
        assert "先共情再处理。" in html
        assert "大众客户 · 老年" in html and "账单投诉" in html
        assert "首次解决提升满意度" in html and "+0.041" in html
    else:
        assert "Service level" in html and "Rubric radar" in html and "privacy breach" in html
        assert "Empathy first, then the fix." in html
        assert "mass market · elderly" in html and "Billing complaint" in html
    # knowledge by its title, never by its id (no raw ids on screen)
    assert ("先认可情绪" if lang == "zh-CN" else "Acknowledge feelings") in html
    assert "kb.empathy.acknowledge" not in html
    assert html.count("data-kpi=") == 17
    assert 'data-kpi="service_level"' in html


def test_chinese_charts_need_a_cjk_font() -> None:
    # pygame_gui (installed with the ui extra) ships Noto Sans SC
    assert report.cjk_font() is not None
    assert report.chart_lang("zh-CN") == "zh-CN"


def test_english_chart_labels_without_a_cjk_font(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report, "_font_family", lambda: None)
    assert report.chart_lang("zh-CN") == "en"
    assert report.chart_lang("en") == "en"


def test_empty_session_renders(results: dict) -> None:
    empty = build_results(
        KpiAccumulator(), seed=1, scenario={"name": "x", "hash": "0"}, journeys={},
        model_version=None, duration_s=0.0,
    )  # fmt: skip
    html = report.render_report(empty, lang="en")
    _check(html)
    assert "no data" in html and "No contacts were handled by a human seat" in html


def test_unknown_language_is_refused(results: dict) -> None:
    with pytest.raises(ValueError, match="unknown language"):
        report.render_report(results, lang="fr")
