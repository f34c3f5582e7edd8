"""`shapan model train|card|calibrate|sample`: the customer outcome models.

train      retrain from the ground-truth generator or a contact center's CSV export
card       print the model card (training data, features, metrics, version, hashes)
calibrate  print the calibration table (target, measured, tolerance, pass/fail); exit 1 on a fail
sample     write generated contacts with labels as a CSV in the training format
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sandbox.cli.common import (
    UserError,
    add_command,
    add_json_flag,
    add_scheduler_flag,
    emit_json,
    int_arg,
    seed_arg,
    show_usage,
)
from sandbox.limits import (
    MAX_CSV_BYTES,
    MAX_CSV_ROWS,
    MAX_TRAIN_ROWS,
    MAX_WORKERS,
    MIN_TRAIN_ROWS,
)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "model",
        help="customer outcome models: train, card, calibrate / 客户结果模型：训练、模型卡、校准",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    msub = parser.add_subparsers(dest="model_command", metavar="SUBCOMMAND")
    show_usage(parser)

    p = add_command(
        msub, "train", _train, "retrain the models / 重新训练模型 (generated data, or --data CSV)"
    )
    p.add_argument("--data", metavar="CSV", help="contact export in the feature schema with labels")
    p.add_argument("--out", metavar="DIR", required=True, help="directory to write the model files")
    p.add_argument(
        "--rows",
        type=int_arg(MIN_TRAIN_ROWS, MAX_TRAIN_ROWS),
        default=None,
        help=f"contacts to generate when no --data is given (default 100000; "
        f"{MIN_TRAIN_ROWS}..{MAX_TRAIN_ROWS})",
    )
    p.add_argument(
        "--seed", type=seed_arg, default=None, help="seed of the generator and the split"
    )
    add_json_flag(p)

    p = add_command(msub, "card", _card, "print the model card / 显示模型卡")
    p.add_argument("--dir", metavar="DIR", help="model directory (default: the shipped models)")
    add_json_flag(p)

    p = add_command(
        msub,
        "calibrate",
        _calibrate,
        "print the calibration table; exit 1 if a row fails / 校准对照表",
    )
    p.add_argument("--dir", metavar="DIR", help="model directory (default: the shipped models)")
    p.add_argument("--seed", type=seed_arg, default=None, help="seed of the evaluation population")
    p.add_argument("--workers", type=int_arg(1, MAX_WORKERS), default=None, metavar="W",
                   help="worker processes for the bot runs of row 2 (default: all cores)")  # fmt: skip
    add_scheduler_flag(p)
    add_json_flag(p)

    p = add_command(
        msub, "sample", _sample, "write generated contacts as a training CSV / 生成训练样例 CSV"
    )
    p.add_argument("--out", metavar="CSV", required=True)
    p.add_argument("--rows", type=int_arg(1, MAX_TRAIN_ROWS), default=1000)
    p.add_argument("--seed", type=seed_arg, default=1)
    add_json_flag(p)


def _load(directory: str | None) -> Any:
    from customer_models.models import OutcomeModels
    from customer_models.persistence import ModelFileError

    try:
        return _load_dir(directory) if directory else OutcomeModels.load_default()
    except ModelFileError as err:
        raise UserError(str(err), location=directory) from None
    except ValueError as err:
        raise UserError(str(err), location=directory) from None


def _load_dir(directory: str) -> Any:
    """A model folder's files, each a regular file under the size cap (no pipe, device or
    runaway file is read), then `persistence.loads` checks them."""
    from customer_models.persistence import CARD_FILE, MODEL_FILES, PARAMS_FILE, loads
    from sandbox.fileio import InputFileError, read_input
    from sandbox.limits import MAX_MODEL_FILE_BYTES

    base = Path(directory)
    if not base.is_dir():
        raise UserError("model directory not found; give the folder `shapan model train` wrote",
                        location=directory)  # fmt: skip
    files = {}
    for name in (*MODEL_FILES.values(), PARAMS_FILE, CARD_FILE):
        try:
            files[name] = read_input(base / name, MAX_MODEL_FILE_BYTES, "model file")
        except InputFileError as err:
            raise UserError(str(err), location=str(base / name)) from None
    return loads(files)


def _read_training_csv(path: str) -> Any:
    """The training CSV, read within the limits (docs/limits.md): a regular file of at most
    MAX_CSV_BYTES, at most MAX_CSV_ROWS rows, cells of at most MAX_CSV_CELL characters."""
    from customer_models import csvdata
    from sandbox.fileio import InputFileError, read_input

    try:
        raw = read_input(path, MAX_CSV_BYTES, "CSV file")
    except InputFileError as err:
        raise UserError(str(err), location=path) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise UserError("not UTF-8 text; save the export as UTF-8 / 请以 UTF-8 保存",
                        location=f"{path}:{line}") from None  # fmt: skip
    del raw
    return csvdata.parse_text(text, path, max_rows=MAX_CSV_ROWS)


def _positive(value: int | None, name: str) -> None:
    if value is not None and value <= 0:
        raise UserError(f"{name} must be a positive number / {name} 必须为正数", exit_code=2)


def _train(args: argparse.Namespace) -> int:
    from customer_models import csvdata, training
    from customer_models.persistence import dumps, sha256
    from sandbox.fileio import atomic_write_files

    _positive(args.rows, "--rows")
    seed = training.DEFAULT_SEED if args.seed is None else args.seed
    ignored: list[str] = []
    if args.data:
        if args.rows is not None:
            raise UserError(
                "--rows only applies to generated data; drop it with --data", exit_code=2
            )
        try:
            data = _read_training_csv(args.data)
        except csvdata.CsvDataError as err:
            first = err.problems[0]
            more = len(err.problems) - 1
            rest = "".join(f"\n{p.render(err.path)}" for p in err.problems[1:])
            raise UserError(
                f"{first.render(err.path).split(': ', 1)[-1].strip()}"
                + (f" (+{more} more)" if more else "")
                + rest,
                location=f"{err.path}:{first.line}",
            ) from None
        ignored = data.ignored_columns
        source = {
            "kind": "csv export",
            "path": str(Path(args.data).name),
            "description": "contact-center export in the shapan feature schema",
        }
        try:
            models = training.train(
                data.columns, data.csat, data.churn, data.cross_sell, seed=seed, source=source
            )
        except training.TrainingDataError as err:
            raise UserError(f"cannot train: {err} / 无法训练", location=args.data) from None
    else:
        try:
            models = training.train_default(n=args.rows or training.DEFAULT_TRAIN_SIZE, seed=seed)
        except training.TrainingDataError as err:
            raise UserError(f"cannot train: {err} / 无法训练", exit_code=1) from None
    files = dumps(models)
    atomic_write_files(args.out, files)
    hashes = {name: sha256(data) for name, data in files.items()}
    doc = {
        "out": str(args.out),
        "version": models.version,
        "rows": models.card["training_data"]["rows"],
        "metrics_held_out": models.card["metrics_held_out"],
        "files": hashes,
        "ignored_columns": ignored,
    }
    if args.json:
        emit_json(doc)
    else:
        m = doc["metrics_held_out"]
        print(f"trained {models.version} on {doc['rows']} contacts -> {args.out}")
        print(f"  模型版本 version {models.version}")
        print(f"  CSAT  MAE {m['csat']['mae']:.3f}  top-box AUC {m['csat']['top_box']['auc']:.3f}")
        print(f"  churn AUC {m['churn']['auc']:.3f}  Brier {m['churn']['brier']:.4f}")
        print(
            f"  cross-sell AUC {m['cross_sell']['auc']:.3f}  Brier {m['cross_sell']['brier']:.4f}"
        )
        if ignored:
            print(f"  ignored columns / 忽略的列: {', '.join(ignored)}")
    return 0


def _card(args: argparse.Namespace) -> int:
    models = _load(args.dir)
    card = models.card
    if args.json:
        emit_json(card)
        return 0
    m = card["metrics_held_out"]
    td = card["training_data"]
    print(
        f"{card['name']}  version 版本 {card['version']}  (feature schema {card['feature_schema_version']})"
    )
    print(f"training data 训练数据: {td.get('kind')} — {td.get('description', '')}")
    print(f"  rows {td['rows']}  split {td['split']}")
    for target, desc in card["models"].items():
        print(f"model {target}: {desc}")
    print("held-out metrics 留出集指标:")
    print(
        f"  CSAT: MAE {m['csat']['mae']}, accuracy {m['csat']['accuracy']}, "
        f"top-box AUC {m['csat']['top_box']['auc']}, Brier {m['csat']['top_box']['brier']}, "
        f"ECE {m['csat']['top_box']['ece']}"
    )
    for t in ("churn", "cross_sell"):
        print(
            f"  {t}: AUC {m[t]['auc']}, Brier {m[t]['brier']}, ECE {m[t]['ece']}, "
            f"base rate {m[t]['base_rate']}"
        )
    print(f"features 特征: {len(card['features'])} columns")
    print("files (sha256) 文件:")
    for name, digest in card.get("files", {}).items():
        print(f"  {name}  {digest}")
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from sandbox.calibration_rows import all_rows
    from sandbox.sweeps import SweepError, open_sweep

    models = _load(args.dir)
    try:
        sweep = open_sweep(args.workers, args.scheduler)
    except SweepError as err:
        raise UserError(str(err), exit_code=1) from None
    with sweep:
        rows = all_rows(models, seed=args.seed, sweep=sweep)
    if args.json:
        emit_json(rows)
    else:
        print("校准对照表 calibration table (shared/calibration.md)")
        for r in rows:
            status = "通过 PASS" if r["passed"] else "未通过 FAIL"
            print(f"[{status}] row {r['id']}: {r.get('relationship_zh', '')} {r['relationship']}")
            print(f"    目标 target:    {r['target']}")
            print(f"    实测 measured:  {r['measured']}")
            print(f"    容差 tolerance: {r['tolerance']}")
        failed = [str(r["id"]) for r in rows if not r["passed"]]
        print(
            f"{len(rows) - len(failed)}/{len(rows)} rows pass"
            + (f"; failing 未通过: {', '.join(failed)}" if failed else "")
        )
    return 1 if any(not r["passed"] for r in rows) else 0


def _sample(args: argparse.Namespace) -> int:
    import numpy as np

    from customer_models import csvdata, ground_truth
    from sandbox.fileio import atomic_write_text

    _positive(args.rows, "--rows")
    gen = ground_truth.generate(np.random.default_rng(args.seed), args.rows)
    atomic_write_text(
        args.out, csvdata.to_csv_text(gen.columns, gen.csat, gen.churn, gen.cross_sell)
    )
    if args.json:
        emit_json({"out": str(args.out), "rows": args.rows, "columns": list(csvdata.COLUMNS)})
    else:
        print(f"wrote {args.rows} contacts to {args.out} / 已写入")
    return 0
