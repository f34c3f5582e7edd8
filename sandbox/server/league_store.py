"""LeagueStore: every read and write of classroom competitions (docs/competitions.md).

Why its own store beside `ExamStore` (same database, same engine): a competition shares the
exam server's guarantees — a decision is acknowledged only once committed, journals are
hash-chained, scores are only ever the server's own replays — but its unit is a team's round:
members at several desks share the team's customers (`sandbox.league.team_form`), the trainer
drives one clock for the class (open, pause, extend, close), and the board is recomputed from
the journals, never reported by a desk.

Time: a round's clock is wall time since it opened, minus the time everything was paused,
times the server's clock speed, capped at the round's (possibly extended) duration. A member
who joins a round at round time `offset` plays a session whose time 0 is that moment.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.exam import journal as chain
from sandbox.exam.canonical import canonical_bytes
from sandbox.league.model import Competition
from sandbox.league.team_form import Claim, ReplayClaims, allocate, member_session, schedule_of
from sandbox.server import clock
from sandbox.server.store import (
    CODE_ALPHABET,
    AttemptClosed,
    NotFound,
    NotYet,
    Rejected,
    StoreError,
    UnknownCode,
    _sha,
    normalise_code,
)

MAX_TEAM_NAME = 60
MAX_ANNOUNCEMENT = 500
MAX_ID = 200
#: live member sessions kept in memory (each a few MB); older ones are rebuilt from journals
LIVE_CAPACITY = 256
#: wall seconds between two refreshes of an open round's board with nothing else changing
BOARD_REFRESH_S = 5.0
#: while a round runs, the board is recomputed at most this often (wall seconds)
BOARD_MIN_GAP_S = 0.5


class Removed(StoreError):
    """The trainer removed this desk from its seat."""

    status = 403


class SeatTaken(StoreError):
    status = 409


@dataclass
class _Live:
    """A member's session as far as its journal and claims go (never ahead of them)."""

    session: Any
    claims: ReplayClaims
    seq: int
    known_t: float
    limit_s: float


def _code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


class LeagueStore:
    """Competitions over the server's database engine; thread-safe."""

    def __init__(self, engine: Any, *, clock_speed: float = 1.0) -> None:
        self.engine = engine
        self.clock_speed = clock_speed
        self._comps: dict[int, Competition] = {}
        self._live: OrderedDict[int, _Live] = OrderedDict()
        self._live_guard = threading.Lock()
        self._write = threading.Lock()
        self._locks: dict[tuple[str, int], threading.RLock] = {}
        self._locks_guard = threading.Lock()
        #: competition -> change counter (the live channel pushes when it moves)
        self._versions: dict[int, int] = {}
        #: (competition, round) -> final team rounds of a closed round (replayed once)
        self._final: dict[tuple[int, int], list[Any]] = {}
        #: (competition, view) -> (version, board, wall time): one board per change, at most
        #: every BOARD_MIN_GAP_S
        self._boards: dict[tuple[int, str], tuple[int, dict[str, Any], float]] = {}
        #: competition -> (version, trainer state)
        self._states: dict[int, tuple[int, dict[str, Any]]] = {}
        #: competition -> (version, wall time, a round running, team rounds)
        self._team_rounds: dict[int, tuple[int, float, bool, list[Any]]] = {}
        #: competition -> wall time the open round's board was last refreshed by `tick`
        self._refreshed: dict[int, float] = {}
        #: desk -> (wall time last heard of, current contact)
        self._presence: dict[int, tuple[float, str | None]] = {}

    # -- plumbing ----------------------------------------------------------------------------
    @contextmanager
    def _tx(self) -> Iterator[Any]:
        # One writer at a time inside the process: SQLite admits one writer anyway, and a
        # writer that finds the database locked sleeps in its busy handler (up to 100 ms a
        # try), which made a class's burst of claims wait seconds. A commit takes ~1 ms.
        with self._write, self.engine.begin() as conn:
            yield conn

    def _lock(self, kind: str, pk: int) -> threading.RLock:
        with self._locks_guard:
            return self._locks.setdefault((kind, pk), threading.RLock())

    def _bump(self, comp_pk: int) -> None:
        with self._locks_guard:
            self._versions[comp_pk] = self._versions.get(comp_pk, 0) + 1

    def version(self, comp_pk: int) -> int:
        """Moves whenever anything a board, a desk or the trainer sees may have changed."""
        return self._versions.get(comp_pk, 0)

    def _event(self, conn: Any, comp_pk: int, kind: str, detail: Any = "") -> None:
        from sandbox.server.schema import league_events

        text = detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False)
        conn.execute(league_events.insert().values(competition_pk=comp_pk, at=clock.wall_now(),
                                                   kind=kind, detail=text))  # fmt: skip

    # -- competitions ------------------------------------------------------------------------
    def create(self, ref: str) -> dict[str, Any]:
        """Create a competition from a shipped id or a file. Returns its pk, the team codes
        (shown once: the store keeps their hashes) and, for open sign-up, the join code."""
        from sandbox.league.errors import CompetitionError
        from sandbox.league.loader import load_competition, resolve_competition
        from sandbox.server.schema import competitions, league_rounds, league_teams

        try:
            comp = load_competition(ref)
        except CompetitionError as err:
            first = err.render().splitlines()[0] if err.render() else str(err)
            raise StoreError(f"the competition file has errors: {first}",
                             f"竞赛文件有错误：{first}") from None  # fmt: skip
        text = Path(resolve_competition(ref)).read_text(encoding="utf-8")
        now = clock.wall_now()
        join = _code() if comp.signup is not None else None
        codes: list[dict[str, Any]] = []
        with self._tx() as conn:
            pk = conn.execute(competitions.insert().values(
                ref=str(ref), competition_id=comp.id, content_hash=comp.content_hash,
                yaml_text=text, provenance=self._provenance(comp), title_zh=comp.title["zh-CN"],
                title_en=comp.title["en"], lang=comp.lang,
                join_code_hash=_sha(normalise_code(join)) if join else None,
                clock_speed=self.clock_speed, created_at=now, current_round=-1, frozen=False,
                announcement="",
            )).inserted_primary_key[0]  # fmt: skip
            for i, rnd in enumerate(comp.rounds):
                conn.execute(league_rounds.insert().values(
                    competition_pk=pk, round_index=i, status="pending",
                    duration_s=rnd.duration_s, paused_s=0.0))  # fmt: skip
            for team in comp.teams:
                code = _code()
                conn.execute(league_teams.insert().values(
                    competition_pk=pk, team_key=team.id, name=team.name, seats=team.seats,
                    code_hash=_sha(normalise_code(code)), created_at=now))  # fmt: skip
                codes.append({"team": team.id, "name": team.name, "seats": team.seats,
                              "code": code})  # fmt: skip
            self._event(conn, pk, "created", {"ref": str(ref)})
        self._comps[int(pk)] = comp
        return {"pk": int(pk), "codes": codes, "join_code": join}

    @staticmethod
    def _provenance(comp: Competition) -> str:
        rounds = [{"scenario": r.scenario.content_hash, "journeys": r.scenario.journey_hashes()}
                  for r in comp.rounds]  # fmt: skip
        return canonical_bytes({"rounds": rounds}).decode("utf-8")

    def competition(self, comp_pk: int) -> Competition:
        """The loaded competition; refused when its file, scenarios or journeys changed."""
        comp = self._comps.get(comp_pk)
        if comp is not None:
            return comp
        from sandbox.league.errors import CompetitionError
        from sandbox.league.loader import load_competition

        row = self._comp_row(comp_pk)
        try:
            comp = load_competition(row.ref)
        except CompetitionError:
            comp = None
        if (
            comp is None
            or comp.content_hash != row.content_hash
            or (self._provenance(comp) != row.provenance)
        ):
            raise StoreError(
                f"the competition file {row.ref} or its scenario changed since it was created",
                f"竞赛文件 {row.ref} 或其场景在创建后已被修改",
            )
        self._comps[comp_pk] = comp
        return comp

    def _comp_row(self, comp_pk: int, conn: Any = None) -> Any:
        from sqlalchemy import select

        from sandbox.server.schema import competitions

        if conn is None:
            with self.engine.connect() as c:
                return self._comp_row(comp_pk, c)
        row = conn.execute(select(competitions).where(competitions.c.pk == comp_pk)).first()
        if row is None:
            raise NotFound("no such competition", "没有这个竞赛")
        return row

    def is_frozen(self, comp_pk: int) -> bool:
        """Whether teams and the projector see the frozen board (NotFound: no such one)."""
        return bool(self._comp_row(comp_pk).frozen)

    def competitions(self) -> list[dict[str, Any]]:
        from sqlalchemy import select

        from sandbox.server.schema import competitions

        with self.engine.connect() as conn:
            rows = conn.execute(select(competitions).order_by(competitions.c.pk.desc())).all()
        return [{"pk": r.pk, "id": r.competition_id, "title": {"zh-CN": r.title_zh,
                 "en": r.title_en}, "lang": r.lang, "created_at": r.created_at,
                 "current_round": r.current_round} for r in rows]  # fmt: skip

    def _rounds(self, conn: Any, comp_pk: int) -> list[Any]:
        from sqlalchemy import select

        from sandbox.server.schema import league_rounds

        return list(conn.execute(select(league_rounds).where(
            league_rounds.c.competition_pk == comp_pk).order_by(league_rounds.c.round_index)))  # fmt: skip

    def _round_row(self, conn: Any, comp_pk: int, i: int) -> Any:
        rows = self._rounds(conn, comp_pk)
        if not 0 <= i < len(rows):
            raise NotFound(f"no round {i + 1}", f"没有第 {i + 1} 轮")
        return rows[i]

    def round_now(self, comp_row: Any, rnd: Any, now: float | None = None) -> float:
        """The round clock (round seconds) at wall time `now`."""
        if rnd.opened_at is None:
            return 0.0
        now = clock.wall_now() if now is None else now
        end = rnd.closed_at if rnd.status == "closed" and rnd.closed_at is not None else now
        paused = rnd.paused_s + (
            max(0.0, end - comp_row.paused_at)
            if comp_row.paused_at is not None and rnd.status == "open" else 0.0
        )  # fmt: skip
        wall = end - rnd.opened_at - paused
        return float(min(rnd.duration_s, max(0.0, wall * comp_row.clock_speed)))

    # -- teams and desks ---------------------------------------------------------------------
    def signup(self, join_code: str, name: str) -> dict[str, Any]:
        """Open sign-up: a team registers with the join code and gets its team code."""
        from sqlalchemy import func, select

        from sandbox.server.schema import competitions, league_teams

        name = " ".join(str(name).split())
        if not name or len(name) > MAX_TEAM_NAME:
            raise Rejected(f"a team name is 1 to {MAX_TEAM_NAME} characters",
                           f"队名为 1 到 {MAX_TEAM_NAME} 个字符")  # fmt: skip
        h = _sha(normalise_code(join_code))
        with self.engine.connect() as conn:
            row = conn.execute(
                select(competitions).where(competitions.c.join_code_hash == h)
            ).first()
        if row is None:
            raise UnknownCode("unknown join code", "报名码无效")
        comp = self.competition(row.pk)
        assert comp.signup is not None
        with self._lock("comp", row.pk), self._tx() as conn:
            teams = conn.execute(select(league_teams.c.name).where(
                league_teams.c.competition_pk == row.pk)).scalars().all()  # fmt: skip
            if len(teams) >= comp.signup.max_teams:
                raise Rejected("the competition is full", "报名队伍已满")
            if name in teams:
                raise Rejected("another team already has this name", "已有队伍使用此名称")
            n = conn.execute(select(func.count()).select_from(league_teams).where(
                league_teams.c.competition_pk == row.pk)).scalar_one()  # fmt: skip
            code = _code()
            conn.execute(league_teams.insert().values(
                competition_pk=row.pk, team_key=f"t{n + 1}", name=name, seats=comp.signup.seats,
                code_hash=_sha(normalise_code(code)), created_at=clock.wall_now()))  # fmt: skip
            self._event(conn, row.pk, "signup", {"team": f"t{n + 1}"})
        self._bump(row.pk)
        return {"team": f"t{n + 1}", "name": name, "code": code, "seats": comp.signup.seats}

    def teams(self, comp_pk: int) -> list[dict[str, Any]]:
        from sqlalchemy import select

        from sandbox.server.schema import league_desks, league_teams

        with self.engine.connect() as conn:
            rows = conn.execute(select(league_teams).where(
                league_teams.c.competition_pk == comp_pk).order_by(league_teams.c.pk)).all()  # fmt: skip
            desks = conn.execute(select(league_desks).where(league_desks.c.team_pk.in_(
                [r.pk for r in rows]))).all() if rows else []  # fmt: skip
        now = clock.wall_now()
        out = []
        for r in rows:
            members = []
            for m in range(1, r.seats + 1):
                d = next((d for d in desks if d.team_pk == r.pk and d.member == m), None)
                seen = self._presence.get(d.pk) if d is not None else None
                members.append({
                    "member": m, "desk": d.pk if d is not None else None,
                    "joined": d is not None and d.token_hash is not None,
                    "kicked": bool(d.kicked) if d is not None else False,
                    "connected": seen is not None and now - seen[0] < 12.0,
                    "contact": seen[1] if seen is not None else None,
                })  # fmt: skip
            out.append({"pk": r.pk, "id": r.team_key, "name": r.name, "seats": r.seats,
                        "members": members})  # fmt: skip
        return out

    def join(self, code: str, member: int | None = None) -> dict[str, Any]:
        """A desk takes a seat of the team whose code it has: `member` (1-based) or the first
        free one. Returns the desk's token (the desk keeps it to resume after a crash)."""
        from sqlalchemy import select

        from sandbox.server.schema import league_desks, league_teams

        with self.engine.connect() as conn:
            team = conn.execute(select(league_teams).where(
                league_teams.c.code_hash == _sha(normalise_code(code)))).first()  # fmt: skip
        if team is None:
            raise UnknownCode("unknown team code", "队伍码无效")
        if member is not None and not 1 <= member <= team.seats:
            raise Rejected(f"this team has seats 1 to {team.seats}",
                           f"本队席位为 1 到 {team.seats}")  # fmt: skip
        token = secrets.token_urlsafe(32)
        with self._lock("comp", team.competition_pk), self._tx() as conn:
            desks = {d.member: d for d in conn.execute(
                select(league_desks).where(league_desks.c.team_pk == team.pk))}  # fmt: skip
            wanted = [member] if member is not None else list(range(1, team.seats + 1))
            free = [m for m in wanted if m not in desks or desks[m].token_hash is None]
            if not free:
                if member is not None and desks[member].kicked:
                    raise Removed("the trainer removed this seat; ask to be re-admitted",
                                  "培训师已移除此席位；请申请重新加入")  # fmt: skip
                raise SeatTaken(
                    "every seat of this team is taken" if member is None
                    else f"seat {member} is taken by another desk",
                    "本队席位已满" if member is None else f"席位 {member} 已被另一台工作台占用",
                )  # fmt: skip
            m = free[0]
            if m in desks:
                if desks[m].kicked:
                    raise Removed("the trainer removed this seat; ask to be re-admitted",
                                  "培训师已移除此席位；请申请重新加入")  # fmt: skip
                conn.execute(league_desks.update().where(league_desks.c.pk == desks[m].pk)
                             .values(token_hash=_sha(token)))  # fmt: skip
                desk_pk = desks[m].pk
            else:
                desk_pk = conn.execute(league_desks.insert().values(
                    team_pk=team.pk, member=m, token_hash=_sha(token), kicked=False,
                    joined_at=clock.wall_now())).inserted_primary_key[0]  # fmt: skip
            self._event(conn, team.competition_pk, "joined", {"team": team.team_key, "member": m})
        self._bump(team.competition_pk)
        return {"token": token, **self.desk_state(int(desk_pk))}

    def desk_for_token(self, token: str | None) -> int:
        from sqlalchemy import select

        from sandbox.server.schema import league_desks

        if token:
            with self.engine.connect() as conn:
                pk = conn.execute(select(league_desks.c.pk).where(
                    league_desks.c.token_hash == _sha(token))).scalar()  # fmt: skip
            if pk is not None:
                return int(pk)
        raise UnknownCode("not signed in to a seat (join again with your team code)",
                          "未登录席位（请用队伍码重新加入）")  # fmt: skip

    def _desk(self, conn: Any, desk_pk: int) -> tuple[Any, Any]:
        from sqlalchemy import select

        from sandbox.server.schema import league_desks, league_teams

        row = conn.execute(select(league_desks, league_teams.c.competition_pk,
                                  league_teams.c.team_key, league_teams.c.name,
                                  league_teams.c.seats)
                           .join(league_teams, league_teams.c.pk == league_desks.c.team_pk)
                           .where(league_desks.c.pk == desk_pk)).first()  # fmt: skip
        if row is None or row.token_hash is None:
            raise Removed("the trainer removed this desk from its seat",
                          "培训师已将此工作台移出席位")  # fmt: skip
        return row, self._comp_row(row.competition_pk, conn)

    def kick(self, desk_pk: int) -> None:
        """The trainer removes a desk: its token stops working, its seat stays closed until
        re-admitted (the member's plays and journals are kept)."""
        from sandbox.server.schema import league_desks

        with self._tx() as conn:
            row, comp = self._desk(conn, desk_pk)
            conn.execute(league_desks.update().where(league_desks.c.pk == desk_pk)
                         .values(token_hash=None, kicked=True))  # fmt: skip
            self._event(conn, comp.pk, "kicked", {"team": row.team_key, "member": row.member})
        self._presence.pop(desk_pk, None)
        self._bump(comp.pk)

    def readmit(self, desk_pk: int) -> None:
        """The seat may be joined again (with the team code); the member resumes its play."""
        from sqlalchemy import select

        from sandbox.server.schema import league_desks, league_teams

        with self._tx() as conn:
            row = conn.execute(select(league_desks.c.member, league_teams.c.competition_pk,
                                      league_teams.c.team_key)
                               .join(league_teams, league_teams.c.pk == league_desks.c.team_pk)
                               .where(league_desks.c.pk == desk_pk)).first()  # fmt: skip
            if row is None:
                raise NotFound("no such desk", "没有这个工作台")
            conn.execute(league_desks.update().where(league_desks.c.pk == desk_pk)
                         .values(kicked=False, token_hash=None))  # fmt: skip
            self._event(conn, row.competition_pk, "readmitted",
                        {"team": row.team_key, "member": row.member})  # fmt: skip
        self._bump(row.competition_pk)

    # -- the trainer's controls --------------------------------------------------------------
    def _control(self, comp_pk: int, kind: str, change: Any) -> None:
        with self._lock("comp", comp_pk), self._tx() as conn:
            comp_row = self._comp_row(comp_pk, conn)
            detail = change(conn, comp_row)
            self._event(conn, comp_pk, kind, detail or "")
        self._bump(comp_pk)
        self._invalidate(comp_pk)

    def _invalidate(self, comp_pk: int) -> None:
        """A trainer's action shows at once: the throttled board and team rounds go."""
        self._team_rounds.pop(comp_pk, None)
        for view in ("public", "trainer"):
            self._boards.pop((comp_pk, view), None)

    def open_round(self, comp_pk: int, i: int) -> None:
        from sandbox.server.schema import competitions, league_rounds

        def change(conn: Any, comp_row: Any) -> Any:
            rows = self._rounds(conn, comp_pk)
            if not 0 <= i < len(rows):
                raise NotFound(f"no round {i + 1}", f"没有第 {i + 1} 轮")
            if rows[i].status != "pending":
                raise Rejected(f"round {i + 1} was already opened", f"第 {i + 1} 轮已开始过")
            if any(r.status == "open" for r in rows):
                raise Rejected("close the open round first", "请先结束进行中的一轮")
            conn.execute(league_rounds.update().where(
                league_rounds.c.competition_pk == comp_pk, league_rounds.c.round_index == i
            ).values(status="open", opened_at=clock.wall_now(), paused_s=0.0))  # fmt: skip
            conn.execute(competitions.update().where(competitions.c.pk == comp_pk)
                         .values(current_round=i, paused_at=None))  # fmt: skip
            return {"round": i}

        self._control(comp_pk, "round_opened", change)

    def close_round(self, comp_pk: int, i: int) -> None:
        """End a round now (or when its time is up): every member's play is replayed to its
        end and the round's board becomes final."""
        from sandbox.server.schema import league_rounds

        def change(conn: Any, comp_row: Any) -> Any:
            rnd = self._round_row(conn, comp_pk, i)
            if rnd.status != "open":
                raise Rejected(f"round {i + 1} is not open", f"第 {i + 1} 轮未在进行")
            now = clock.wall_now()
            done = self.round_now(comp_row, rnd, now)
            conn.execute(league_rounds.update().where(
                league_rounds.c.competition_pk == comp_pk, league_rounds.c.round_index == i
            ).values(status="closed", closed_at=now, duration_s=max(done, 1.0)))  # fmt: skip
            return {"round": i, "at_s": done}

        self._control(comp_pk, "round_closed", change)
        self._drop_live(comp_pk, i)

    def extend_round(self, comp_pk: int, i: int, seconds: float) -> None:
        from sandbox.server.schema import league_rounds

        if not 0 < seconds <= 3600:
            raise Rejected("extend by 1 second to 1 hour", "延长 1 秒到 1 小时")

        def change(conn: Any, comp_row: Any) -> Any:
            rnd = self._round_row(conn, comp_pk, i)
            if rnd.status == "closed":
                raise Rejected(f"round {i + 1} is closed", f"第 {i + 1} 轮已结束")
            conn.execute(league_rounds.update().where(
                league_rounds.c.competition_pk == comp_pk, league_rounds.c.round_index == i
            ).values(duration_s=rnd.duration_s + seconds))  # fmt: skip
            return {"round": i, "seconds": seconds}

        self._control(comp_pk, "round_extended", change)
        self._drop_live(comp_pk, i)  # member horizons moved: sessions are rebuilt

    def pause(self, comp_pk: int) -> None:
        from sandbox.server.schema import competitions

        def change(conn: Any, comp_row: Any) -> Any:
            if comp_row.paused_at is not None:
                return None
            conn.execute(competitions.update().where(competitions.c.pk == comp_pk)
                         .values(paused_at=clock.wall_now()))  # fmt: skip
            return None

        self._control(comp_pk, "paused", change)

    def resume(self, comp_pk: int) -> None:
        from sandbox.server.schema import competitions, league_rounds

        def change(conn: Any, comp_row: Any) -> Any:
            if comp_row.paused_at is None:
                return None
            gap = max(0.0, clock.wall_now() - comp_row.paused_at)
            for r in self._rounds(conn, comp_pk):
                if r.status == "open":
                    conn.execute(league_rounds.update().where(
                        league_rounds.c.competition_pk == comp_pk,
                        league_rounds.c.round_index == r.round_index,
                    ).values(paused_s=r.paused_s + gap))  # fmt: skip
            conn.execute(competitions.update().where(competitions.c.pk == comp_pk)
                         .values(paused_at=None))  # fmt: skip
            return {"paused_s": gap}

        self._control(comp_pk, "resumed", change)

    def freeze(self, comp_pk: int) -> None:
        """Freeze the board teams and the projector see at what it shows now."""
        from sandbox.server.schema import competitions

        board = self.board(comp_pk, view="trainer")

        def change(conn: Any, comp_row: Any) -> Any:
            conn.execute(competitions.update().where(competitions.c.pk == comp_pk).values(
                frozen=True, frozen_board=json.dumps(board, ensure_ascii=False)))  # fmt: skip
            return None

        self._control(comp_pk, "frozen", change)

    def unfreeze(self, comp_pk: int) -> None:
        """The reveal: teams and the projector see the live board again (the projector
        reveals it from the last place up)."""
        from sandbox.server.schema import competitions

        def change(conn: Any, comp_row: Any) -> Any:
            conn.execute(competitions.update().where(competitions.c.pk == comp_pk)
                         .values(frozen=False))  # fmt: skip
            return None

        self._control(comp_pk, "revealed", change)

    def announce(self, comp_pk: int, text: str) -> None:
        from sandbox.server.schema import competitions

        text = str(text).strip()
        if len(text) > MAX_ANNOUNCEMENT:
            raise Rejected(f"an announcement is at most {MAX_ANNOUNCEMENT} characters",
                           f"通知最多 {MAX_ANNOUNCEMENT} 个字符")  # fmt: skip

        def change(conn: Any, comp_row: Any) -> Any:
            conn.execute(competitions.update().where(competitions.c.pk == comp_pk)
                         .values(announcement=text, announced_at=clock.wall_now()))  # fmt: skip
            return {"text": text}

        self._control(comp_pk, "announced", change)

    def tick(self) -> int:
        """Housekeeping, every second: close rounds whose time is up and freeze the board of
        the last round `freeze` before its end (once). Returns how many things changed."""
        from sqlalchemy import select

        from sandbox.server.schema import competitions, league_rounds

        changed = 0
        with self.engine.connect() as conn:
            rows = conn.execute(select(league_rounds, competitions.c.frozen_board)
                                .join(competitions, competitions.c.pk
                                      == league_rounds.c.competition_pk)
                                .where(league_rounds.c.status == "open")).all()  # fmt: skip
        for r in rows:
            comp_row = self._comp_row(r.competition_pk)
            now_s = self.round_now(comp_row, r)
            wall = clock.wall_now()
            if wall - self._refreshed.get(r.competition_pk, 0.0) >= BOARD_REFRESH_S:
                # customers keep arriving and giving up: the live board moves with time too
                self._refreshed[r.competition_pk] = wall
                self._bump(r.competition_pk)
            comp = self.competition(r.competition_pk)
            last = r.round_index == len(comp.rounds) - 1
            if (last and comp.freeze_s > 0 and r.frozen_board is None
                    and now_s >= r.duration_s - comp.freeze_s):  # fmt: skip
                self.freeze(r.competition_pk)
                changed += 1
            if now_s >= r.duration_s:
                try:
                    self.close_round(r.competition_pk, r.round_index)
                    changed += 1
                except Rejected:
                    pass
        return changed

    def trainer_state(self, comp_pk: int) -> dict[str, Any]:
        """What the trainer's page and the projector show besides the board (computed once
        per change: every listener of the live channel asks for it)."""
        version = self.version(comp_pk)
        cached = self._states.get(comp_pk)
        if cached is not None and cached[0] == version:
            return cached[1]
        state = self._trainer_state(comp_pk)
        self._states[comp_pk] = (version, state)
        return state

    def _trainer_state(self, comp_pk: int) -> dict[str, Any]:
        with self.engine.connect() as conn:
            comp_row = self._comp_row(comp_pk, conn)
            rounds = self._rounds(conn, comp_pk)
        comp = self.competition(comp_pk)
        return {
            "pk": comp_pk,
            "title": {"zh-CN": comp_row.title_zh, "en": comp_row.title_en},
            "current_round": comp_row.current_round,
            "rounds": [{"index": r.round_index, "status": r.status,
                        "title": dict(comp.rounds[r.round_index].title),
                        "now_s": round(self.round_now(comp_row, r), 3),
                        "duration_s": r.duration_s} for r in rounds],
            "paused": comp_row.paused_at is not None,
            "frozen": bool(comp_row.frozen),
            "announcement": {"text": comp_row.announcement, "at": comp_row.announced_at},
            "teams": self.teams(comp_pk),
            "version": self.version(comp_pk),
        }  # fmt: skip

    # -- a member's round --------------------------------------------------------------------
    def _open_round(self, conn: Any, comp_row: Any) -> Any:
        i = comp_row.current_round
        if i < 0:
            raise NotYet("the trainer has not opened a round yet", "培训师尚未开始任何一轮")
        rnd = self._round_row(conn, comp_row.pk, i)
        return rnd

    def _play_row(self, conn: Any, desk_pk: int, i: int) -> Any:
        from sqlalchemy import select

        from sandbox.server.schema import league_plays

        return conn.execute(select(league_plays).where(
            league_plays.c.desk_pk == desk_pk, league_plays.c.round_index == i)).first()  # fmt: skip

    def start_play(self, desk_pk: int) -> dict[str, Any]:
        """The member's play of the open round: created at the round clock's present the
        first time, resumed afterwards (a crashed desk rebuilds from the answer)."""
        from sandbox.server.schema import league_plays

        with self._lock("desk", desk_pk):
            with self.engine.connect() as conn:
                desk, comp_row = self._desk(conn, desk_pk)
                rnd = self._open_round(conn, comp_row)
                play = self._play_row(conn, desk_pk, rnd.round_index)
            if play is None:
                if rnd.status != "open":
                    raise AttemptClosed("this round is over", "本轮已结束")
                offset = round(self.round_now(comp_row, rnd), 6)
                with self._tx() as conn:
                    conn.execute(league_plays.insert().values(
                        desk_pk=desk_pk, round_index=rnd.round_index, offset_s=offset,
                        head_seq=0, head_hash=chain.GENESIS, last_t=0.0, claims=0,
                        created_at=clock.wall_now()))  # fmt: skip
                    self._event(conn, comp_row.pk, "play_started",
                                {"team": desk.team_key, "member": desk.member,
                                 "round": rnd.round_index})  # fmt: skip
                self._bump(comp_row.pk)
            return self._play_answer(desk_pk)

    def _play_answer(self, desk_pk: int) -> dict[str, Any]:
        with self.engine.connect() as conn:
            _desk, comp_row = self._desk(conn, desk_pk)
            rnd = self._open_round(conn, comp_row)
            play = self._play_row(conn, desk_pk, rnd.round_index)
            entries = self._entries(conn, play.pk) if play is not None else []
            claims = self._claims(conn, play.pk) if play is not None else []
        if play is None:
            raise NotYet("join the round first", "请先加入本轮")
        now_s = self.round_now(comp_row, rnd)
        return {
            "play": {"round": rnd.round_index, "status": rnd.status, "offset_s": play.offset_s,
                     "limit_s": rnd.duration_s - play.offset_s, "head_seq": play.head_seq,
                     "server_now_s": max(0.0, now_s - play.offset_s),
                     "clock_speed": comp_row.clock_speed,
                     "paused": comp_row.paused_at is not None},
            "claims": [[c.k, c.asked_s, c.ring_s, list(c.skipped)] for c in claims],
            "journal": entries,
        }  # fmt: skip

    def _entries(self, conn: Any, play_pk: int) -> list[dict[str, Any]]:
        from sqlalchemy import select

        from sandbox.server.schema import league_journal

        rows = conn.execute(select(league_journal).where(league_journal.c.play_pk == play_pk)
                            .order_by(league_journal.c.seq)).all()  # fmt: skip
        return [{f: r._mapping[f] for f in chain.FIELDS} for r in rows]

    def _claims(self, conn: Any, play_pk: int) -> list[Claim]:
        from sqlalchemy import select

        from sandbox.server.schema import league_claims

        rows = conn.execute(select(league_claims).where(league_claims.c.play_pk == play_pk)
                            .order_by(league_claims.c.n)).all()  # fmt: skip
        return [Claim(r.k, r.asked_s, r.ring_s, tuple(json.loads(r.skipped))) for r in rows]

    def _member_state(self, desk_pk: int) -> tuple[Any, Any, Any, Any, float]:
        """(desk, competition row, round row, play row, member clock) of the open round."""
        with self.engine.connect() as conn:
            desk, comp_row = self._desk(conn, desk_pk)
            rnd = self._open_round(conn, comp_row)
            play = self._play_row(conn, desk_pk, rnd.round_index)
        if play is None:
            raise NotYet("join the round first", "请先加入本轮")
        now_s = self.round_now(comp_row, rnd) - play.offset_s
        if rnd.status != "open":
            raise AttemptClosed("this round is over", "本轮已结束", server_now_s=now_s)
        return desk, comp_row, rnd, play, now_s

    def _window(self, t: float, play: Any, now_s: float, speed: float) -> None:
        low, high = clock.decision_window(now_s, speed)
        where = {"head_seq": play.head_seq, "server_now_s": now_s}
        if t < play.last_t:
            raise Rejected(f"time {t:g} s is before the last entry ({play.last_t:g} s)",
                           f"时间 {t:g} 秒早于上一条记录（{play.last_t:g} 秒）", **where)  # fmt: skip
        if t > high:
            raise Rejected(f"time {t:g} s is ahead of the server clock ({now_s:.1f} s)",
                           f"时间 {t:g} 秒超前于服务器时钟（{now_s:.1f} 秒）", **where)  # fmt: skip
        if t < low:
            raise Rejected(f"stale entry at {t:g} s; the server clock is at {now_s:.1f} s",
                           f"记录已过期（{t:g} 秒），服务器时钟为 {now_s:.1f} 秒", **where)  # fmt: skip

    def claim(self, desk_pk: int, n: int, t: float) -> dict[str, Any]:
        """The member's seat is free at session time `t` and wants its `n`-th customer: the
        team's next customer still holding on (`team_form.allocate`), journaled before the
        answer. A repeat of claim n returns the same customer."""
        from sqlalchemy import select

        from sandbox.server.schema import league_claims, league_plays, league_queues

        with self._lock("desk", desk_pk):
            desk, comp_row, rnd, play, now_s = self._member_state(desk_pk)
            if 1 <= n <= play.claims:
                with self.engine.connect() as conn:
                    old = self._claims(conn, play.pk)[n - 1]
                return self._claim_answer(old, play.offset_s, now_s)
            if n != play.claims + 1:
                raise Rejected(f"expected claim {play.claims + 1}, got {n}",
                               f"应为第 {play.claims + 1} 次取号，收到 {n}",
                               head_seq=play.head_seq, server_now_s=now_s)  # fmt: skip
            if t < play.last_t:
                self._window(t, play, now_s, comp_row.clock_speed)  # refused: out of order
            low, high = clock.decision_window(now_s, comp_row.clock_speed)
            if t > high:
                self._window(t, play, now_s, comp_row.clock_speed)  # refused: ahead
            # a desk that was away asks late: it takes the customer that is next *now*
            t = max(t, low)
            comp = self.competition(comp_row.pk)
            spec = comp.rounds[rnd.round_index]
            with self._lock("team", desk.team_pk), self._tx() as conn:
                q = conn.execute(select(league_queues.c.next_k).where(
                    league_queues.c.team_pk == desk.team_pk,
                    league_queues.c.round_index == rnd.round_index)).scalar()  # fmt: skip
                got = allocate(schedule_of(spec), int(q or 1), play.offset_s + t,
                               spec.gap_s, rnd.duration_s)  # fmt: skip
                if got is None:
                    got = Claim(0, round(play.offset_s + t, 6), rnd.duration_s, ())
                else:
                    values = {"next_k": got.k + 1}
                    if q is None:
                        conn.execute(league_queues.insert().values(
                            team_pk=desk.team_pk, round_index=rnd.round_index, **values))  # fmt: skip
                    else:
                        conn.execute(league_queues.update().where(
                            league_queues.c.team_pk == desk.team_pk,
                            league_queues.c.round_index == rnd.round_index).values(**values))  # fmt: skip
                conn.execute(league_claims.insert().values(
                    play_pk=play.pk, n=n, k=got.k, asked_s=got.asked_s, ring_s=got.ring_s,
                    skipped=json.dumps(list(got.skipped))))  # fmt: skip
                conn.execute(league_plays.update().where(league_plays.c.pk == play.pk)
                             .values(claims=n, last_t=t))  # fmt: skip
            live = self._live_of(play.pk, comp, rnd, play)
            if live is not None:
                if len(live.claims.claims) < n:  # (a session rebuilt just now has it already)
                    live.claims.add(got)
                try:
                    self._advance(live, t)
                except Exception:
                    self._forget(play.pk)
            self._bump(comp_row.pk)
            return self._claim_answer(got, play.offset_s, now_s)

    @staticmethod
    def _claim_answer(c: Claim, offset: float, now_s: float) -> dict[str, Any]:
        if c.k == 0:  # journaled as "no customer before the end"
            return {"k": None, "ring_at": None, "server_now_s": now_s}
        return {"k": c.k, "ring_at": round(c.ring_s - offset, 6), "server_now_s": now_s}

    def decide(self, desk_pk: int, seq: int, t: float, contact_id: str, choice_id: str
               ) -> dict[str, Any]:  # fmt: skip
        """Append one decision after checking its order, its time and that the member's live
        replay can apply it; acknowledged once committed (a repeat gets the same ack)."""
        from sqlalchemy import select

        from sandbox.server.schema import league_journal, league_plays

        if len(contact_id) > MAX_ID or len(choice_id) > MAX_ID:
            raise Rejected("ids too long", "编号过长")
        with self._lock("desk", desk_pk):
            _desk, comp_row, rnd, play, now_s = self._member_state(desk_pk)
            where = {"head_seq": play.head_seq, "server_now_s": now_s}
            if 1 <= seq <= play.head_seq:
                with self.engine.connect() as conn:
                    old = conn.execute(select(league_journal).where(
                        league_journal.c.play_pk == play.pk, league_journal.c.seq == seq)).first()  # fmt: skip
                if old is not None and (old.t, old.contact_id, old.choice_id) == (
                        float(t), contact_id, choice_id):  # fmt: skip
                    return {"seq": old.seq, "hash": old.hash, "received_at": old.received_at,
                            "server_now_s": now_s}  # fmt: skip
                raise Rejected(f"seq {seq} is already taken by another decision",
                               f"序号 {seq} 已被另一决策占用", **where)  # fmt: skip
            if seq != play.head_seq + 1:
                raise Rejected(f"expected seq {play.head_seq + 1}, got {seq}",
                               f"应为序号 {play.head_seq + 1}，收到 {seq}", **where)  # fmt: skip
            self._window(t, play, now_s, comp_row.clock_speed)
            comp = self.competition(comp_row.pk)
            live = None
            for attempt in (1, 2):  # a live session that drifted is rebuilt from the journal
                live = self._live_of(play.pk, comp, rnd, play)
                assert live is not None
                try:
                    self._advance(live, t)
                    live.session.decide(contact_id, choice_id)
                    break
                except Exception as err:
                    self._forget(play.pk)
                    if attempt == 2:
                        raise Rejected(f"the decision does not replay: {err}",
                                       f"该决策无法重放：{err}", **where) from None  # fmt: skip
            assert live is not None
            entry = chain.sealed(play.head_seq + 1, play.head_hash, float(t), contact_id, choice_id)
            try:
                with self._tx() as conn:
                    conn.execute(league_journal.insert().values(play_pk=play.pk, **entry))
                    conn.execute(league_plays.update().where(league_plays.c.pk == play.pk).values(
                        head_seq=entry["seq"], head_hash=entry["hash"], last_t=entry["t"],
                        current_contact=contact_id))  # fmt: skip
            except BaseException:
                self._forget(play.pk)
                raise
            live.seq = entry["seq"]
            self._presence[desk_pk] = (clock.wall_now(), contact_id)
            self._bump(comp_row.pk)
        return {"seq": entry["seq"], "hash": entry["hash"], "received_at": entry["received_at"],
                "server_now_s": now_s}  # fmt: skip

    def heartbeat(self, desk_pk: int, contact_id: str | None) -> dict[str, Any]:
        """A desk is alive (kept in memory): the clock, the trainer's message, the team's
        rank (hidden while the board is frozen)."""
        if contact_id is not None and len(contact_id) > MAX_ID:
            raise Rejected("contact id too long", "联络编号过长")
        self._presence[desk_pk] = (clock.wall_now(), contact_id)
        return self.desk_state(desk_pk)

    def desk_state(self, desk_pk: int) -> dict[str, Any]:
        """What a desk shows besides its own session: team, round, clock, pause, message,
        rank."""
        with self.engine.connect() as conn:
            desk, comp_row = self._desk(conn, desk_pk)
            rounds = self._rounds(conn, comp_row.pk)
            play = None
            if comp_row.current_round >= 0:
                play = self._play_row(conn, desk_pk, comp_row.current_round)
        rnd = rounds[comp_row.current_round] if comp_row.current_round >= 0 else None
        round_now = self.round_now(comp_row, rnd) if rnd is not None else 0.0
        rank = None
        if not comp_row.frozen:
            board = self.board(comp_row.pk, view="trainer")
            row = next(
                (r for r in board.get("rows", ()) if r.get("team_id") == desk.team_key), None
            )
            if row is not None:
                rank = {"rank": row.get("rank"), "of": len(board.get("rows", ())),
                        "total": row.get("total")}  # fmt: skip
        return {
            "competition": {"pk": comp_row.pk, "ref": comp_row.ref, "id": comp_row.competition_id,
                            "content_hash": comp_row.content_hash, "yaml": comp_row.yaml_text,
                            "title": {"zh-CN": comp_row.title_zh, "en": comp_row.title_en},
                            "lang": comp_row.lang},
            "team": {"id": desk.team_key, "name": desk.name, "seats": desk.seats},
            "member": desk.member,
            "round": None if rnd is None else {
                "index": rnd.round_index, "status": rnd.status, "now_s": round_now,
                "duration_s": rnd.duration_s,
                "server_now_s": None if play is None else max(0.0, round_now - play.offset_s),
                "joined": play is not None},
            "paused": comp_row.paused_at is not None,
            "announcement": {"text": comp_row.announcement, "at": comp_row.announced_at},
            "frozen": bool(comp_row.frozen),
            "rank": rank,
        }  # fmt: skip

    # -- live sessions -----------------------------------------------------------------------
    def _live_of(self, play_pk: int, comp: Competition, rnd: Any, play: Any) -> _Live | None:
        """The member's live session (rebuilt from its journal and claims when not kept)."""
        with self._live_guard:
            live = self._live.get(play_pk)
            if live is not None:
                self._live.move_to_end(play_pk)
        limit = rnd.duration_s - play.offset_s
        if live is not None and abs(live.limit_s - limit) < 1e-9:
            return live
        with self.engine.connect() as conn:
            entries = self._entries(conn, play_pk)
            claims = self._claims(conn, play_pk)
        source = ReplayClaims(claims, play.offset_s)
        session = member_session(comp, rnd.round_index, max(limit, 1.0), source)
        live = _Live(session, source, 0, 0.0, limit)
        for e in entries:
            self._advance(live, float(e["t"]))
            session.decide(e["contact_id"], e["choice_id"])
            live.seq = int(e["seq"])
        if claims:
            self._advance(live, max(live.known_t, claims[-1].asked_s - play.offset_s))
        with self._live_guard:
            self._live[play_pk] = live
            while len(self._live) > LIVE_CAPACITY:
                _, old = self._live.popitem(last=False)
                old.session.close()
        return live

    @staticmethod
    def _advance(live: _Live, t: float) -> None:
        if t > live.known_t:
            live.session.run_until(min(t, live.limit_s))
            live.known_t = t

    def _forget(self, play_pk: int) -> None:
        with self._live_guard:
            live = self._live.pop(play_pk, None)
        if live is not None:
            live.session.close()

    def _drop_live(self, comp_pk: int, i: int) -> None:
        for play in self._plays(comp_pk, i):
            self._forget(int(play["pk"]))
        self._final.pop((comp_pk, i), None)

    # -- boards, exports ---------------------------------------------------------------------
    def _plays(self, comp_pk: int, i: int | None = None) -> list[dict[str, Any]]:
        from sqlalchemy import select

        from sandbox.server.schema import league_desks, league_plays, league_teams

        q = (select(league_plays, league_desks.c.member, league_teams.c.team_key,
                    league_teams.c.pk.label("team_pk"))
             .join(league_desks, league_desks.c.pk == league_plays.c.desk_pk)
             .join(league_teams, league_teams.c.pk == league_desks.c.team_pk)
             .where(league_teams.c.competition_pk == comp_pk))  # fmt: skip
        if i is not None:
            q = q.where(league_plays.c.round_index == i)
        with self.engine.connect() as conn:
            rows = conn.execute(q.order_by(league_plays.c.pk)).all()
            out = []
            for r in rows:
                out.append({"pk": r.pk, "team": r.team_key, "member": r.member,
                            "round": r.round_index, "offset_s": r.offset_s,
                            "claims": [[c.k, c.asked_s, c.ring_s, list(c.skipped)]
                                       for c in self._claims(conn, r.pk)],
                            "journal": self._entries(conn, r.pk)})  # fmt: skip
        return out

    def export(self, comp_pk: int) -> dict[str, Any]:
        """Everything a board is computed from: teams, rounds (status, duration, clock) and
        every member's play (claims and hash-chained journal). sandbox.league.offline
        recomputes the board from it."""
        with self.engine.connect() as conn:
            comp_row = self._comp_row(comp_pk, conn)
            rounds = self._rounds(conn, comp_pk)
        plays = []
        for p in self._plays(comp_pk):
            rnd = rounds[p["round"]]
            plays.append({**{k: v for k, v in p.items() if k != "pk"},
                          "limit_s": rnd.duration_s - p["offset_s"],
                          "decisions": chain.decisions(p["journal"])})  # fmt: skip
        return {
            "schema": "shapan.league-export/1",
            "competition": {"ref": comp_row.ref, "id": comp_row.competition_id,
                            "content_hash": comp_row.content_hash},
            "teams": {t["id"]: t["name"] for t in self.teams(comp_pk)},
            "rounds": {str(r.round_index): {"status": r.status, "duration_s": r.duration_s,
                                            "now_s": self.round_now(comp_row, r)}
                       for r in rounds},
            "plays": plays,
        }  # fmt: skip

    def team_rounds(self, comp_pk: int) -> list[Any]:
        """Every team's rounds so far: closed rounds from full replays (computed once), the
        open round from the members' live sessions as far as their journals go. Computed
        once per change, and while a round runs at most every `BOARD_MIN_GAP_S` (a class
        deciding ten times a second must not recompute the board ten times a second)."""
        version = self.version(comp_pk)
        now = clock.wall_now()
        cached = self._team_rounds.get(comp_pk)
        if cached is not None and (
            cached[0] == version or (cached[2] and now - cached[1] < BOARD_MIN_GAP_S)
        ):
            return cached[3]
        lock = self._lock("board", comp_pk)
        if cached is not None and not lock.acquire(blocking=False):
            return cached[3]  # another thread is computing it: the last one will do
        if cached is None:
            lock.acquire()
        try:
            out, running = self._compute_team_rounds(comp_pk)
            self._team_rounds[comp_pk] = (version, now, running, out)
        finally:
            lock.release()
        return out

    def _compute_team_rounds(self, comp_pk: int) -> tuple[list[Any], bool]:
        from sqlalchemy import select

        from sandbox.league.offline import seat_records, team_round, team_rounds_from_export
        from sandbox.server.schema import league_claims, league_desks, league_plays, league_teams

        comp = self.competition(comp_pk)
        with self.engine.connect() as conn:
            comp_row = self._comp_row(comp_pk, conn)
            rounds = self._rounds(conn, comp_pk)
        out: list[Any] = []
        running = False
        for r in rounds:
            if r.status == "pending":
                continue
            if r.status == "closed":
                key = (comp_pk, r.round_index)
                if key not in self._final:
                    export = self.export(comp_pk)
                    export["plays"] = [p for p in export["plays"] if p["round"] == r.round_index]
                    self._final[key] = team_rounds_from_export(comp, export)
                out.extend(self._final[key])
                continue
            running = True
            now_s = self.round_now(comp_row, r)
            with self.engine.connect() as conn:
                plays = conn.execute(
                    select(league_plays, league_desks.c.member, league_teams.c.team_key)
                    .join(league_desks, league_desks.c.pk == league_plays.c.desk_pk)
                    .join(league_teams, league_teams.c.pk == league_desks.c.team_pk)
                    .where(league_teams.c.competition_pk == comp_pk,
                           league_plays.c.round_index == r.round_index)
                    .order_by(league_plays.c.pk)).all()  # fmt: skip
                claims: dict[int, list[Claim]] = {}
                if plays:
                    for c in conn.execute(select(league_claims).where(
                            league_claims.c.play_pk.in_([p.pk for p in plays]))
                            .order_by(league_claims.c.play_pk, league_claims.c.n)):  # fmt: skip
                        claims.setdefault(c.play_pk, []).append(
                            Claim(c.k, c.asked_s, c.ring_s, tuple(json.loads(c.skipped))))  # fmt: skip
            grouped: dict[str, list[Any]] = {}
            for p in plays:
                with self._lock("desk", p.desk_pk):  # never beside a claim or a decision
                    live = self._live_of(p.pk, comp, r, p)
                    assert live is not None
                    recs = seat_records(comp, live.session, r.round_index)
                grouped.setdefault(p.team_key, []).append((p.member, claims.get(p.pk, []), recs))
            for team, members in sorted(grouped.items()):
                out.append(team_round(comp, r.round_index, team,
                                      sorted(members, key=lambda m: m[0]), now_s))  # fmt: skip
        return out, running

    def board(self, comp_pk: int, *, view: str = "public") -> dict[str, Any]:
        """The leaderboard. `view="public"` (teams, the projector) is the frozen board while
        the board is frozen; `view="trainer"` is always live."""

        version = self.version(comp_pk)
        now = clock.wall_now()
        cached = self._boards.get((comp_pk, view))
        if cached is not None and (cached[0] == version or now - cached[2] < BOARD_MIN_GAP_S):
            return cached[1]  # at most BOARD_MIN_GAP_S old
        board = self._board(comp_pk, view)
        self._boards[(comp_pk, view)] = (version, board, now)
        return board

    def _board(self, comp_pk: int, view: str) -> dict[str, Any]:
        from sandbox.league.board import compute_board

        comp_row = self._comp_row(comp_pk)
        if view != "trainer" and comp_row.frozen and comp_row.frozen_board:
            return {**json.loads(comp_row.frozen_board), "frozen": True}
        comp = self.competition(comp_pk)
        with self.engine.connect() as conn:
            rounds = self._rounds(conn, comp_pk)
        played = [r.round_index for r in rounds if r.status != "pending"]
        live = [r.round_index for r in rounds if r.status == "open"]
        board = compute_board(
            comp, self.team_rounds(comp_pk), {t["id"]: t["name"] for t in self.teams(comp_pk)},
            upto_round=max(played) if played else None, live_round=live[0] if live else None,
        )  # fmt: skip
        return {**board, "frozen": bool(comp_row.frozen)}


__all__ = ["LeagueStore", "Removed", "SeatTaken"]
