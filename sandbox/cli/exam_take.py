"""`shapan exam take`: the scripted desk — a bot candidate taking an exam through `ExamTaking`.

Online (`URL --code CODE`) it is a desk like any other: it opens (or resumes) the attempt,
streams each decision to the server and paces itself in wall time against the server clock
(with `shapan serve --clock-speed 60` a 40-minute exam takes about 40 s). It keeps nothing
local that matters, so it can be killed at any instant and re-run with the same code to
resume; its choices depend only on (contact, decision number, --seed), so an interrupted and
an uninterrupted run choose alike. Offline (`EXAM_FILE`) it takes an unproctored practice
exam on the local clock (`--clock-speed` to rehearse faster).

Exit status: 0 graded (pass or fail), 1 the attempt cannot be taken (unknown code, a changed
exam, the server unreachable), 2 usage.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from sandbox.cli.common import UserError, add_command, add_json_flag, emit_json

#: how long to keep trying an unreachable server (open, finish) before giving up
PATIENCE_S = 30.0


def register_take(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = add_command(
        sub, "take", _take,
        "take an exam with a bot through a desk: online (URL --code) or offline (EXAM_FILE) "
        "/ 脚本考生答题",
    )  # fmt: skip
    p.add_argument("target", metavar="URL|EXAM",
                   help="the exam server (http://host:port, with --code) or an exam file / id")  # fmt: skip
    p.add_argument("--code", metavar="CODE", help="the candidate code (online)")
    p.add_argument("--policy", required=True, choices=("random", "novice", "competent", "expert"))
    p.add_argument("--think", default="5s", metavar="DURATION",
                   help="the bot decides this long after a decision appears (default 5s)")  # fmt: skip
    p.add_argument("--seed", type=int, default=1, help="the bot's own seed (default 1)")
    p.add_argument("--form", default=None, metavar="N",
                   help="offline: form index or id (default the first); online the server assigns it")  # fmt: skip
    p.add_argument("--clock-speed", type=float, default=None, metavar="X",
                   help="offline: sim seconds per wall second (default 1); online the server's")  # fmt: skip
    p.add_argument("--journal-out", metavar="FILE",
                   help="write the attempt's hash-chained journal (JSONL) here at the end")  # fmt: skip
    p.add_argument("--acks", metavar="FILE",
                   help="online: append 'SEQ HASH' to FILE as each decision is acknowledged "
                        "(evidence of what the server confirmed, even if this desk is killed)")  # fmt: skip
    p.add_argument("--lang", choices=("zh-CN", "en"), help="language of the text report")
    add_json_flag(p)


def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def _take(args: argparse.Namespace) -> int:
    from journeys.durations import parse_duration
    from sandbox.exam.taking import TakingError, run_bot

    think = parse_duration(args.think)
    if think is None or think < 0:
        raise UserError(f"--think is not a duration: {args.think!r} (e.g. 5s)", exit_code=2)
    online = _is_url(args.target)
    if online and not args.code:
        raise UserError("an exam server needs --code CODE / 连接考试服务器需要 --code", exit_code=2)
    if not online and args.code:
        raise UserError(
            f"--code is for an exam server (http://…), not for the file {args.target}", exit_code=2
        )
    if online and (args.form is not None or args.clock_speed is not None):
        raise UserError("--form and --clock-speed are set by the server when online", exit_code=2)
    if args.clock_speed is not None and not (0 < args.clock_speed <= 10_000):
        raise UserError("--clock-speed must be above 0 and at most 10000", exit_code=2)
    try:
        taking = _open_online(args) if online else _open_offline(args)
        if taking is None:  # the attempt was already finished: its result is printed
            return 0
        if args.acks:
            taking.on_ack = _ack_logger(args.acks)
        run_bot(taking, args.policy, think_s=think, seed=args.seed)
        result = _finish(taking)
    except TakingError as err:
        raise UserError(err.line(), location=args.target) from None
    if args.journal_out:
        from sandbox.exam import journal as chain

        chain.write(args.journal_out, taking.journal)
    if args.json:
        emit_json(result)
    else:
        print(render(result, args.lang or taking.lang))
    return 0


def _ack_logger(path: str) -> Any:
    """Append each acknowledged entry as `SEQ HASH`, flushed at once (a kill loses nothing
    the server confirmed before the line was written)."""
    try:
        fh = open(path, "a", encoding="utf-8")  # noqa: SIM115 — open for the whole attempt
    except OSError as err:
        raise UserError(f"cannot write --acks {path}: {err.strerror}", location=path) from None

    def log(entry: dict[str, Any]) -> None:
        fh.write(f"{entry['seq']} {entry['hash']}\n")
        fh.flush()

    return log


def _open_offline(args: argparse.Namespace) -> Any:
    from sandbox.exam.taking import ExamTaking, load_exam_ref

    exam = load_exam_ref(args.target)
    try:
        form = exam.form_index("0" if args.form is None else args.form)
    except ValueError as err:
        raise UserError(str(err), exit_code=2) from None
    return ExamTaking.offline(exam, form, clock_speed=args.clock_speed or 1.0)


def _open_online(args: argparse.Namespace) -> Any:
    from sandbox.exam.taking import ExamTaking
    from sandbox.server.client import AttemptClosed, ClientError, ConnectionLost, ExamClient

    try:
        client = ExamClient(args.target, args.code)
    except ClientError as err:
        raise UserError(f"{err.words['en']} / {err.words['zh-CN']}", exit_code=2) from None
    give_up = time.monotonic() + PATIENCE_S
    while True:
        try:
            taking = ExamTaking.online(client, lang=args.lang)
            break
        except ConnectionLost as err:
            if time.monotonic() > give_up:
                raise UserError(f"{err.words['en']} / {err.words['zh-CN']}") from None
            time.sleep(1.0)
        except AttemptClosed as err:
            if err.result is None:
                raise UserError(f"{err.words['en']} / {err.words['zh-CN']}") from None
            _print_closed(err.result, args)
            return None
        except ClientError as err:  # unknown code, retake wait, refused
            raise UserError(f"{err.words['en']} / {err.words['zh-CN']}") from None
    done = len(taking.journal)
    print(
        f"attempt opened 已打开: {taking.exam.id} form 卷 {taking.form.id}, {done} decision(s) on "
        f"the server 已记录, clock 时钟 {taking.clock_s:.0f}/{taking.limit_s:.0f} s "
        f"(x{taking.clock_speed:g})",
        file=sys.stderr,
    )
    return taking


def _print_closed(result: dict[str, Any], args: argparse.Namespace) -> None:
    """Re-running a finished attempt's code prints its result (and says so)."""
    print("this attempt is already finished / 本次考试已结束", file=sys.stderr)
    if args.json:
        emit_json(result)
    else:
        lang = args.lang or (result.get("exam") or {}).get("lang") or "en"
        print(render(result, lang))


def _finish(taking: Any) -> dict[str, Any]:
    """The result; an unreachable server is retried for a while (the server closes the attempt
    at its time limit anyway, so re-running the same code later prints the result)."""
    from sandbox.server.client import ConnectionLost

    give_up = time.monotonic() + PATIENCE_S
    while True:
        try:
            result: dict[str, Any] = taking.finish()
            return result
        except ConnectionLost as err:
            if time.monotonic() > give_up:
                raise UserError(
                    f"{err.words['en']}; re-run with the same code for the result / "
                    f"{err.words['zh-CN']}；用同一考生码重新运行即可取得成绩"
                ) from None
            time.sleep(1.0)


def render(result: dict[str, Any], lang: str = "en") -> str:
    """A plain-text report of a result document (signed by the server or graded offline)."""
    zh = lang == "zh-CN"
    exam = result.get("exam") or {}
    form = result.get("form") or {}
    title = (exam.get("title") or {}).get(lang) or exam.get("id", "")
    passed = bool(result.get("passed"))
    verdict = ("通过" if passed else "未通过") if zh else ("PASS" if passed else "FAIL")
    sig = result.get("signature")
    proctoring = str(result.get("proctoring") or "")
    if isinstance(sig, dict):
        seal = (f"服务器密钥 {sig.get('key_id')} 已签名" if zh
                else f"signed by server key {sig.get('key_id')}")  # fmt: skip
    elif proctoring == "unproctored":
        seal = "未监考" if zh else "unproctored"
    else:
        seal = "未签名" if zh else "not signed"
    score, cut = float(result.get("score") or 0.0), result.get("cut")
    head = (
        f"{title} · 卷 {form.get('id')} · {verdict} · 得分 {score:.1f}（合格线 {cut}）· {seal}"
        if zh
        else f"{title} · form {form.get('id')} · {verdict} · score {score:.1f} (cut {cut}) · {seal}"
    )
    lines = [head]
    lines += [f"  - {(r or {}).get(lang, '')}" for r in result.get("reasons") or ()]
    for c in result.get("contacts") or ():
        mark = "✓" if c.get("passed") else "✗"
        why = "; ".join((r or {}).get(lang, "") for r in c.get("reasons") or ())
        lines.append(
            f"  {mark} {c.get('k', 0):>2} {c.get('contact_id', ''):<14} "
            f"{c.get('journey_id') or '-':<30} {float(c.get('score') or 0.0):6.1f}"
            + (f"  {why}" if why else "")
        )
    return "\n".join(lines)
