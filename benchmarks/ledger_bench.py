"""Benchmark the ledger: ingest and summarise N synthetic requests.

Usage::

    .venv/bin/python benchmarks/ledger_bench.py --rows 1000000 [--workdir DIR]
        [--loop-sample K] [--key request_id|content] [--profile]

What is measured
----------------
A request log of N rows (12 columns named as in the ledger, six real models
priced by genai-prices, 90 days from 2026-09-01 UTC, about 15% batch) is
written once to Parquet in ``--workdir`` and reused by later runs of the
same N and key. Then, each in a fresh child process on the same file:

ours
    ``open_ledger`` + ``ingest_file`` into a new ledger, then a CHECKPOINT
    (``ingest_s``); ``price_ledger`` + ``summarise`` (``metrics_s``).
    ``peak_mb`` is the child's maximum resident set size.
floor
    Hand-written DuckDB: persist the file as a table, then cost by day,
    model and team from a small price table (list prices on one date,
    batch at half price). The least a DuckDB expert would write.

The ``tokenlib metrics --json`` command is also timed once as a subprocess
(interpreter start and imports included). The loop baseline prices K rows
spread over the file one at a time with ``genai_prices.calc_price`` (the
reading of those rows is not timed) and scales the time per row to N.

Reading the ratios
------------------
The last line is ``rows=N ingest_s=... metrics_s=... peak_mb=... vs_sql=...x
vs_loop=...x``. ``vs_sql`` is our ingest + metrics time over the floor's
time: the price of parsing, quarantine, de-duplication, dated prices and the
cost basis; 1 is the floor itself, lower is better. ``vs_loop`` is the loop
time over ours: how many times faster than a per-row loop we are, higher is
better. Both come from one run on one machine, so machine noise mostly
cancels; absolute seconds do not compare across machines.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import genai_prices
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from genai_prices.data_snapshot import get_snapshot

#: (provider, model, share of requests, gets cache writes)
MODELS = (
    ("openai", "gpt-4.1", 0.10, False),
    ("openai", "gpt-4.1-mini", 0.25, False),
    ("openai", "gpt-4o-mini", 0.20, False),
    ("anthropic", "claude-sonnet-4-5", 0.20, True),
    ("anthropic", "claude-haiku-4-5", 0.10, True),
    ("google", "gemini-2.5-flash", 0.15, False),
)
TEAMS = tuple(f"team-{i:02d}" for i in range(1, 13))
USE_CASES = (
    "chat",
    "search",
    "summarise",
    "code-review",
    "support-bot",
    "extraction",
    "translation",
    "agent",
)
START = datetime(2026, 9, 1, tzinfo=UTC)
DAYS = 90
#: Date of the list prices in the floor's price table.
FLOOR_PRICE_DATE = datetime(2026, 11, 1, 12, tzinfo=UTC)
CHUNK = 1_000_000
SEED = 20260901
STRING = pa.dictionary(pa.int8(), pa.string())
SCHEMA = pa.schema(
    [
        ("request_id", pa.string()),
        ("start", pa.timestamp("us", tz="UTC")),
        ("provider", STRING),
        ("model", STRING),
        ("service_tier", STRING),
        ("input_tokens", pa.int64()),
        ("cache_read_tokens", pa.int64()),
        ("cache_write_5m_tokens", pa.int64()),
        ("output_tokens", pa.int64()),
        ("team", STRING),
        ("use_case", STRING),
    ]
)


# --- the synthetic request log -------------------------------------------


def _request_ids(rng: np.random.Generator, first: int, n: int) -> pa.Array:
    """Unique ids ``req_`` + 24 hex digits: 7 random bytes, 5 of row number."""
    raw = np.empty((n, 12), np.uint8)
    raw[:, :7] = rng.integers(0, 256, (n, 7), dtype=np.uint8)
    rows = np.arange(first, first + n, dtype=np.uint64).astype(">u8")
    raw[:, 7:] = rows.view(np.uint8).reshape(n, 8)[:, 3:]
    digits = np.frombuffer(b"0123456789abcdef", np.uint8)
    text = np.empty((n, 28), np.uint8)
    text[:, :4] = np.frombuffer(b"req_", np.uint8)
    text[:, 4::2] = digits[raw >> 4]
    text[:, 5::2] = digits[raw & 15]
    offsets = np.arange(0, 28 * (n + 1), 28, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(text))


def _tokens(rng, n: int, median: float, sigma: float, cap: int, share=1.0):
    """Log-normal token counts; a ``1 - share`` fraction of rows get zero."""
    values = np.minimum(rng.lognormal(np.log(median), sigma, n), cap)
    values = np.maximum(values.astype(np.int64), 1)
    return np.where(rng.random(n) < share, values, 0)


def _labels(index: np.ndarray, names) -> pa.Array:
    return pa.DictionaryArray.from_arrays(index.astype(np.int8), list(names))


def _chunk(rows: int, first: int, n: int, with_ids: bool) -> pa.Table:
    """Rows ``first`` to ``first + n`` of the log, time-ordered over DAYS."""
    rng = np.random.default_rng([SEED, first])
    id_rng = np.random.default_rng([SEED, first, 1])
    share = np.array([m[2] for m in MODELS])
    model = rng.choice(len(MODELS), n, p=share / share.sum())
    caches = np.array([m[3] for m in MODELS])[model]
    span_us = DAYS * 86_400 * 1_000_000
    offset = (first + np.arange(n) + rng.random(n)) / rows * span_us
    start = int(START.timestamp() * 1_000_000) + offset.astype(np.int64)
    providers = sorted({m[0] for m in MODELS})
    provider = np.array([providers.index(m[0]) for m in MODELS])[model]
    weight = 1 / np.arange(1, len(TEAMS) + 1)
    team = rng.choice(len(TEAMS), n, p=weight / weight.sum())
    columns = {
        "request_id": _request_ids(id_rng, first, n) if with_ids else None,
        "start": pa.array(start, SCHEMA.field("start").type),
        "provider": _labels(provider, providers),
        "model": _labels(model, [m[1] for m in MODELS]),
        "service_tier": _labels(rng.random(n) < 0.15, ["standard", "batch"]),
        "input_tokens": _tokens(rng, n, 1200, 1.0, 120_000),
        "cache_read_tokens": _tokens(rng, n, 4000, 1.0, 40_000, 0.45),
        "cache_write_5m_tokens": _tokens(rng, n, 2000, 0.8, 20_000, 0.2) * caches,
        "output_tokens": _tokens(rng, n, 350, 0.9, 16_000),
        "team": _labels(team, TEAMS),
        "use_case": _labels(rng.integers(0, len(USE_CASES), n), USE_CASES),
    }
    schema = SCHEMA if with_ids else SCHEMA.remove(0)
    return pa.table({k: v for k, v in columns.items() if v is not None}, schema)


def write_log(path: Path, rows: int, with_ids: bool) -> None:
    """Write the log chunk by chunk, one Parquet row group per chunk."""
    schema = SCHEMA if with_ids else SCHEMA.remove(0)
    part = path.with_suffix(".part")
    with pq.ParquetWriter(part, schema) as writer:
        for first in range(0, rows, CHUNK):
            n = min(CHUNK, rows - first)
            writer.write_table(_chunk(rows, first, n, with_ids), row_group_size=n)
    part.replace(path)


def ensure_log(workdir: Path, rows: int, key: str) -> tuple[Path, float | None]:
    """Return the log's path, writing it unless a complete one is there."""
    path = workdir / f"requests_{rows}_{key}.parquet"
    if path.exists() and pq.ParquetFile(path).metadata.num_rows == rows:
        return path, None
    began = time.perf_counter()
    write_log(path, rows, with_ids=key == "request_id")
    return path, time.perf_counter() - began


# --- what runs in the child processes ------------------------------------


class _TimedConnection:
    """Pass calls to a DuckDB connection, timing each ``execute``."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self.steps: list[tuple[float, str]] = []

    def execute(self, sql: str, *args):
        began = time.perf_counter()
        result = self._con.execute(sql, *args)
        label = re.sub(r"\s+", " ", sql).strip()[:110]
        self.steps.append((time.perf_counter() - began, label))
        return result

    def __getattr__(self, name: str):
        return getattr(self._con, name)


def child_ours(parquet: Path, db: Path, profile: bool) -> dict:
    """Ingest into a new ledger, then price and summarise it; time both."""
    import tokenlib

    began = time.perf_counter()
    con = tokenlib.open_ledger(db)
    timed = _TimedConnection(con) if profile else con
    summary = tokenlib.ingest_file(timed, parquet)
    con.execute("CHECKPOINT")
    ingested = time.perf_counter()
    tokenlib.price_ledger(timed, scope=None)
    result = tokenlib.summarise(timed)
    done = time.perf_counter()
    con.close()
    return {
        "ingest_s": ingested - began,
        "metrics_s": done - ingested,
        "ingested": summary.ingested,
        "quarantined": summary.quarantined,
        "total_cost": result["total_cost"],
        "steps": sorted(timed.steps, reverse=True)[:8] if profile else [],
    }


def floor_prices() -> list[tuple]:
    """(provider, model, input, cache read, cache write, output) per MTok."""

    def flat(price, fallback=None):
        price = fallback if price is None else price
        return float(getattr(price, "base", price))

    rows = []
    for provider, model, *_ in MODELS:
        info = get_snapshot().find_provider_model(model, None, provider, None)[1]
        p = info.get_prices(FLOOR_PRICE_DATE)
        rows.append(
            (
                provider,
                model,
                flat(p.input_mtok),
                flat(p.cache_read_mtok, p.input_mtok),
                flat(p.cache_write_mtok, p.input_mtok),
                flat(p.output_mtok),
            )
        )
    return rows


FLOOR_ROLLUP = """
    SELECT CAST(t.start AS DATE) AS day, t.model, t.team,
      sum((t.input_tokens * p.input + t.cache_read_tokens * p.cache_read
           + t.cache_write_5m_tokens * p.cache_write + t.output_tokens * p.output)
          * CASE WHEN t.service_tier = 'batch' THEN 0.5 ELSE 1 END) / 1e6 AS cost
    FROM t JOIN price p USING (provider, model)
    GROUP BY ALL ORDER BY ALL"""


def child_floor(parquet: Path, db: Path) -> dict:
    """Persist the file as a table, then roll cost up by day, model, team."""
    prices = floor_prices()
    began = time.perf_counter()
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE t AS SELECT * FROM read_parquet(?)", [str(parquet)])
    con.execute("CHECKPOINT")
    persisted = time.perf_counter()
    con.execute(
        "CREATE TEMP TABLE price (provider VARCHAR, model VARCHAR, input DOUBLE,"
        " cache_read DOUBLE, cache_write DOUBLE, output DOUBLE)"
    )
    con.executemany("INSERT INTO price VALUES (?, ?, ?, ?, ?, ?)", prices)
    rollup = con.execute(FLOOR_ROLLUP).fetchall()
    done = time.perf_counter()
    con.close()
    return {
        "persist_s": persisted - began,
        "rollup_s": done - persisted,
        "groups": len(rollup),
        "total_cost": sum(r[3] for r in rollup),
    }


# --- the parent: children, CLI, loop baseline -----------------------------


def run_child(kind: str, parquet: Path, db: Path, profile: bool) -> tuple[dict, float]:
    """Run one measurement in a fresh interpreter; return its result and peak MB."""
    db.unlink(missing_ok=True)
    Path(f"{db}.wal").unlink(missing_ok=True)
    argv = [sys.executable, __file__, "--child", kind, str(parquet), str(db)]
    proc = subprocess.Popen(argv + ["--profile"] * profile, stdout=subprocess.PIPE)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        sys.exit(f"{kind} child failed with exit code {proc.returncode}")
    return json.loads(out), usage.ru_maxrss / 1024


def _seconds(result: dict) -> float:
    return sum(v for k, v in result.items() if k.endswith("_s"))


def best_of(repeat: int, kind: str, parquet: Path, db: Path, profile: bool):
    """The fastest of ``repeat`` runs, with the highest peak MB of them all."""
    runs = [run_child(kind, parquet, db, profile) for _ in range(repeat)]
    return min(runs, key=lambda r: _seconds(r[0]))[0], max(r[1] for r in runs)


def time_cli(db: Path) -> float:
    """Seconds for ``tokenlib metrics --json`` on the ledger, as a command."""
    exe = Path(sys.executable).with_name("tokenlib")
    command = [str(exe)] if exe.exists() else [shutil.which("tokenlib") or "tokenlib"]
    began = time.perf_counter()
    subprocess.run(
        command + ["metrics", "--json", "--ledger", str(db)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - began


def sample_rows(parquet: Path, k: int) -> tuple[dict, int]:
    """Every ``step``-th row of the file, ``k`` rows at most, as Python lists."""
    meta = pq.ParquetFile(parquet).metadata
    step = max(1, meta.num_rows // k)
    parts, first = [], 0
    for g in range(meta.num_row_groups):
        group = pq.ParquetFile(parquet).read_row_group(g)
        local = np.arange((-first) % step, group.num_rows, step)
        parts.append(group.take(local))
        first += group.num_rows
    return pa.concat_tables(parts).slice(0, k).to_pydict(), step


def _usage(row: dict) -> genai_prices.Usage:
    cached, written = row["cache_read_tokens"], row["cache_write_5m_tokens"]
    return genai_prices.Usage(
        input_tokens=row["input_tokens"] + cached + written,
        cache_read_tokens=cached,
        cache_write_tokens=written,
        output_tokens=row["output_tokens"],
    )


def loop_baseline(rows: dict) -> tuple[float, float]:
    """Price rows one by one with genai-prices: (seconds per row, total USD)."""
    batch = {"processing": "batch"}
    names = list(rows)
    total = 0.0
    began = time.perf_counter()
    for values in zip(*rows.values(), strict=True):
        row = dict(zip(names, values, strict=True))
        total += float(
            genai_prices.calc_price(
                _usage(row),
                row["model"],
                provider_id=row["provider"],
                genai_request_timestamp=row["start"],
                price_context=batch if row["service_tier"] == "batch" else None,
            ).total_price
        )
    return (time.perf_counter() - began) / len(rows[names[0]]), total


def ours_on_sample(db: Path, step: int, k: int) -> float:
    """What the ledger computes for the loop's sample rows, in USD."""
    import tokenlib

    con = tokenlib.open_ledger(db, read_only=True)
    tokenlib.price_ledger(con)
    return con.execute(
        "SELECT sum(computed_cost) FROM priced "
        "WHERE (source_row - 1) % ? = 0 AND source_row - 1 < ? * ?",
        [step, step, k],
    ).fetchone()[0]


# --- report ----------------------------------------------------------------


def report(
    n: int,
    ours: dict,
    peak: float,
    floor: dict,
    floor_peak: float,
    cli_s: float,
    loop: dict,
) -> None:
    """Print the detail lines, then the summary line last."""
    ours_s = ours["ingest_s"] + ours["metrics_s"]
    floor_s = floor["persist_s"] + floor["rollup_s"]
    loop_s = loop["per_row"] * n
    for seconds, sql in ours["steps"]:
        print(f"  step {seconds:7.2f}s  {sql}")
    print(
        f"ours:  ingest {ours['ingest_s']:.2f}s ({ours['ingested']:,} rows, "
        f"{ours['quarantined']:,} quarantined), metrics {ours['metrics_s']:.2f}s, "
        f"peak {peak:.0f} MB, total_cost {ours['total_cost']:,.2f} USD"
    )
    print(
        f"floor: persist {floor['persist_s']:.2f}s, roll-up {floor['rollup_s']:.2f}s "
        f"({floor['groups']:,} groups), peak {floor_peak:.0f} MB, "
        f"total_cost {floor['total_cost']:,.2f} USD (prices of {FLOOR_PRICE_DATE:%F})"
    )
    print(f"cli:   tokenlib metrics --json {cli_s:.2f}s (process start included)")
    print(
        f"loop:  {loop['per_row'] * 1e6:.1f} us/row on {loop['k']:,} rows -> "
        f"{loop_s:.1f}s for {n:,}; sample cost genai-prices {loop['cost']:.4f} "
        f"vs ledger {loop['ours']:.4f} USD"
    )
    print(
        f"rows={n} ingest_s={ours['ingest_s']:.2f} metrics_s={ours['metrics_s']:.2f} "
        f"peak_mb={peak:.2f} vs_sql={ours_s / floor_s:.2f}x "
        f"vs_loop={loop_s / ours_s:.2f}x"
    )


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, required=True, help="rows in the log")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="folder keeping the Parquet log between runs",
    )
    parser.add_argument(
        "--loop-sample",
        type=int,
        default=20_000,
        help="rows priced by the per-row loop",
    )
    parser.add_argument(
        "--key",
        choices=("request_id", "content"),
        default="request_id",
        help="log with a request_id column, or keyed on content",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run ours and the floor this many times; keep the best",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="print the slowest SQL statements of ours",
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> None:
    if argv[:1] == ["--child"]:
        kind, parquet, db = argv[1], Path(argv[2]), Path(argv[3])
        result = (
            child_ours(parquet, db, "--profile" in argv)
            if kind == "ours"
            else child_floor(parquet, db)
        )
        print(json.dumps(result))
        return
    args = parse_args(argv)
    workdir = args.workdir or Path(tempfile.gettempdir()) / "tokenlib-bench"
    workdir.mkdir(parents=True, exist_ok=True)
    parquet, wrote = ensure_log(workdir, args.rows, args.key)
    size = parquet.stat().st_size / 2**20
    print(
        f"log:   {parquet} ({size:,.0f} MB, "
        + (f"written in {wrote:.1f}s)" if wrote else "reused)")
    )

    floor, floor_peak = best_of(
        args.repeat, "floor", parquet, workdir / "floor.duckdb", False
    )
    db = workdir / "ledger.duckdb"
    ours, peak = best_of(args.repeat, "ours", parquet, db, args.profile)
    cli_s = time_cli(db)
    rows, step = sample_rows(parquet, args.loop_sample)
    per_row, cost = loop_baseline(rows)
    loop = {
        "per_row": per_row,
        "cost": cost,
        "k": len(rows["start"]),
        "ours": ours_on_sample(db, step, args.loop_sample),
    }
    report(args.rows, ours, peak, floor, floor_peak, cli_s, loop)


if __name__ == "__main__":
    main(sys.argv[1:])
