"""`shapan serve`: the exam server (candidate API + admin pages) on uvicorn.

Why the checks come first: an administrator starting the server before an exam must learn in one
line that the database URL is wrong, PostgreSQL is down, the port is taken or the secret file is
unreadable — not from a traceback, and not when the first candidate connects. The listening
socket is bound here and handed to uvicorn, so "port taken" is found before anything else starts
and there is no window in which another process can take it. uvicorn, Starlette and SQLAlchemy
are imported only when the command runs (`shapan --help` stays fast).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import socket
import sys
from pathlib import Path
from typing import Any

from sandbox.cli.common import UserError, add_command

DEFAULT_DB = "sqlite:///shapan-server.db"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
SECRET_ENV = "SHAPAN_ADMIN_SECRET"


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and 0 < value <= 1000):
        raise argparse.ArgumentTypeError(f"must be in (0, 1000], got {text}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0..65535, got {text}")
    return value


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of workers: {text!r}") from None
    if not 0 <= value <= 64:
        raise argparse.ArgumentTypeError(f"must be 0..64, got {text}")
    return value


def _default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 4))


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        sub,
        "serve",
        _run,
        help="run the exam server: candidate API and admin pages (运行考试服务器：考生接口与管理页面)",
    )
    parser.add_argument(
        "--db",
        default=DEFAULT_DB,
        metavar="URL",
        help=f"database URL: sqlite:///FILE or postgresql+psycopg://USER:PASS@HOST/DB "
        f"(default {DEFAULT_DB})",
    )
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})"
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"port (default {DEFAULT_PORT}; 0 = any free port)",
    )
    parser.add_argument(
        "--keys",
        metavar="DIR",
        default=None,
        help="folder of the Ed25519 signing key pair, created on first use "
        "(default: next to a SQLite file, else ~/.local/share/shapan/server-keys)",
    )
    parser.add_argument(
        "--clock-speed",
        type=_speed,
        default=1.0,
        metavar="N",
        help="exam clock speed: 1 for real exams; more for rehearsals and tests (recorded in "
        "every attempt and result)",
    )
    parser.add_argument(
        "--replay-workers",
        type=_workers,
        default=None,
        metavar="K",
        help="worker processes that check decisions and grade attempts by replay (default "
        "min(CPU cores, 4); 0 = in the server process)",
    )
    parser.add_argument(
        "--admin-secret-file",
        metavar="F",
        default=None,
        help=f"set (first start) or check the admin secret from file F; env {SECRET_ENV} works "
        "too; without either, the first visit to the admin pages sets it",
    )


def _read_secret(path: str | None) -> str | None:
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            reason = getattr(err, "strerror", None) or str(err)
            raise UserError(f"cannot read the admin secret file: {reason}", location=path) from None
        secret = text.strip("\r\n")
        if not secret:
            raise UserError("the admin secret file is empty", location=path)
        return secret
    env = os.environ.get(SECRET_ENV)
    return env if env else None


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound now: a taken port or a bad host is one clear line."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as err:
        raise UserError(f"cannot listen on {host!r}: {err.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as err:
        sock.close()
        if err.errno in (98, 48, 10048):  # EADDRINUSE on Linux, macOS, Windows
            raise UserError(
                f"port {port} on {host} is already in use; stop the other server or choose "
                "another with --port"
            ) from None
        raise UserError(f"cannot listen on {host}:{port}: {err.strerror}") from None
    sock.set_inheritable(True)
    return sock


def _display_url(host: str, port: int) -> str:
    shown = host
    if host in ("0.0.0.0", "::", ""):
        shown = "127.0.0.1" if host != "::" else "[::1]"
    elif ":" in host:
        shown = f"[{host}]"
    return f"http://{shown}:{port}"


def _masked(url: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        return str(make_url(url).render_as_string(hide_password=True))
    except Exception:  # a URL SQLAlchemy cannot parse is reported by the store
        return url


def _open_store(url: str, keys: str | None, replay_workers: int = 0) -> Any:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from sandbox.exam.signing import SigningError
    from sandbox.server.db import DatabaseError
    from sandbox.server.store import ExamStore, StoreError

    try:
        make_url(url)
    except ArgumentError:
        raise UserError(
            f"{url!r} is not a database URL; use sqlite:///FILE or "
            "postgresql+psycopg://USER:PASSWORD@HOST/DB"
        ) from None
    try:
        return ExamStore.open(url, keys, replay_workers=replay_workers)
    except DatabaseError as err:
        raise UserError(str(err)) from None
    except (SigningError, StoreError) as err:
        raise UserError(str(err)) from None
    except OSError as err:
        raise UserError(f"cannot use the keys folder: {err.strerror} ({err.filename})") from None


def _run(args: argparse.Namespace) -> int:
    secret = _read_secret(args.admin_secret_file)
    sock = _bind(args.host, args.port)
    try:
        workers = args.replay_workers
        store = _open_store(args.db, args.keys, _default_workers() if workers is None else workers)
    except BaseException:
        sock.close()
        raise
    try:
        return _serve(args, store, sock, secret)
    finally:
        store.close()
        sock.close()


def _serve(args: argparse.Namespace, store: Any, sock: socket.socket, secret: str | None) -> int:
    from sandbox.server.store import StoreError

    if secret is not None:
        if not store.admin_secret_is_set():
            try:
                store.set_admin_secret(secret)
            except StoreError as err:
                raise UserError(str(err)) from None
        elif not store.check_admin_secret(secret):
            raise UserError(
                "the admin secret given does not match the one this database already has"
            )
    import uvicorn

    from sandbox.server.app import create_app

    app = create_app(store, clock_speed=args.clock_speed)
    port = sock.getsockname()[1]
    base = _display_url(args.host, port)
    first = not store.admin_secret_is_set()
    print(f"shapan exam server 考试服务器: {base}/admin", flush=True)
    if first:
        print(
            f"  first start 首次启动: set the admin secret at 请在此设置管理员口令 {base}/admin/setup",
            flush=True,
        )
    print(f"  database 数据库: {_masked(args.db)}", flush=True)
    workers = store.replay_workers
    print(
        f"  replay workers 重放进程: {workers}"
        if workers
        else "  replays in the server process 重放在服务器进程内",
        flush=True,
    )
    print(
        f"  results are signed with key 成绩签名密钥 {store.key_id} "
        f"(public key 公钥: {base}/api/v1/public-key)",
        flush=True,
    )
    if args.clock_speed != 1.0:
        print(
            f"  clock speed {args.clock_speed:g}: a rehearsal, not a real exam 时钟倍速 "
            f"{args.clock_speed:g}：仅用于演练",
            flush=True,
        )
    print("  Ctrl-C stops the server 按 Ctrl-C 停止", flush=True)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=10,
        server_header=False,
    )
    server = uvicorn.Server(config)
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the Ctrl-C it stopped on
        server.run(sockets=[sock])
    print("stopped 已停止", file=sys.stderr, flush=True)
    return 0
