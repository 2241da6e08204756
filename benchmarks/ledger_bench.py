"""Benchmark the ledger: ingest and summarise N synthetic requests.

Usage::

    .venv/bin/python benchmarks/ledger_bench.py --rows 1000000 [--workdir DIR]
        [--loop-sample K] [--key request_id|content] [--repeat R] [--profile]

What is measured
----------------
A request log of N rows (11 columns named as in the ledger, six real models
priced by genai-prices, 90 days from 2026-09-01 UTC, about 15% batch) is
written once to Parquet in ``--workdir`` and reused by later runs of the
same N and key. ``--key content`` leaves out ``request_id``, so the reader
keys rows on their content. Then, each in a fresh child process:

ours
    ``open_ledger`` + ``ingest_file`` into a new ledger, then a CHECKPOINT
    (``ingest_s``); ``price_ledger`` + ``summarise`` (``metrics_s``); then
    the fully loaded cost on the default assumptions (``loaded_s``), and
    today's optimisation levers with one scenario that moves every layer
    (``levers_s``), each printed as a ratio to the metrics time.
    ``peak_mb`` is the child's maximum resident set size.
floor
    Hand-written DuckDB: persist the file as a table, then cost by day,
    model and team from a small price table (list prices on one date,
    batch at half price). The least a DuckDB expert would write.

The ``tokenlib metrics --json`` command is also timed once as a subprocess
(interpreter start and imports included). The loop baseline prices K rows
spread over the file one at a time with ``genai_prices.calc_price`` (reading
those rows is not timed) and scales the time per row to N. The ledger's
cost of the same K rows is printed beside the loop's as a correctness check.

Reading the ratios
------------------
The last line is ``rows=N ingest_s=... metrics_s=... peak_mb=... vs_sql=...x
vs_loop=...x``. ``vs_sql`` is our ingest + metrics time over the floor's
time: what parsing, quarantine, de-duplication, dated prices and the cost
basis cost on top of the floor; 1 is the floor, lower is better.
``vs_loop`` is the loop's time over ours: how many times faster than a
per-row loop we are, higher is better. Both come from one run on one
machine, so machine noise mostly cancels; absolute seconds do not compare
across machines. On a shared machine use ``--repeat`` (best of R runs) and
read the CPU seconds on the detail lines, which contention disturbs less.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
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

#: (provider, model, share of requests, writes to the prompt cache)
MODELS = (
    ("openai", "gpt-4.1", 0.10, False),
    ("openai", "gpt-4.1-mini", 0.25, False),
    ("openai", "gpt-4o-mini", 0.20, False),
    ("anthropic", "claude-sonnet-4-5", 0.20, True),
    ("anthropic", "claude-haiku-4-5", 0.10, True),
    ("google", "gemini-2.5-flash", 0.15, False),
)
PROVIDERS = sorted({m[0] for m in MODELS})
TEAMS = tuple(f"team-{i:02d}" for i in range(1, 13))
USE_CASES = ("chat", "search", "summarise", "code-review", "support-bot", "agent")
START = datetime(2026, 9, 1, tzinfo=UTC)
DAYS = 90
#: When the floor's list prices are taken.
FLOOR_PRICE_DATE = datetime(2026, 11, 1, 12, tzinfo=UTC)
CHUNK = 1_000_000
SEED = 20260901
#: Bump when the generator changes, so that older logs are not reused.
LOG_VERSION = 1
LABEL = pa.dictionary(pa.int8(), pa.string())
SCHEMA = pa.schema(
    [
        ("request_id", pa.string()),
        ("start", pa.timestamp("us", tz="UTC")),
        ("provider", LABEL),
        ("model", LABEL),
        ("service_tier", LABEL),
        ("input_tokens", pa.int64()),
        ("cache_read_tokens", pa.int64()),
        ("cache_write_5m_tokens", pa.int64()),
        ("output_tokens", pa.int64()),
        ("team", LABEL),
        ("use_case", LABEL),
    ]
)


# --- the synthetic request log -------------------------------------------


def _request_ids(first: int, n: int) -> pa.Array:
    """Unique ids ``req_`` + 24 hex digits: 7 random bytes, 5 of row number."""
    raw = np.empty((n, 12), np.uint8)
    rng = np.random.default_rng([SEED, first, 1])
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


def _starts(rng: np.random.Generator, rows: int, first: int, n: int) -> pa.Array:
    """Start times spread evenly over DAYS, increasing with the row number."""
    span_us = DAYS * 86_400 * 1_000_000
    offset = (first + np.arange(n) + rng.random(n)) / rows * span_us
    start = int(START.timestamp() * 1_000_000) + offset.astype(np.int64)
    return pa.array(start, SCHEMA.field("start").type)


def _labels(rng: np.random.Generator, names, n: int, weights=None) -> pa.Array:
    """``n`` labels drawn from ``names``, dictionary-encoded."""
    p = None if weights is None else np.asarray(weights) / np.sum(weights)
    index = rng.choice(len(names), n, p=p).astype(np.int8)
    return pa.DictionaryArray.from_arrays(index, list(names))


def _tokens(rng, n: int, median: float, sigma: float, cap: int, share=1.0):
    """Log-normal token counts; a ``1 - share`` fraction of rows get zero."""
    values = np.minimum(rng.lognormal(np.log(median), sigma, n), cap)
    values = np.maximum(values.astype(np.int64), 1)
    return np.where(rng.random(n) < share, values, 0)


def _chunk(rows: int, first: int, n: int, with_ids: bool) -> pa.Table:
    """Rows ``first`` to ``first + n`` of a log of ``rows`` rows."""
    rng = np.random.default_rng([SEED, first])
    model = _labels(rng, [m[1] for m in MODELS], n, [m[2] for m in MODELS])
    index = model.indices.to_numpy()
    owner = np.array([PROVIDERS.index(m[0]) for m in MODELS], np.int8)[index]
    caches = np.array([m[3] for m in MODELS])[index]
    columns = {
        "request_id": _request_ids(first, n) if with_ids else None,
        "start": _starts(rng, rows, first, n),
        "provider": pa.DictionaryArray.from_arrays(owner, PROVIDERS),
        "model": model,
        "service_tier": _labels(rng, ["standard", "batch"], n, [0.85, 0.15]),
        "input_tokens": _tokens(rng, n, 1200, 1.0, 120_000),
        "cache_read_tokens": _tokens(rng, n, 4000, 1.0, 40_000, 0.45),
        "cache_write_5m_tokens": _tokens(rng, n, 2000, 0.8, 20_000, 0.2) * caches,
        "output_tokens": _tokens(rng, n, 350, 0.9, 16_000),
        "team": _labels(rng, TEAMS, n, 1 / np.arange(1, len(TEAMS) + 1)),
        "use_case": _labels(rng, USE_CASES, n),
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
    """Return the log's path and seconds spent writing it (None if reused)."""
    path = workdir / f"requests_v{LOG_VERSION}_{rows}_{key}.parquet"
    if path.exists() and pq.ParquetFile(path).metadata.num_rows == rows:
        return path, None
    began = time.perf_counter()
    write_log(path, rows, with_ids=key == "request_id")
    return path, time.perf_counter() - began


# --- what runs in the child processes ------------------------------------


class _Clock:
    """Wall and CPU seconds of this process between two laps."""

    def __init__(self) -> None:
        self._last = self._now()

    @staticmethod
    def _now() -> tuple[float, float]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return time.perf_counter(), usage.ru_utime + usage.ru_stime

    def lap(self) -> tuple[float, float]:
        now = self._now()
        wall, cpu = now[0] - self._last[0], now[1] - self._last[1]
        self._last = now
        return wall, cpu


class _TimedConnection:
    """Pass calls on to a DuckDB connection, timing each ``execute``."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self.steps: list[tuple[float, str]] = []

    def execute(self, sql: str, *args):
        began = time.perf_counter()
        result = self._con.execute(sql, *args)
        label = re.sub(r"\s+", " ", sql).strip()[:100]
        self.steps.append((time.perf_counter() - began, label))
        return result

    def slowest(self, n: int = 4) -> list[tuple[float, str]]:
        """The ``n`` slowest statements since the last call."""
        steps, self.steps = self.steps, []
        return sorted(steps, reverse=True)[:n]

    def __getattr__(self, name: str):
        return getattr(self._con, name)


#: A scenario that moves a lever in every layer, for the optimisation step.
_EVERY_LAYER = {
    "name": "every layer",
    "routing": {"routed_share": 0.6},
    "model": {"cost_ratio": 0.7},
    "stack": {"cache_hit": 0.6, "batch_share": 0.2},
    "capacity": {"utilisation": 0.6},
    "silicon": {"price_ratio": 1.8, "throughput_ratio": 3.0},
}


def child_ours(parquet: Path, db: Path) -> dict:
    """Ingest into a new ledger, then price and summarise it; time both,
    then the fully loaded cost and the optimisation levers after them."""
    import tokenlib
    from tokenlib.params import value_policy
    from tokenlib.scenario import Scenario

    clock = _Clock()
    con = _TimedConnection(tokenlib.open_ledger(db))
    summary = tokenlib.ingest_file(con, parquet)
    con.execute("CHECKPOINT")
    ingest_s, ingest_cpu = clock.lap()
    steps = [("ingest", *step) for step in con.slowest()]
    tokenlib.price_ledger(con)
    result = tokenlib.summarise(con)
    metrics_s, metrics_cpu = clock.lap()
    loaded = tokenlib.fully_loaded(con, tokenlib.Assumptions())
    loaded_s, _ = clock.lap()
    today = tokenlib.measure_levers(con, value_policy(""), loaded)
    tokenlib.compare(today, [Scenario.model_validate(_EVERY_LAYER)])
    levers_s, _ = clock.lap()
    con.close()
    return {
        "ingest_s": ingest_s,
        "metrics_s": metrics_s,
        "loaded_s": loaded_s,
        "levers_s": levers_s,
        "cpu": ingest_cpu + metrics_cpu,
        "ingested": summary.ingested,
        "quarantined": summary.quarantined,
        "total_cost": result["total_cost"],
        "steps": steps + [("metrics", *step) for step in con.slowest()],
    }


def floor_prices() -> list[tuple]:
    """(provider, model, input, cache read, cache write, output) USD per MTok."""

    def flat(price, fallback=None) -> float:
        price = fallback if price is None else price
        return float(getattr(price, "base", price))  # long-context tier ignored

    rows = []
    for provider, model, *_ in MODELS:
        info = get_snapshot().find_provider_model(model, None, provider, None)[1]
        p = info.get_prices(FLOOR_PRICE_DATE)
        cache_read = flat(p.cache_read_mtok, p.input_mtok)
        cache_write = flat(p.cache_write_mtok, p.input_mtok)
        prices = (flat(p.input_mtok), cache_read, cache_write, flat(p.output_mtok))
        rows.append((provider, model, *prices))
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
    clock = _Clock()
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE t AS SELECT * FROM read_parquet(?)", [str(parquet)])
    con.execute("CHECKPOINT")
    persist_s, persist_cpu = clock.lap()
    con.execute(
        "CREATE TEMP TABLE price (provider VARCHAR, model VARCHAR, input DOUBLE,"
        " cache_read DOUBLE, cache_write DOUBLE, output DOUBLE)"
    )
    con.executemany("INSERT INTO price VALUES (?, ?, ?, ?, ?, ?)", prices)
    rollup = con.execute(FLOOR_ROLLUP).fetchall()
    rollup_s, rollup_cpu = clock.lap()
    con.close()
    return {
        "persist_s": persist_s,
        "rollup_s": rollup_s,
        "cpu": persist_cpu + rollup_cpu,
        "groups": len(rollup),
        "total_cost": sum(r[3] for r in rollup),
    }


# --- the parent: children, CLI, loop baseline -----------------------------


def run_child(kind: str, parquet: Path, db: Path) -> tuple[dict, float]:
    """Run one measurement in a fresh interpreter; return it and its peak MB."""
    db.unlink(missing_ok=True)
    Path(f"{db}.wal").unlink(missing_ok=True)
    argv = [sys.executable, __file__, "--child", kind, str(parquet), str(db)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        sys.exit(f"{kind} child failed with exit code {proc.returncode}")
    return json.loads(out), usage.ru_maxrss / 1024


def _seconds(result: dict) -> float:
    return sum(v for k, v in result.items() if k.endswith("_s"))


def best_of(repeat: int, kind: str, parquet: Path, db: Path) -> dict:
    """The fastest of ``repeat`` runs, with the highest ``peak_mb`` of them all."""
    runs = [run_child(kind, parquet, db) for _ in range(repeat)]
    fastest = min(runs, key=lambda r: _seconds(r[0]))[0]
    return fastest | {"peak_mb": max(peak for _, peak in runs)}


def time_cli(db: Path) -> float:
    """Seconds for ``tokenlib metrics --json`` on the ledger, as a command."""
    exe = Path(sys.executable).with_name("tokenlib")
    command = [str(exe)] if exe.exists() else [shutil.which("tokenlib") or "tokenlib"]
    began = time.perf_counter()
    subprocess.run(
        [*command, "metrics", "--json", "--ledger", str(db)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - began


def sample_rows(parquet: Path, k: int) -> tuple[dict, int]:
    """Every ``step``-th row of the file, ``k`` rows at most, as Python lists."""
    file = pq.ParquetFile(parquet)
    step = max(1, file.metadata.num_rows // k)
    parts, first = [], 0
    for g in range(file.num_row_groups):
        group = file.read_row_group(g)
        parts.append(group.take(np.arange(-first % step, group.num_rows, step)))
        first += group.num_rows
    return pa.concat_tables(parts).slice(0, k).to_pydict(), step


def _usage(row: dict) -> genai_prices.Usage:
    """genai-prices usage of a row; its input_tokens include cache tokens."""
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
    names, total = list(rows), 0.0
    began = time.perf_counter()
    for values in zip(*rows.values(), strict=True):
        row = dict(zip(names, values, strict=True))
        price = genai_prices.calc_price(
            _usage(row),
            row["model"],
            provider_id=row["provider"],
            genai_request_timestamp=row["start"],
            price_context=batch if row["service_tier"] == "batch" else None,
        )
        total += float(price.total_price)
    return (time.perf_counter() - began) / len(rows["start"]), total


def ledger_cost_of_sample(db: Path, step: int, k: int) -> float:
    """What the ledger computes for the loop's sample rows, in USD."""
    import tokenlib

    con = tokenlib.open_ledger(db, read_only=True)
    tokenlib.price_ledger(con)
    return con.execute(
        "SELECT sum(computed_cost) FROM priced "
        "WHERE (source_row - 1) % ? = 0 AND source_row - 1 < ? * ?",
        [step, step, k],
    ).fetchone()[0]


def run_loop(parquet: Path, db: Path, k: int) -> dict:
    """The loop baseline on ``k`` sample rows, and the ledger's cost of them."""
    rows, step = sample_rows(parquet, k)
    per_row, cost = loop_baseline(rows)
    ledger = ledger_cost_of_sample(db, step, k)
    return {"per_row": per_row, "cost": cost, "k": len(rows["start"]), "ledger": ledger}


# --- report ----------------------------------------------------------------


def report(n: int, ours: dict, floor: dict, cli_s: float, loop: dict) -> None:
    """Print the detail lines, then the summary line last."""
    ours_s, floor_s = _seconds(ours), _seconds(floor)
    loop_s = loop["per_row"] * n
    for phase, seconds, sql in ours["steps"]:
        print(f"  {phase:<7} {seconds:6.2f}s  {sql}")
    print(
        f"ours:  ingest {ours['ingest_s']:.2f}s ({ours['ingested']:,} rows, "
        f"{ours['quarantined']:,} quarantined), metrics {ours['metrics_s']:.2f}s, "
        f"cpu {ours['cpu']:.1f}s, peak {ours['peak_mb']:.0f} MB, "
        f"total_cost {ours['total_cost']:,.2f} USD"
    )
    print(
        f"floor: persist {floor['persist_s']:.2f}s, roll-up {floor['rollup_s']:.2f}s "
        f"({floor['groups']:,} groups), cpu {floor['cpu']:.1f}s, "
        f"peak {floor['peak_mb']:.0f} MB, total_cost {floor['total_cost']:,.2f} USD "
        f"(prices of {FLOOR_PRICE_DATE:%F}, batch half price)"
    )
    print(f"cli:   tokenlib metrics --json {cli_s:.2f}s (process start included)")
    print(
        f"loaded: fully_loaded {ours['loaded_s']:.2f}s after metrics, "
        f"{ours['loaded_s'] / ours['metrics_s']:.2f}x the metrics time"
    )
    print(
        f"levers: measure_levers + compare {ours['levers_s']:.2f}s after that, "
        f"{ours['levers_s'] / ours['metrics_s']:.2f}x the metrics time"
    )
    print(
        f"loop:  {loop['per_row'] * 1e6:.1f} us/row on {loop['k']:,} rows, "
        f"{loop_s:.1f}s scaled to {n:,}; cost of the sample: genai-prices "
        f"{loop['cost']:.4f} USD, ledger {loop['ledger']:.4f} USD"
    )
    print(
        f"rows={n} ingest_s={ours['ingest_s']:.2f} metrics_s={ours['metrics_s']:.2f} "
        f"peak_mb={ours['peak_mb']:.2f} vs_sql={ours_s / floor_s:.2f}x "
        f"vs_loop={loop_s / ours_s:.2f}x"
    )


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add = parser.add_argument
    add("--rows", type=int, required=True, help="rows in the synthetic log")
    add("--workdir", type=Path, help="folder keeping the log between runs")
    add("--loop-sample", type=int, default=20_000, help="rows the loop prices")
    add(
        "--key",
        choices=("request_id", "content"),
        default="request_id",
        help="log with a request_id column (default), or keyed on content",
    )
    add("--repeat", type=int, default=1, help="runs of ours and floor; best kept")
    add("--profile", action="store_true", help="print our slowest statements")
    return parser.parse_args(argv)


def main(argv: list[str]) -> None:
    """Run the benchmark, or one child measurement when called with --child."""
    if argv[:1] == ["--child"]:
        kind, parquet, db = argv[1], Path(argv[2]), Path(argv[3])
        child = child_ours if kind == "ours" else child_floor
        print(json.dumps(child(parquet, db)))
        return
    args = parse_args(argv)
    workdir = args.workdir or Path(tempfile.gettempdir()) / "tokenlib-bench"
    workdir.mkdir(parents=True, exist_ok=True)
    parquet, wrote = ensure_log(workdir, args.rows, args.key)
    done = f"written in {wrote:.1f}s" if wrote is not None else "reused"
    print(f"log:   {parquet} ({parquet.stat().st_size / 2**20:,.0f} MB, {done})")

    # Each child starts from a fresh database file; the floor runs first.
    floor = best_of(args.repeat, "floor", parquet, workdir / "floor.duckdb")
    db = workdir / "ledger.duckdb"
    ours = best_of(args.repeat, "ours", parquet, db)
    ours["steps"] = ours["steps"] if args.profile else []
    cli_s = time_cli(db)
    loop = run_loop(parquet, db, args.loop_sample)
    report(args.rows, ours, floor, cli_s, loop)


if __name__ == "__main__":
    main(sys.argv[1:])
