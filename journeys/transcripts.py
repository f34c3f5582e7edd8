"""Golden transcripts: record a play-through of a journey, replay it as a regression test.

Why: a designer who edits a journey wants to know at once if a play-through that used to work
now says different lines, scores differently or ends elsewhere. A transcript stores everything
needed to replay (journey id, seed, persona, the choices) and what was observed (lines said,
score, risks, node reached after each choice; final outcome, score and risks). Replay reports
the FIRST divergence precisely (step, field, expected, actual), because later differences
usually follow from the first.

File format (YAML, one document; `shapan journey record` writes it):

    transcript: 1                        # format version
    journey_id: package_downgrade_refund # (not `journey:`, so folder scans never take it for one)
    journey_path: ../../package_downgrade_refund.yaml   # relative to this file (optional)
    content_hash: 3f2a...                # of the journey when recorded (a change is a note)
    seed: 7
    persona: {anger: 7, trust: 3}        # or null
    recorded_with: policy expert         # free text: how the choices were made
    start: {node: greet.hello, lines: [{id: greet.connected, speaker: system, zh-CN: ..., en: ...}]}
    steps:
      - {node: greet.hello, choice: warm, score: 1.0, risks: [], to: complaint, lines: [...]}
    expect: {outcome: resolved, score: 27.0, risks: [], time_s: 215.0}

Loaded with the strict YAML layer (never `yaml.load`), written with `yaml.safe_dump`. Writing the
file atomically is the caller's job (`sandbox.fileio`), as `journeys` never imports `sandbox`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from journeys.model import Journey, Line
from journeys.runtime import MAX_DECISIONS, JourneyRun, JourneyRunError, StepResult

TRANSCRIPT_FORMAT = 1
#: Scores are compared with this tolerance (they are sums of decimal literals).
SCORE_TOLERANCE = 1e-9


class TranscriptError(Exception):
    """A transcript file that cannot be read: `location` is `path[:line:column]`."""

    def __init__(self, message: str, location: str):
        super().__init__(f"{location}: {message}")
        self.message = message
        self.location = location


@dataclass
class Transcript:
    journey: str
    content_hash: str
    seed: int
    persona: dict[str, Any] | None
    start: dict[str, Any]
    steps: list[dict[str, Any]]
    expect: dict[str, Any]
    recorded_with: str = ""
    journey_path: str | None = None
    path: str | None = None  # where it was loaded from
    branches: dict[str, str] | None = None  # forced random branches: node -> branch

    @property
    def choices(self) -> list[str]:
        return [s["choice"] for s in self.steps]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"transcript": TRANSCRIPT_FORMAT, "journey_id": self.journey}
        if self.journey_path:
            out["journey_path"] = self.journey_path
        out.update(
            {
                "content_hash": self.content_hash,
                "seed": self.seed,
                "persona": self.persona,
                **({"branches": self.branches} if self.branches else {}),
                "recorded_with": self.recorded_with,
                "start": self.start,
                "steps": self.steps,
                "expect": self.expect,
            }
        )
        return out

    def to_yaml(self) -> str:
        import yaml

        header = (
            f"# Golden transcript of journey '{self.journey}' (seed {self.seed}).\n"
            "# Replay: shapan journey test <this file>   Re-record: shapan journey record\n"
        )
        body = yaml.safe_dump(
            self.to_dict(), allow_unicode=True, sort_keys=False, width=100, default_flow_style=False
        )
        return header + body


@dataclass(frozen=True)
class Divergence:
    """The first place a replay differs from the recording."""

    step: int | None  # None = at start / at the end
    field: str  # node | choice | lines | score | risks | to | outcome | finished | time_s
    expected: Any
    actual: Any
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "field": self.field,
            "expected": self.expected,
            "actual": self.actual,
            "message": self.message,
        }


@dataclass
class ReplayResult:
    transcript: Transcript
    divergence: Divergence | None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.divergence is None

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.transcript.path,
            "journey": self.transcript.journey,
            "ok": self.ok,
            "steps": len(self.transcript.steps),
            "divergence": self.divergence.to_json() if self.divergence else None,
            "notes": self.notes,
        }


# --------------------------------------------------------------------------- recording
def _lines(lines: tuple[Line, ...]) -> list[dict[str, Any]]:
    return [
        {"id": ln.id, "speaker": ln.speaker, "zh-CN": ln.text["zh-CN"], "en": ln.text["en"]}
        for ln in lines
    ]


def _step_record(node: str, res: StepResult) -> dict[str, Any]:
    return {
        "node": node,
        "choice": res.choice_id,
        "score": float(res.score),
        "risks": list(res.risks),
        "to": res.node_id,
        "lines": _lines(res.lines),
    }


Chooser = Callable[[JourneyRun], str]


def record(
    journey: Journey,
    seed: int,
    chooser: Chooser,
    persona: Mapping[str, Any] | None = None,
    recorded_with: str = "",
    max_steps: int = MAX_DECISIONS,
    on_step: Callable[[StepResult], None] | None = None,
    branches: Mapping[str, str] | None = None,
) -> Transcript:
    """Play `journey` choosing with `chooser(run) -> choice id` until it ends; `on_step` sees
    every StepResult (the start included), e.g. to print the lines in an interactive session."""
    run = JourneyRun(journey, seed, persona, branches=branches)
    first = run.start()
    if on_step:
        on_step(first)
    start = {"node": run.node_id, "lines": _lines(first.lines)}
    steps: list[dict[str, Any]] = []
    while not run.finished:
        if len(steps) >= max_steps:
            raise JourneyRunError(f"the journey did not end within {max_steps} choices")
        node = run.node_id
        res = run.choose(chooser(run))
        if on_step:
            on_step(res)
        steps.append(_step_record(node, res))
    return Transcript(
        journey=journey.id,
        content_hash=journey.content_hash,
        seed=int(seed),
        persona=dict(persona) if persona is not None else None,
        start=start,
        steps=steps,
        expect={
            "outcome": run.outcome,
            "score": float(run.score),
            "risks": list(run.risks),
            "time_s": float(run.time_s),
        },
        recorded_with=recorded_with,
        branches=dict(branches) if branches else None,
    )


def choices_chooser(choice_ids: list[str]) -> Chooser:
    """Play a fixed list of choice ids; running out before the end is an error."""
    remaining = list(choice_ids)

    def choose(run: JourneyRun) -> str:
        if not remaining:
            offered = ", ".join(v.id for v in run.choices())
            raise JourneyRunError(
                f"the journey has not ended after {len(choice_ids)} choices; at node "
                f"'{run.node_id}' it offers: {offered} — add more to --choices"
            )
        return remaining.pop(0)

    return choose


def policy_chooser(policy: str, seed: int) -> Chooser:
    """Let a bot policy play; its own stream is derived from the seed (never the run's)."""
    from journeys import policies

    if policy not in policies.POLICIES:
        raise policies.PolicyError(
            f"unknown policy '{policy}'; choose one of {', '.join(policies.POLICIES)}"
        )
    rng = random.Random(f"policy:{policy}:{seed}")
    return lambda run: policies.choose(policy, run, rng)


# --------------------------------------------------------------------------- loading
_TOP_FIELDS = (
    "transcript",
    "journey_id",
    "journey_path",
    "content_hash",
    "seed",
    "persona",
    "branches",
    "recorded_with",
    "start",
    "steps",
    "expect",
)


def load_transcript(path: str | Path) -> Transcript:
    """Read a transcript file strictly; raise `TranscriptError` naming file, line and fix."""
    from journeys.diagnostics import JourneyError
    from journeys.strict_yaml import load_file

    p = str(path)
    try:
        data = load_file(p)
    except JourneyError as err:
        d = err.diagnostics[0]
        raise TranscriptError(d.message, f"{d.path}:{d.line}:{d.column}") from None
    except OSError as err:
        raise TranscriptError(f"cannot read the file ({err.strerror})", p) from None

    def where(key: str | None = None) -> str:
        pos = data.value_pos(key) if key is not None and key in data else getattr(data, "pos", None)
        return f"{p}:{pos.line}:{pos.column}" if pos else p

    if not isinstance(data, dict):
        raise TranscriptError("a transcript is a mapping with `transcript: 1` at the top", p)
    unknown = [k for k in data if k not in _TOP_FIELDS]
    if unknown:
        raise TranscriptError(
            f"unknown field '{unknown[0]}' (allowed: {', '.join(_TOP_FIELDS)})", where(unknown[0])
        )
    if data.get("transcript") != TRANSCRIPT_FORMAT:
        raise TranscriptError(
            f"`transcript:` must be {TRANSCRIPT_FORMAT} (this file was written by another "
            "version); re-record it with `shapan journey record`",
            where("transcript"),
        )
    for key, typ in (
        ("journey_id", str),
        ("seed", int),
        ("steps", list),
        ("expect", dict),
        ("start", dict),
    ):
        if not isinstance(data.get(key), typ) or isinstance(data.get(key), bool):
            raise TranscriptError(
                f"`{key}` is missing or not a {typ.__name__}", where(key if key in data else None)
            )
    for i, step in enumerate(data["steps"]):
        if not isinstance(step, dict) or not isinstance(step.get("choice"), str):
            pos = data["steps"].item_pos(i)
            raise TranscriptError(
                f"step {i + 1} needs at least `choice: <choice id>`", f"{p}:{pos.line}:{pos.column}"
            )
    persona = data.get("persona")
    if persona is not None and not isinstance(persona, dict):
        raise TranscriptError(
            "`persona` must be a mapping of persona fields or null", where("persona")
        )
    branches = data.get("branches")
    if branches is not None and not (
        isinstance(branches, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in branches.items())
    ):
        raise TranscriptError(
            "`branches` must map route node ids to the random branch taken", where("branches")
        )
    return Transcript(
        journey=data["journey_id"],
        content_hash=str(data.get("content_hash") or ""),
        seed=int(data["seed"]),
        persona=_plain(persona) if persona is not None else None,
        start=_plain(data["start"]),
        steps=[_plain(s) for s in data["steps"]],
        expect=_plain(data["expect"]),
        recorded_with=str(data.get("recorded_with") or ""),
        journey_path=data.get("journey_path"),
        path=p,
        branches=_plain(branches) if branches else None,
    )


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def find_transcripts(paths: list[str | Path]) -> list[Path]:
    """Transcript files among `paths` (folders are searched recursively for *.yaml)."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out += sorted(x for x in p.rglob("*.yaml") if x.is_file())
        else:
            out.append(p)
    return out


# --------------------------------------------------------------------------- replaying
def _line_key(line: Mapping[str, Any]) -> tuple:
    return (line.get("id"), line.get("speaker"), line.get("zh-CN"), line.get("en"))


def _compare_lines(step: int | None, expected: list, actual: list) -> Divergence | None:
    exp = [_line_key(x) for x in expected]
    act = [_line_key(x) for x in actual]
    if exp == act:
        return None
    for i, (e, a) in enumerate(zip(exp, act, strict=False)):
        if e != a:
            return Divergence(
                step,
                "lines",
                expected[i],
                actual[i],
                f'line {i + 1} differs: expected {e[0]!r} ({e[1]}) "{e[2]}", '
                f'got {a[0]!r} ({a[1]}) "{a[2]}"',
            )
    if len(exp) > len(act):
        return Divergence(
            step,
            "lines",
            expected[len(act)],
            None,
            f"line {len(act) + 1} ({exp[len(act)][0]!r}) is no longer said",
        )
    return Divergence(
        step, "lines", None, actual[len(exp)], f"an extra line {act[len(exp)][0]!r} is now said"
    )


def replay(transcript: Transcript, journey: Journey) -> ReplayResult:
    """Replay `transcript` on `journey`; stop at the first divergence."""
    result = ReplayResult(transcript, None)
    if transcript.content_hash and transcript.content_hash != journey.content_hash:
        result.notes.append(
            "the journey changed since recording (content hash differs); the play-through is "
            "checked anyway — re-record when the change is intended"
        )

    def fail(d: Divergence) -> ReplayResult:
        result.divergence = d
        return result

    try:
        run = JourneyRun(journey, transcript.seed, transcript.persona, branches=transcript.branches)
    except JourneyRunError as err:
        return fail(Divergence(None, "branches", transcript.branches, None, str(err)))
    first = run.start()
    exp_start = transcript.start
    if "node" in exp_start and run.node_id != exp_start["node"]:
        return fail(
            Divergence(
                None,
                "node",
                exp_start["node"],
                run.node_id,
                f"the run now starts at '{run.node_id}', expected '{exp_start['node']}'",
            )
        )
    if "lines" in exp_start:
        d = _compare_lines(None, exp_start["lines"], _lines(first.lines))
        if d:
            return fail(d)
    for i, step in enumerate(transcript.steps, start=1):
        if run.finished:
            return fail(
                Divergence(
                    i,
                    "finished",
                    "running",
                    run.outcome,
                    f"the journey already ended ({run.outcome}) before step {i}",
                )
            )
        if "node" in step and run.node_id != step["node"]:
            return fail(
                Divergence(
                    i,
                    "node",
                    step["node"],
                    run.node_id,
                    f"step {i}: expected to be at '{step['node']}', "
                    f"but the run is at '{run.node_id}'",
                )
            )
        offered = {v.id: v for v in run.choices(include_unavailable=True)}
        view = offered.get(step["choice"])
        if view is None or not view.available:
            if view is None:
                why = "does not exist here"
            else:
                assert view.reason is not None  # an unavailable choice says why
                why = f"is unavailable ({view.reason['en']})"
            avail = ", ".join(v.id for v in run.choices())
            return fail(
                Divergence(
                    i,
                    "choice",
                    step["choice"],
                    sorted(offered),
                    f"step {i}: choice '{step['choice']}' {why} at "
                    f"'{run.node_id}'; available: {avail}",
                )
            )
        res = run.choose(step["choice"])
        if "score" in step and abs(float(step["score"]) - res.score) > SCORE_TOLERANCE:
            return fail(
                Divergence(
                    i,
                    "score",
                    step["score"],
                    res.score,
                    f"step {i} ({step['choice']}): score {res.score:g}, "
                    f"expected {float(step['score']):g}",
                )
            )
        if "risks" in step and list(step["risks"]) != list(res.risks):
            return fail(
                Divergence(
                    i,
                    "risks",
                    step["risks"],
                    list(res.risks),
                    f"step {i} ({step['choice']}): risks {list(res.risks)}, "
                    f"expected {step['risks']}",
                )
            )
        if "lines" in step:
            d = _compare_lines(i, step["lines"], _lines(res.lines))
            if d:
                return fail(d)
        if "to" in step and res.node_id != step["to"]:
            return fail(
                Divergence(
                    i,
                    "to",
                    step["to"],
                    res.node_id,
                    f"step {i} ({step['choice']}) now leads to '{res.node_id}', "
                    f"expected '{step['to']}'",
                )
            )
    exp = transcript.expect
    if not run.finished:
        avail = ", ".join(v.id for v in run.choices())
        return fail(
            Divergence(
                None,
                "finished",
                exp.get("outcome"),
                None,
                f"after all {len(transcript.steps)} recorded choices the journey "
                f"has not ended (at '{run.node_id}', offering {avail})",
            )
        )
    if "outcome" in exp and run.outcome != exp["outcome"]:
        return fail(
            Divergence(
                None,
                "outcome",
                exp["outcome"],
                run.outcome,
                f"outcome {run.outcome}, expected {exp['outcome']}",
            )
        )
    if "score" in exp and abs(float(exp["score"]) - run.score) > SCORE_TOLERANCE:
        return fail(
            Divergence(
                None,
                "score",
                exp["score"],
                run.score,
                f"total score {run.score:g}, expected {float(exp['score']):g}",
            )
        )
    if "risks" in exp and list(exp["risks"]) != list(run.risks):
        return fail(
            Divergence(
                None,
                "risks",
                exp["risks"],
                list(run.risks),
                f"risks {list(run.risks)}, expected {exp['risks']}",
            )
        )
    if "time_s" in exp and abs(float(exp["time_s"]) - run.time_s) > 1e-6:
        return fail(
            Divergence(
                None,
                "time_s",
                exp["time_s"],
                run.time_s,
                f"agent time {run.time_s:g}s, expected {float(exp['time_s']):g}s",
            )
        )
    return result


def journey_for(transcript: Transcript) -> Journey:
    """The journey a transcript was recorded on: its `journey_path` (relative to the file),
    else the shipped journey of that id."""
    from journeys.loader import load_journey

    if transcript.journey_path and transcript.path:
        candidate = Path(transcript.path).parent / transcript.journey_path
        if candidate.exists():
            return load_journey(candidate)
    from journeys.library import load_shipped

    return load_shipped(transcript.journey)
