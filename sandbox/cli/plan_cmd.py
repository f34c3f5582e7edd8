"""`shapan plan`: a scenario's workforce plan — agents required per interval against scheduled.

Exit status: 0 the plan was printed; 1 the scenario has an error (printed as
`path:line:column: error SCnnn: message`) or no `staffing:` block; 2 usage.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sandbox.cli.common import UserError, add_command, add_json_flag, emit_json


def register(sub: argparse._SubParsersAction) -> None:
    parser = add_command(
        sub,
        "plan",
        _plan,
        help="print a scenario's staffing plan: Erlang A agents required per interval vs "
        "scheduled (排班计划：每时段所需与已排座席)",
    )
    parser.add_argument("--scenario", required=True, metavar="NAME|PATH",
                        help="a shipped scenario (e.g. full-day) or a scenario YAML file")  # fmt: skip
    parser.add_argument("--lang", default="zh-CN", choices=("zh-CN", "en"), help="table language")
    add_json_flag(parser)


_HEAD = {
    "zh-CN": ("渠道", "队列", "时段", "预测量", "所需(Erlang A)", "含缩减", "已排班", "可用",
              "预计服务水平"),
    "en": ("channel", "queue", "interval", "forecast", "required (Erlang A)", "with shrinkage",
           "scheduled", "available", "predicted SL"),
}  # fmt: skip


def _plan(args: argparse.Namespace) -> int:
    from sandbox.scenario import ScenarioError, load_scenario
    from sandbox.staffing import PlanError, plan

    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as err:
        for d in err.diagnostics:
            text = d.render() if d.code != "SC021" else f"error {d.code}: {d.message}"
            print(text, file=sys.stderr)
        return 1
    try:
        rows = plan(scenario)
    except PlanError as err:
        raise UserError(str(err), exit_code=1) from None
    spec = scenario.staffing
    assert spec is not None
    if args.json:
        emit_json(
            {
                "scenario": scenario.name,
                "target": spec.target,
                "threshold_s": scenario.threshold_s,
                "shrinkage": spec.shrinkage,
                "forecast": {
                    name: {"aht_s": f.aht_s, "patience_s": f.patience_s}
                    for name, f in spec.channels.items()
                },
                "rows": [r.as_dict() for r in rows],
            }
        )
        return 0
    _print(scenario, rows, args.lang)
    return 0


def _clock(scenario: Any, t: float) -> str:
    total = int(scenario.start_clock_s + t) % 86400
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}"


def _print(scenario: Any, rows: list[Any], lang: str) -> None:
    spec = scenario.staffing
    if lang == "zh-CN":
        print(f"排班计划 — {scenario.name}：目标 {spec.target:.0%}/{scenario.threshold_s:g} 秒，"
              f"缩减 {spec.shrinkage:.0%}（Erlang A；预测不含日/时段波动）")  # fmt: skip
    else:
        print(f"staffing plan — {scenario.name}: target {spec.target:.0%}/{scenario.threshold_s:g} s,"
              f" shrinkage {spec.shrinkage:.0%} (Erlang A; the forecast has no day or interval "
              "factor)")  # fmt: skip
    head = _HEAD[lang]
    widths = (8, 10, 12, 9, 16, 9, 9, 9, 10)
    print("".join(_cell(h, w) for h, w in zip(head, widths, strict=True)))
    for r in rows:
        cells = (
            r.channel,
            r.kind or "—",
            f"{_clock(scenario, r.start_s)}-{_clock(scenario, r.end_s)}",
            f"{r.forecast:,.0f}",
            f"{r.required}",
            f"{r.required_with_shrinkage}",
            f"{r.scheduled:.0f}",
            f"{r.available:.0f}",
            "—" if r.predicted_sl is None else f"{r.predicted_sl:.1%}",
        )
        print("".join(_cell(c, w) for c, w in zip(cells, widths, strict=True)))


def _cell(text: str, width: int) -> str:
    """Left-justify by display width (CJK characters take two columns)."""
    import unicodedata

    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(1, width - used)
