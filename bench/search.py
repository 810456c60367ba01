"""Benchmark: search, index rebuild, writes and memory at 100,000 annotations, with SQLite FTS5
as the reference for what a C engine does on the same data.

Generates (seeded, reproducible) 50 documents, 200 users in ~30 overlapping groups, 5,000
sources and N annotations (70% public, 15% group, 15% private; 30% replies; tags; citations),
then measures in one run:

- `reader index rebuild` (IndexSync.rebuild): seconds and documents a second;
- a fixed mix of query strings through the app (`GET /api/search`, Flask test client), as an
  anonymous reader, a member of one group and a member of several groups, in a separate serving
  process that only opens the app and the index (so its memory is a server's), plus the raw
  SearchIndex.search calls without Flask and the database re-check;
- the same documents and queries on SQLite FTS5 (porter tokenizer, same visibility rule);
- creating, editing and deleting annotations through `POST/PUT/DELETE /api/annotations/`
  as a signed-in member, each including the index update the app does after the write.

Run:  .venv/bin/python -m bench.search [--annotations 100000] [--json out.json]
      [--keep DIR | --reuse DIR] [--profile]
It measures and reports; it is not a test.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from annotations.indexing import IndexSync, audience_for
from annotations.models import Membership
from bench import corpus_gen, fts_reference
from bench.search_data import Generated, Plan, generate
from bench.search_queries import Query, build_mix
from bench.search_report import Row, as_json, table
from bench.search_writes import measure_writes, signed_in, timed
from corpus.querylang import parse_query
from corpus.search import SearchIndex
from reader import create_app
from reader.cli import import_shipped
from reader.extensions import db
from reader.migrate import upgrade_database

# (viewer name, username or None for anonymous)
# The warm-up mix is built like the measured one from another seed (the same kinds of query).
WARMUP_SEED_OFFSET = 1000
VIEWERS = (("anonymous", None), ("one group", "user001"), ("several groups", "user000"))
TARGETS = {
    "search_p95_ms": 100.0,
    "search_vs_fts5": 3.0,
    "create_p95_ms": 50.0,
    "rebuild_s": 60.0,
    "rss_mb": 400.0,
}


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def summary(values: list[float]) -> dict[str, float]:
    """p50, p95, p99, max and mean of milliseconds."""
    return {
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": max(values) if values else float("nan"),
        "mean": sum(values) / len(values) if values else float("nan"),
        "n": len(values),
    }


def rss_mb() -> dict[str, float]:
    """This process's resident memory now and at its peak, in MB (from /proc/self/status)."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            found[name] = int(value.split()[0]) / 1024
    return found


def load_average() -> float:
    """The machine's one-minute load average (other work on the box skews every figure)."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def make_app(folder: Path, database: str = "reader.sqlite3") -> Flask:
    """The app on a SQLite file and an index folder inside folder (CSRF off for the client)."""
    os.environ["READER_INSTANCE_PATH"] = str(folder)
    return create_app(
        {
            "SECRET_KEY": "benchmark",
            "DATABASE_URL": f"sqlite:///{folder / database}",
            "SEARCH_INDEX_DIR": str(folder / "index"),
            "WTF_CSRF_ENABLED": False,
            "ENV_NAME": "development",
        }
    )


# --- data ----------------------------------------------------------------------------------


def prepare(base: Path, plan: Plan, reuse: bool) -> tuple[dict[str, Any], float]:
    """Generate base/base.sqlite3 and base/manifest.json (or check and reuse them)."""
    manifest_path = base / "manifest.json"
    wanted = vars(plan)
    if reuse:
        manifest = json.loads(manifest_path.read_text())
        if manifest["plan"] != wanted:
            raise SystemExit(f"{base} was generated with {manifest['plan']}, not {wanted}")
        app = make_app(base, "base.sqlite3")
        with app.app_context():  # the code may have gained migrations since
            upgrade_database(db.engine)
            db.session.close()
            db.engine.dispose()
        return manifest, float("nan")
    started = time.perf_counter()
    app = make_app(base, "base.sqlite3")
    with app.app_context():
        upgrade_database(db.engine)
        import_shipped()
        made: Generated = generate(db.session, plan)
        db.session.close()
        db.engine.dispose()
    seconds = time.perf_counter() - started
    manifest = {"plan": wanted, "tags": made.tags, "phrases": made.phrases}
    manifest |= {"usernames": made.usernames}
    manifest_path.write_text(json.dumps(manifest))
    return manifest, seconds


def fresh_run(base: Path) -> Path:
    """A working copy of the generated database (writes never touch the base)."""
    run = base / "run"
    if run.exists():
        shutil.rmtree(run)
    run.mkdir()
    if (base / "base.sqlite3-wal").exists():
        raise SystemExit(f"{base / 'base.sqlite3'} is still open elsewhere (its WAL file exists)")
    shutil.copyfile(base / "base.sqlite3", run / "reader.sqlite3")
    return run


def audiences(app: Flask) -> dict[str, list[str]]:
    """Each viewer's audience tokens, from the database."""
    found = {}
    with app.app_context():
        for name, username in VIEWERS:
            if username is None:
                found[name] = audience_for(None, [])
                continue
            user_id = int(username.removeprefix("user")) + 1
            groups = db.session.scalars(
                select(Membership.group_id).where(Membership.user_id == user_id)
            )
            found[name] = audience_for(user_id, list(groups))
    return found


# --- rebuild -------------------------------------------------------------------------------


def measure_rebuild(app: Flask, run: Path, base: Path, skip: bool) -> dict[str, Any]:
    """Time IndexSync.rebuild, the code path of `reader index rebuild` (or reuse the last one)."""
    kept, figures = base / "index-built", base / "rebuild.json"
    if skip:
        if not kept.is_dir() or not figures.exists():
            raise SystemExit(f"--skip-rebuild needs an earlier run's index in {kept}")
        shutil.copytree(kept, run / "index")
        return dict(json.loads(figures.read_text())) | {"reused": True}
    cpu = os.times()
    with app.app_context():
        index = SearchIndex(run / "index")
        started = time.perf_counter()
        count = IndexSync(db.session, index).rebuild()
        seconds = time.perf_counter() - started
        index.close()
    after = os.times()
    used = sum(after[:4]) - sum(cpu[:4])  # this process and its writer processes
    found = {"seconds": seconds, "documents": count, "per_second": count / seconds}
    found |= {"cpu_seconds": used, "load_average": load_average()}
    if kept.exists():
        shutil.rmtree(kept)
    shutil.copytree(run / "index", kept)
    figures.write_text(json.dumps(found))
    return found


# --- the serving process -------------------------------------------------------------------


def serve_probe(run: Path, profile: bool, warmup: int) -> None:
    """In a fresh process: open the app and index, run the mix warm, report times and memory."""
    mix = [Query(**q) for q in json.loads((run / "queries.json").read_text())]
    warm_mix = [Query(**q) for q in json.loads((run / "warmup.json").read_text())]
    memory = {"after imports": rss_mb()}
    app = make_app(run)
    clients = {name: signed_in(app, username) for name, username in VIEWERS}
    memory["app, index not open"] = rss_mb()
    with app.app_context():
        from reader.indexer import search_index

        search_index().searcher()
    memory["index open"] = rss_mb()
    # Another mix of the same kinds of query warms the process (segment tables, decoded posting
    # lists of common words, the page cache): none of the measured queries has run before.
    warm = warm_mix if warmup < 0 else warm_mix[:warmup]
    _run_app_mix(clients, warm, "warm-up")
    memory["after warm-up pass"] = rss_mb()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    app_times, totals = _run_app_mix(clients, mix, "measured")
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(str(run / "search.prof"))
    memory["after measured pass"] = rss_mb()
    raw_times = _run_raw_mix(app, mix, audiences(app))
    memory["end"] = rss_mb()
    result = {"app": app_times, "totals": totals, "raw": raw_times, "memory": memory}
    (run / "probe.json").write_text(json.dumps(result))


def _run_app_mix(
    clients: dict[str, FlaskClient], mix: list[Query], label: str
) -> tuple[dict[str, list[float]], dict[str, list[int]]]:
    times: dict[str, list[float]] = {name: [] for name in clients}
    totals: dict[str, list[int]] = {name: [] for name in clients}
    started = time.perf_counter()
    for n, query in enumerate(mix, 1):
        for name, client in clients.items():
            ms, response = timed(
                lambda c=client, q=query: c.get("/api/search", query_string={"q": q.text})
            )
            if response.status_code != 200:
                raise RuntimeError(f"{query.text!r} as {name}: {response.status_code}")
            times[name].append(ms)
            totals[name].append(int(response.get_json()["total"]))
        if n % 50 == 0:
            step(f"  {label}: {n} of {len(mix)} queries, {time.perf_counter() - started:.0f} s")
    return times, totals


def _run_raw_mix(
    app: Flask, mix: list[Query], seen_by: dict[str, list[str]]
) -> list[tuple[int, str, float]]:
    """SearchIndex.search alone, each query once, the viewers taking turns (warm by now)."""
    from reader.indexer import search_index

    times = []
    names = list(seen_by)
    with app.app_context():
        index = search_index()
        for i, query in enumerate(mix):
            name = names[i % len(names)]
            parsed = parse_query(query.text)
            ms, _ = timed(lambda p=parsed, a=seen_by[name]: index.search(p, a, 0, 20))
            times.append((i, name, ms))
    return times


def run_probe(run: Path, profile: bool, warmup: int) -> dict[str, Any]:
    """Run serve_probe in a child process and read what it found."""
    command = [sys.executable, "-m", "bench.search", "--serve-probe", str(run)]
    command += ["--warmup", str(warmup)]
    if profile:
        command.append("--profile")
    subprocess.run(command, check=True, cwd=Path(__file__).resolve().parents[1])
    return dict(json.loads((run / "probe.json").read_text()))


# --- FTS5 ----------------------------------------------------------------------------------


def measure_fts5(app: Flask, run: Path, mix: list[Query], warm: list[Query]) -> dict[str, Any]:
    """Load the same index documents into FTS5 and run the same mix for the same viewers
    (after the same warm-up mix the app had)."""
    seen_by = audiences(app)
    with app.app_context():
        started = time.perf_counter()
        docs = list(IndexSync(db.session, SearchIndex(run / "index")).all_docs())
        from_db = time.perf_counter() - started
    started = time.perf_counter()
    conn = fts_reference.build(run / "fts5.sqlite3", docs)
    build = time.perf_counter() - started
    del docs
    times: dict[str, list[float]] = {}
    totals: dict[str, list[int]] = {}
    for queries in (warm, mix):  # the warm-up pass, then the measured pass
        times = {name: [] for name in seen_by}
        totals = {name: [] for name in seen_by}
        for query in queries:
            for name, audience in seen_by.items():
                expression = fts_reference.translate(parse_query(query.text), audience)
                if expression is None:
                    raise RuntimeError(f"no FTS5 translation for {query.text!r}")
                ms, (_, total) = timed(lambda e=expression: fts_reference.search(conn, e))
                times[name].append(ms)
                totals[name].append(total)
    conn.close()
    return {"docs_from_db_s": from_db, "build_s": build, "times": times, "totals": totals}


# --- the run -------------------------------------------------------------------------------


def _all(times: dict[str, list[float]]) -> list[float]:
    return [ms for values in times.values() for ms in values]


def _agreement(app_totals: dict[str, list[int]], fts_totals: dict[str, list[int]]) -> float:
    """Share of (query, viewer) pairs whose totals agree within 10% between the engines."""
    pairs = [
        (a, f)
        for name in app_totals
        for a, f in zip(app_totals[name], fts_totals[name], strict=True)
    ]
    close = sum(abs(a - f) <= 0.1 * max(a, f, 1) for a, f in pairs)
    return close / len(pairs)


def build_rows(found: dict[str, Any]) -> list[Row]:
    """The report's rows from everything measured."""
    rebuild, probe, fts, writes = found["rebuild"], found["probe"], found["fts5"], found["writes"]
    app = summary(_all(probe["app"]))
    raw = summary([ms for _, _, ms in probe["raw"]])
    same = summary([probe["app"][name][i] for i, name, _ in probe["raw"]])
    ref = summary(_all(fts["times"]))
    memory = probe["memory"]
    rss = memory["after measured pass"]["VmRSS"]
    create, edit, delete = (summary(writes[k]) for k in ("create", "edit", "delete"))
    indexing = summary(writes["create: index"])
    ratio = app["p95"] / ref["p95"]
    rows = [
        Row(
            "index rebuild (IndexSync.rebuild)",
            rebuild["seconds"],
            "s",
            "< 60 s",
            rebuild["seconds"] < TARGETS["rebuild_s"],
        ),
        Row("  documents indexed per second", rebuild["per_second"], "docs/s"),
        Row("  CPU time (all writer processes)", rebuild.get("cpu_seconds", math.nan), "s"),
        Row("  FTS5: loading the same documents", fts["build_s"], "s"),
        Row("search p50, app", app["p50"], "ms", vs_fts5=app["p50"] / ref["p50"]),
        Row(
            "search p95, app",
            app["p95"],
            "ms",
            "< 100 ms",
            app["p95"] < TARGETS["search_p95_ms"],
            ratio,
        ),
        Row("search p95, app / FTS5", ratio, "x", "<= 3x", ratio <= TARGETS["search_vs_fts5"]),
        Row("search p99, app", app["p99"], "ms", vs_fts5=app["p99"] / ref["p99"]),
        Row("search max, app", app["max"], "ms"),
    ]
    rows += [
        Row(f"  p95 as {name}", summary(times)["p95"], "ms") for name, times in probe["app"].items()
    ]
    rows += [
        Row("SearchIndex.search alone, p50 (1 viewer/query)", raw["p50"], "ms"),
        Row("  the app on the same searches, p50", same["p50"], "ms"),
        Row("SearchIndex.search alone, p95", raw["p95"], "ms"),
        Row("  the app on the same searches, p95", same["p95"], "ms"),
        Row("search p50, FTS5", ref["p50"], "ms"),
        Row("search p95, FTS5", ref["p95"], "ms"),
        Row("search p99, FTS5", ref["p99"], "ms"),
        Row("query totals within 10% of FTS5's", 100 * found["agreement"], "%"),
        Row("create annotation p50 (incl. index)", create["p50"], "ms"),
        Row(
            "create annotation p95 (incl. index)",
            create["p95"],
            "ms",
            "< 50 ms",
            create["p95"] < TARGETS["create_p95_ms"],
        ),
        Row("  the response alone, p50", summary(writes["create: response"])["p50"], "ms"),
        Row("  the response alone, p95", summary(writes["create: response"])["p95"], "ms"),
        Row("  the index update after it, p50", indexing["p50"], "ms"),
        Row("  the index update after it, p95", indexing["p95"], "ms"),
        Row("  edit p50", edit["p50"], "ms"),
        Row("  edit p95", edit["p95"], "ms"),
        Row("  delete p50", delete["p50"], "ms"),
        Row("  delete p95", delete["p95"], "ms"),
        Row("  first search after a write, p50", summary(writes["search after"])["p50"], "ms"),
        Row(
            "  segment merges after responses, p95",
            summary(writes["after response"])["p95"],
            "ms",
        ),
        Row("serving process RSS, index not open", memory["app, index not open"]["VmRSS"], "MB"),
        Row(
            "serving process RSS, index open + mix", rss, "MB", "< 400 MB", rss < TARGETS["rss_mb"]
        ),
        Row("  of which file-backed (mmap)", memory["after measured pass"]["RssFile"], "MB"),
        Row("  peak (VmHWM)", memory["end"]["VmHWM"], "MB"),
    ]
    return rows


def by_kind(mix: list[Query], times: dict[str, list[float]]) -> dict[str, float]:
    """p95 per kind of query, over all viewers."""
    kinds: dict[str, list[float]] = {}
    for values in times.values():
        for query, ms in zip(mix, values, strict=True):
            kinds.setdefault(query.kind, []).append(ms)
    return {kind: percentile(values, 95) for kind, values in kinds.items()}


def slowest(mix: list[Query], times: dict[str, list[float]], count: int = 8) -> list[str]:
    """The slowest (query, viewer) pairs."""
    pairs = [
        (ms, name, query.text)
        for name, values in times.items()
        for query, ms in zip(mix, values, strict=True)
    ]
    return [f"{ms:7.1f} ms  {name:15} {text}" for ms, name, text in sorted(pairs)[-count:][::-1]]


def main() -> None:
    """Run the benchmark and print (and optionally save) its figures."""
    args = parse_args()
    if args.serve_probe:
        serve_probe(Path(args.serve_probe), args.profile, args.warmup)
        return
    plan = Plan(
        seed=args.seed, documents=args.documents, users=args.users, annotations=args.annotations
    )
    loads = [load_average()]
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        base = Path(args.reuse or args.keep or tmp)
        base.mkdir(parents=True, exist_ok=True)
        found: dict[str, Any] = {"plan": vars(plan)}
        step("generating data" if not args.reuse else f"reusing the data in {base}")
        manifest, found["generate_s"] = prepare(base, plan, bool(args.reuse))
        run = fresh_run(base)
        app = make_app(run)
        vocab = corpus_gen.build_vocabulary(plan.seed)
        mix, warm = (
            build_mix(
                seed,
                args.queries,
                vocab,
                manifest["tags"],
                manifest["usernames"],
                manifest["phrases"],
            )
            for seed in (plan.seed, plan.seed + WARMUP_SEED_OFFSET)
        )
        (run / "queries.json").write_text(json.dumps([vars(q) for q in mix]))
        (run / "warmup.json").write_text(json.dumps([vars(q) for q in warm]))
        step("reusing the last rebuild" if args.skip_rebuild else "rebuilding the index")
        found["rebuild"] = measure_rebuild(app, run, base, args.skip_rebuild)
        step(f"running {len(mix)} queries x {len(VIEWERS)} viewers in a serving process")
        found["probe"] = run_probe(run, args.profile, args.warmup)
        step("loading FTS5 and running the same queries")
        found["fts5"] = measure_fts5(app, run, mix, warm)
        found["agreement"] = _agreement(found["probe"]["totals"], found["fts5"]["totals"])
        step(f"writing: {args.creates} creates, {args.edits} edits, {args.edits} deletes")
        found["writes"] = measure_writes(app, plan.seed, args.creates, args.edits)
        loads.append(load_average())
        report(found, mix, loads, args, run)


def report(
    found: dict[str, Any], mix: list[Query], loads: list[float], args: Any, run: Path
) -> None:
    """Print the table (and details), and write JSON if asked."""
    rows = build_rows(found)
    plan = found["plan"]
    print()
    print(
        f"Search benchmark: {plan['annotations']:,} annotations, {plan['documents']} documents, "
        f"{plan['users']} users, seed {plan['seed']}; {len(mix)} queries x {len(VIEWERS)} viewers; "
        f"{found['rebuild']['documents']:,} index documents"
    )
    print(
        f"machine: {os.cpu_count()} cores; load average {loads[0]:.2f} at the start, "
        f"{loads[-1]:.2f} at the end (other work on the machine slows every figure)"
    )
    if found["rebuild"].get("reused"):
        print(
            "rebuild figures are from the last measured rebuild of this data "
            f"(load average {found['rebuild'].get('load_average', math.nan):.2f} then)"
        )
    if not math.isnan(found["generate_s"]):
        print(f"data generated in {found['generate_s']:.1f} s")
    print()
    print(table(rows))
    app_kinds = by_kind(mix, found["probe"]["app"])
    fts_kinds = by_kind(mix, found["fts5"]["times"])
    print("\nsearch p95 by kind of query (app / FTS5):")
    for kind in app_kinds:
        ratio = app_kinds[kind] / fts_kinds[kind]
        print(f"  {kind:14} {app_kinds[kind]:7.1f} ms  {fts_kinds[kind]:6.2f} ms  {ratio:6.1f}x")
    print("\nslowest searches through the app:")
    print("\n".join("  " + line for line in slowest(mix, found["probe"]["app"])))
    if args.profile:
        import pstats

        print("\nprofile of the measured pass (top 25 by cumulative time):")
        pstats.Stats(str(run / "search.prof")).sort_stats("cumulative").print_stats(25)
    if args.json:
        details = {
            "plan": plan,
            "load_average": loads,
            "generate_s": found["generate_s"],
            "rebuild": found["rebuild"],
            "p95_by_kind_app": app_kinds,
            "p95_by_kind_fts5": fts_kinds,
            "memory": found["probe"]["memory"],
            "queries": [vars(q) for q in mix],
        }
        Path(args.json).write_text(json.dumps(as_json(rows, details), indent=2))
        print(f"\nwrote {args.json}")


def step(message: str) -> None:
    """Progress on stderr, with the time."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--annotations", type=int, default=100_000)
    parser.add_argument("--documents", type=int, default=50)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--creates", type=int, default=200)
    parser.add_argument("--edits", type=int, default=50, help="edits, and as many deletes")
    parser.add_argument(
        "--warmup",
        type=int,
        default=-1,
        help="queries of the warm-up mix to run (per viewer) before measuring; default: all",
    )
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--profile", action="store_true", help="cProfile the measured searches")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--keep", help="generate into DIR and keep it (for --reuse)")
    where.add_argument("--reuse", help="skip generation: use the data kept in DIR")
    parser.add_argument(
        "--skip-rebuild",
        action="store_true",
        help="with --reuse: copy the index (and report the figures) of the last measured rebuild",
    )
    parser.add_argument("--serve-probe", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    main()
