"""`shapan model train|card|calibrate|sample`: the customer outcome models.

train      retrain from the ground-truth generator, a contact center's CSV export, or a
           customer table with a churn flag (refits the churn baseline only)
card       print the model card (training data, features, metrics, version, hashes)
calibrate  print the calibration table (target, measured + 95% CI, tolerance, pass/fail/input)
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
    p.add_argument(
        "--data",
        metavar="CSV",
        help="contact export in the feature schema with labels, or a customer table with a "
        "churned column / 联络记录导出或带流失标记的客户表",
    )
    p.add_argument(
        "--table",
        choices=("auto", "contacts", "customers"),
        default="auto",
        help="what --data holds (default auto: a csat column means contacts, else customers) "
        "/ 数据类型（默认自动：有 csat 列为联络记录，否则为客户表）",
    )
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
        "print the calibration table, measured through the engine; exit 1 if an outcome row "
        "fails / 校准对照表",
    )
    p.add_argument("--dir", metavar="DIR", help="model directory (default: the shipped models)")
    p.add_argument("--seed", type=seed_arg, default=None, help="seed of the engine runs")
    p.add_argument("--workers", type=int_arg(1, MAX_WORKERS), default=None, metavar="W",
                   help="worker processes for the engine runs (default: all cores)")  # fmt: skip
    add_scheduler_flag(p)
    add_json_flag(p)

    p = add_command(
        msub, "sample", _sample, "write generated contacts as a training CSV / 生成训练样例 CSV"
    )
    p.add_argument("--out", metavar="CSV", required=True)
    p.add_argument("--rows", type=int_arg(1, MAX_TRAIN_ROWS), default=1000)
    p.add_argument("--seed", type=seed_arg, default=1)
    p.add_argument(
        "--table",
        choices=("contacts", "customers"),
        default="contacts",
        help="contacts (the full feature schema with labels) or customers (a made-up customer "
        "table with a churned flag) / 联络记录或客户表",
    )
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


def _read_csv_text(path: str) -> tuple[str, str]:
    """The training CSV's text and the sha256 of its bytes, read within the limits
    (docs/limits.md): a regular file of at most MAX_CSV_BYTES, UTF-8 (a BOM is fine)."""
    from customer_models.fingerprint import sha256
    from sandbox.fileio import InputFileError, read_input

    try:
        raw = read_input(path, MAX_CSV_BYTES, "CSV file")
    except InputFileError as err:
        raise UserError(str(err), location=path) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        start = raw.rfind(b"\n", 0, err.start) + 1
        col = len(raw[start : err.start].decode("utf-8", errors="replace")) + 1
        raise UserError("not UTF-8 text; save the export as UTF-8 / 请以 UTF-8 保存",
                        location=f"{path}:{line}:{col}") from None  # fmt: skip
    return text, sha256(raw)


def _csv_error(err: Any) -> UserError:
    """A CsvDataError as one `path:line:column: error: ...` line (+ the rest below it)."""
    first = err.problems[0]
    more = len(err.problems) - 1
    rest = "".join(f"\n{p.render(err.path)}" for p in err.problems[1:])
    return UserError(
        first.text() + (f" (+{more} more)" if more else "") + rest,
        location=first.location(err.path),
    )


def _positive(value: int | None, name: str) -> None:
    if value is not None and value <= 0:
        raise UserError(f"{name} must be a positive number / {name} 必须为正数", exit_code=2)


def _train(args: argparse.Namespace) -> int:
    from customer_models import csvdata, customer_table, training
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
        text, digest = _read_csv_text(args.data)
        table = args.table
        if table == "auto":
            table = "customers" if customer_table.is_customer_header(text) else "contacts"
        if table == "customers":
            return _train_customers(args, text, digest, seed)
        try:
            data = csvdata.parse_text(text, args.data, max_rows=MAX_CSV_ROWS)
        except csvdata.CsvDataError as err:
            raise _csv_error(err) from None
        ignored = data.ignored_columns
        source = {
            "kind": "csv export",
            "path": str(Path(args.data).name),
            "sha256": digest,
            "description": "contact-center export in the shapan feature schema",
        }
        try:
            models = training.train(
                data.columns, data.csat, data.churn, data.cross_sell, seed=seed, source=source
            )
        except training.TrainingDataError as err:
            raise UserError(f"cannot train: {err} / 无法训练", location=args.data) from None
    else:
        if args.table != "auto":
            raise UserError("--table describes --data; give --data CSV with it", exit_code=2)
        try:
            models = training.train_default(n=args.rows or training.DEFAULT_TRAIN_SIZE, seed=seed)
        except training.TrainingDataError as err:
            raise UserError(f"cannot train: {err} / 无法训练", exit_code=1) from None
    files = dumps(models)
    atomic_write_files(args.out, files)
    hashes = {name: sha256(data) for name, data in files.items()}
    doc = {
        "out": str(args.out),
        "table": "contacts" if args.data else "generated",
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


def _train_customers(args: argparse.Namespace, text: str, digest: str, seed: int) -> int:
    """Refit the churn baseline on a customer table (docs/customer-model.md, 'Customer
    table'); CSAT, cross-sell and the contact-level churn effects stay the shipped ones."""
    from customer_models import churn_baseline, customer_table, training
    from customer_models.csvdata import CsvDataError
    from customer_models.models import OutcomeModels
    from customer_models.persistence import dumps, sha256
    from sandbox.fileio import atomic_write_files

    try:
        table = customer_table.parse_text(text, args.data, max_rows=MAX_CSV_ROWS)
    except CsvDataError as err:
        raise _csv_error(err) from None
    source = {
        "path": str(Path(args.data).name),
        "sha256": digest,
        "description": "customer-level table with a churn flag",
    }
    try:
        fit = churn_baseline.fit(table, OutcomeModels.load_default(), seed=seed, source=source)
    except training.TrainingDataError as err:
        raise UserError(f"cannot train: {err} / 无法训练", location=args.data) from None
    files = dumps(fit.models)
    atomic_write_files(args.out, files)
    r = fit.report
    doc = {
        "out": str(args.out),
        "table": "customers",
        "version": fit.models.version,
        "data": {"path": str(args.data), "sha256": digest},
        **r,
        "files": {name: sha256(data) for name, data in files.items()},
    }
    if args.json:
        emit_json(doc)
        return 0
    print("\n".join(_customer_report(doc)))
    return 0


def _customer_report(doc: dict[str, Any]) -> list[str]:
    """The text report of a customer-table training (zh-CN and en, like the rest)."""
    m, sp = doc["churn"], doc["split"]
    lines = [
        f"trained {doc['version']} on customer table {doc['data']['path']} -> {doc['out']}",
        f"  模型版本 version {doc['version']}",
        f"  使用行数 rows used: {doc['rows']} ({doc['churned']} churned 流失); "
        f"train 训练 {sp['train']}, held out 留出 {sp['test']} "
        f"(stratified split, seed 划分种子 {sp['seed']})",
        f"  流失基线 churn baseline, held out 留出集: AUC {m['auc']:.3f}  "
        f"Brier {m['brier']:.4f}  ECE {m['ece']:.4f}  base rate 流失率 {m['base_rate']:.1%}",
        "  校准 calibration (held out, bins of predicted churn 按预测流失率分组):",
        "     bin     n  predicted 预测  observed 实际",
    ]
    for i, b in enumerate(m["calibration_bins"], start=1):
        lines.append(f"    {i:>4} {b['n']:>5}  {b['predicted']:>13.1%}  {b['observed']:>12.1%}")
    lines += [
        f"  拟合 fitted: churn baseline on {', '.join(doc['columns_used'])} "
        "(replaces the persona churn_risk input)",
        "  保留 kept: the shipped churn model's contact-level effects (resolution, repeat "
        "contacts, wait, behaviours, risks...) — decisions still move churn",
        "  CSAT 与交叉销售模型沿用内置模型 CSAT and cross-sell: the shipped models, unchanged",
    ]
    if doc["missing_optional_columns"]:
        missing = ", ".join(doc["missing_optional_columns"])
        lines.append(
            f"  缺少的可选列 missing optional columns: {missing} (the baseline does not "
            "depend on them)"
        )
    if doc["ignored_columns"]:
        lines.append(f"  忽略的列 ignored columns: {', '.join(doc['ignored_columns'])}")
    return lines


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
    if td.get("kind") == "customer table":
        print(f"  file 文件 {td.get('path')}  sha256 {td.get('sha256')}")
        print(f"  columns used 使用的列: {', '.join(td.get('columns_used', []))}")
        base = card.get("base_models", {})
        print(
            "  CSAT, cross-sell and the contact-level churn effects: the base models "
            f"{base.get('base_version', '')} / 沿用基础模型"
        )
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
    import time

    from sandbox.calibration_rows import all_rows
    from sandbox.sweeps import SweepError, open_sweep

    models = _load(args.dir)
    try:
        sweep = open_sweep(args.workers, args.scheduler)
    except SweepError as err:
        raise UserError(str(err), exit_code=1) from None
    started = time.perf_counter()
    with sweep:
        rows = all_rows(models, seed=args.seed, sweep=sweep)
    outcome = [r for r in rows if r["verdict"] != "input"]
    failed = [str(r["id"]) for r in outcome if r["verdict"] != "pass"]
    if args.json:
        emit_json(rows)
    else:
        print("校准对照表 calibration table (shared/calibration.md), measured on contacts played "
              "through the engine / 在引擎中实际对局测得")  # fmt: skip
        label = {"pass": "通过 PASS", "fail": "未通过 FAIL", "input": "输入 INPUT"}
        for r in rows:
            print(f"[{label[r['verdict']]}] row {r['id']}: {r.get('relationship_zh', '')} "
                  f"{r['relationship']}")  # fmt: skip
            print(f"    目标 target:    {r['target']}")
            print(f"    实测 measured:  {r['measured']}")
            print(f"    容差 tolerance: {r['tolerance']}")
        print(
            f"{len(outcome) - len(failed)}/{len(outcome)} outcome rows pass, "
            f"{len(rows) - len(outcome)} inputs ({time.perf_counter() - started:.0f} s)"
            + (f"; failing 未通过: {', '.join(failed)}" if failed else "")
        )
    return 1 if failed else 0


def _sample(args: argparse.Namespace) -> int:
    import numpy as np

    from customer_models import csvdata, ground_truth
    from sandbox.fileio import atomic_write_text

    _positive(args.rows, "--rows")
    if args.table == "customers":
        from customer_models import customer_table

        cols, churned = customer_table.generate(np.random.default_rng(args.seed), args.rows)
        atomic_write_text(args.out, customer_table.to_csv_text(cols, churned))
        if args.json:
            columns = ["customer_id", "churned", *customer_table.ATTRIBUTES]
            emit_json({"out": str(args.out), "rows": args.rows, "table": "customers",
                       "columns": columns})  # fmt: skip
        else:
            print(f"wrote {args.rows} made-up customers to {args.out} / 已写入客户表")
        return 0
    gen = ground_truth.generate(np.random.default_rng(args.seed), args.rows)
    atomic_write_text(
        args.out, csvdata.to_csv_text(gen.columns, gen.csat, gen.churn, gen.cross_sell)
    )
    if args.json:
        emit_json({"out": str(args.out), "rows": args.rows, "columns": list(csvdata.COLUMNS)})
    else:
        print(f"wrote {args.rows} contacts to {args.out} / 已写入")
    return 0
