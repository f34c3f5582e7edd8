"""`shapan erlang`: Erlang C / Erlang A staffing figures from the command line.

Exit status: 0 figures printed, 1 the queue is unstable (Erlang C with agents <= load),
2 usage (argparse, or a value out of range).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from sandbox.cli.common import UserError, add_command, add_json_flag, emit_json
from sandbox.limits import (
    MAX_ARRIVALS_PER_HOUR,
    MAX_ERLANG_AGENTS,
    MAX_PATIENCE_MEAN_S,
    MAX_SERVICE_MEAN_S,
)

_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("offered_load", "offered load (Erlang)", "话务量", "{:.3f}"),
    ("occupancy", "occupancy", "占用率", "{:.2%}"),
    ("p_wait", "P(wait)", "需排队概率", "{:.4f}"),
    ("service_level", "service level", "服务水平", "{:.2%}"),
    ("sl_offered", "  of offered", "占呼入", "{:.2%}"),
    ("sl_answered", "  of answered", "占接通", "{:.2%}"),
    ("asa_s", "ASA (s)", "平均应答速度", "{:.1f}"),
    ("e_wq_s", "E[Wq] (s)", "平均排队时长", "{:.1f}"),
    ("p_abandon", "P(abandon)", "放弃率", "{:.4f}"),
)


def _positive(kind: type[float] | type[int], hi: float = math.inf) -> Callable[[str], float | int]:
    """A number above 0 and at most `hi` (docs/limits.md: the formulas sum over the agents)."""

    def parse(text: str) -> float | int:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        if value > hi:
            raise argparse.ArgumentTypeError(f"must be at most {hi:g}, got {text}")
        return value

    return parse


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and 0 <= value <= 86400):
        raise argparse.ArgumentTypeError(f"must be from 0 to 86400 seconds, got {text}")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    parser = add_command(
        sub,
        "erlang",
        _run,
        help="Erlang C / Erlang A queue figures (排队理论：Erlang C / Erlang A)",
    )
    parser.add_argument(
        "--arrivals-per-hour",
        type=_positive(float, MAX_ARRIVALS_PER_HOUR * 10),
        required=True,
        metavar="X",
        help="contacts offered per hour / 每小时呼入量",
    )
    parser.add_argument(
        "--aht-s",
        type=_positive(float, MAX_SERVICE_MEAN_S),
        required=True,
        metavar="S",
        help="average handle time in seconds / 平均处理时长（秒）",
    )
    parser.add_argument(
        "--agents",
        type=_positive(int, MAX_ERLANG_AGENTS),
        required=True,
        metavar="N",
        help="agents staffed / 坐席数",
    )
    parser.add_argument(
        "--patience-s",
        type=_positive(float, MAX_PATIENCE_MEAN_S),
        default=None,
        metavar="P",
        help="mean patience in seconds: use Erlang A (M/M/n+M) / 平均耐心（秒）",
    )
    parser.add_argument(
        "--threshold-s",
        type=_non_negative,
        default=20.0,
        metavar="T",
        help="service-level threshold in seconds (default 20) / 服务水平阈值",
    )
    add_json_flag(parser)


def _run(args: argparse.Namespace) -> int:
    from sandbox import erlang

    lam = args.arrivals_per_hour / 3600.0
    try:
        if args.patience_s is None:
            fig = erlang.erlang_c(lam, args.aht_s, args.agents, args.threshold_s)
        else:
            fig = erlang.erlang_a(lam, args.aht_s, args.agents, args.patience_s, args.threshold_s)
    except erlang.UnstableQueueError as err:
        load = lam * args.aht_s
        if args.json:
            emit_json(
                {
                    "model": "erlang_c",
                    "stable": False,
                    "agents": args.agents,
                    "offered_load": load,
                    "message": str(err),
                }
            )
            return 1
        try:
            need = erlang.agents_for_service_level(lam, args.aht_s, 0.8, args.threshold_s).agents
            reach = f"; {need} reach 80% answered within {args.threshold_s:g} s"
        except ValueError:  # beyond the agents the search tries
            reach = ""
        raise UserError(
            f"{err}. Add agents (at least {math.floor(load) + 1}{reach}) or pass --patience-s "
            "to use Erlang A, where abandonment keeps the queue finite."
        ) from None
    except ValueError as err:  # pragma: no cover - argparse already checks ranges
        raise UserError(str(err), exit_code=2) from None
    doc = {"stable": True, **fig.as_dict()}
    if args.json:
        emit_json(doc)
        return 0
    title = "Erlang A (M/M/n+M)" if fig.model == "erlang_a" else "Erlang C (M/M/n)"
    print(
        f"{title}: {args.agents} agents, {args.arrivals_per_hour:g}/h, AHT {args.aht_s:g}s"
        + (f", patience {args.patience_s:g}s" if args.patience_s else "")
        + f", threshold {args.threshold_s:g}s"
    )
    for key, en, zh, fmt in _ROWS:
        if fig.model == "erlang_c" and key in ("sl_offered", "sl_answered", "p_abandon", "e_wq_s"):
            continue
        print(f"  {en:<22} {fmt.format(doc[key]):>10}  {zh}")
    if fig.model == "erlang_a":
        print("  service level = answered within T / (answered + abandoned after T)")
    return 0
