"""`make bench`: seed, serve under gunicorn, drive with wrk against a bare baseline in the same run, time the sweep.

Settings (environment): BENCH_SIZES (10000,1000000), BENCH_BACKENDS (sqlite,postgresql), BENCH_SECONDS per
measurement (10), BENCH_WORKERS gunicorn sync workers (5), BENCH_CONNECTIONS wrk connections (16),
BENCH_MEMORY_REQUESTS (100000) and BENCH_MEMORY_SECONDS (its time bound, 300), BENCH_OUTPUT (docs/benchmarks.md).
"""

import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("TRACKER_INSTANCE_DIR", tempfile.mkdtemp(prefix="tracker-bench-instance-"))

from pgcluster import ThrowawayCluster  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bench.client import Browser  # noqa: E402
from bench.seed import BENCH_ACCESS_CODE  # noqa: E402
from bench.seed import bench_app  # noqa: E402
from bench.seed import seed  # noqa: E402
from bench.servers import Gunicorn  # noqa: E402
from tracker import audit  # noqa: E402
from tracker import deadlines  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.models import Case  # noqa: E402
from tracker.models import CaseKind  # noqa: E402

SECRET_KEY = "bench-only-secret-key"  # noqa: S105 - a throwaway key for a loopback benchmark
SIZES = [int(size) for size in os.environ.get("BENCH_SIZES", "10000,1000000").split(",") if size]
BACKENDS = [name for name in os.environ.get("BENCH_BACKENDS", "sqlite,postgresql").split(",") if name]
SECONDS = int(os.environ.get("BENCH_SECONDS", 10))
WORKERS = int(os.environ.get("BENCH_WORKERS", 5))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", 16))
FILING_THREADS = int(os.environ.get("BENCH_FILING_THREADS", 4))
MEMORY_REQUESTS = int(os.environ.get("BENCH_MEMORY_REQUESTS", 100_000))
MEMORY_SECONDS = int(os.environ.get("BENCH_MEMORY_SECONDS", 300))
TRANSITIONS = int(os.environ.get("BENCH_TRANSITIONS", 400))
VERIFY_SECONDS = int(os.environ.get("BENCH_VERIFY_SECONDS", 1800))
#: The throwaway server is configured as a production one would be for its memory: with PostgreSQL's 128 MB
#: default a million cases are read through the kernel's page cache, and this VM pages out what has not been
#: touched for a minute (a DAMON `pageout` scheme), so a run measured how much of the cache survived the seed.
PG_SETTINGS = tuple(os.environ.get("BENCH_PG_SETTINGS", "shared_buffers=2GB,effective_cache_size=8GB").split(","))
#: Each path is driven this long before it is measured, so that every worker has compiled its templates.
WARM_UP_SECONDS = 3
OUTPUT = Path(os.environ.get("BENCH_OUTPUT", ROOT / "docs" / "benchmarks.md"))
WRK_SCRIPT = ROOT / "bench" / "wrk.lua"
NEXT_PAGE_LIMIT = 200
#: Every open case the officer may see, soonest due first (25 cards a page, keyset cursors in rel="next").
QUEUE_PATH = "/officer/queue/open?sort=due"


@dataclass
class Figure:
    """One measured path: throughput and latency, and the baseline it is compared with."""

    backend: str
    size: int
    path: str
    rps: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    errors: int = 0
    baseline: str | None = None
    baseline_rps: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """Throughput as a share of the baseline's."""
        if self.rps is None or not self.baseline_rps:
            return None
        return self.rps / self.baseline_rps


@dataclass
class Run:
    """Everything one backend and size produced."""

    backend: str
    size: int
    seed_seconds: float = 0.0
    verify: str = ""
    figures: list[Figure] = field(default_factory=list)
    sweeps: list[str] = field(default_factory=list)
    memory: str = ""


def say(message: str) -> None:
    """Progress, flushed at once (the 1M run takes long)."""
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def rss_kib(pid: int) -> int:
    """Resident memory of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def wrk(port: int, path: str, *, seconds: int = SECONDS, connections: int = CONNECTIONS, threads: int = 2,
        **env: str) -> dict:
    """Drive one URL with wrk and return the figures its done() printed."""
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
               "-s", str(WRK_SCRIPT), f"http://127.0.0.1:{port}{path}"]
    finished = subprocess.run(  # noqa: S603 - wrk from the distribution, our arguments
        command, capture_output=True, text=True, env={**os.environ, **env}, timeout=seconds + 60, check=False
    )
    for line in reversed(finished.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"wrk printed no figures: {finished.stdout[-500:]} {finished.stderr[-500:]}")


def measure(figure: Figure, port: int, path: str | None, **wrk_options) -> Figure:
    """Fill a figure from a wrk run after a warm-up, or mark it n/a when the path does not exist (yet)."""
    if path is None:
        figure.note = figure.note or "n/a"
        return figure
    say(f"  {figure.path}: wrk {path[:80]}")
    wrk(port, path, **{**wrk_options, "seconds": WARM_UP_SECONDS})
    result = wrk(port, path, **wrk_options)
    figure.rps, figure.p50_ms, figure.p99_ms = result["rps"], result["p50_ms"], result["p99_ms"]
    figure.errors = result["errors"]
    return figure


def follow_next(browser: Browser, path: str, pages: int) -> tuple[str | None, int]:
    """The URL and number of page `pages`, or of the last page when there are fewer, following rel="next" links."""
    reached = 1
    while reached < pages:
        page = browser.get(path)
        if page.status != 200:
            return None, reached
        following = Browser.next_link(page.text)
        if following is None:
            break
        path, reached = following, reached + 1
    return path, reached


def existing(browser: Browser, path: str) -> str | None:
    """The path if it answers 200 for this browser, else None (a page that does not exist on this branch)."""
    answer = browser.get(path)
    return path if answer.status == 200 else None


def filing_body(csrf_token: str, enterprise_id: int) -> str:
    """A complete complaint as the browser posts it (no files)."""
    today = datetime.now(UTC).date()
    return urlencode({
        "csrf_token": csrf_token, "action": "review", "enterprise_mode": "existing",
        "enterprise_id": str(enterprise_id), "product_name": "电热水壶", "product_model": "KT-1720",
        "product_batch": "B20260201", "production_date": (today - timedelta(days=90)).isoformat(),
        "purchase_date": (today - timedelta(days=30)).isoformat(), "purchase_place": "线上旗舰店",
        "amount_paid": "199.50", "mark_code": "MK-0001-2026", "category": "household_appliances",
        "issue": "safety", "narrative": "使用一周后底座漏电，联系商家未获解决。", "consent_privacy": "y",
        "remedy_sought": "退货退款",
    })


def transitions(port: int, officer: Browser, targets: list[tuple[str, int]], threads: int = 4) -> dict:
    """Fire start_review on distinct submitted cases from a few threads; each case can move only once."""
    token = officer.csrf_token(f"/cases/{targets[0][0]}") if targets else ""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    queue = list(targets)

    def work() -> None:
        nonlocal failures
        browser = Browser(port)
        browser.cookies = dict(officer.cookies)
        while True:
            with lock:
                if not queue:
                    return
                number, version = queue.pop()
            started = time.monotonic()
            answer = browser.post(f"/cases/{number}/actions/start_review", {"csrf_token": token, "version": version})
            with lock:
                latencies.append((time.monotonic() - started) * 1000)
                failures += answer.status != 302

    started = time.monotonic()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed if elapsed else 0.0,
        "p50_ms": statistics.median(latencies) if latencies else 0.0,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0,
        "errors": failures,
    }


def bench_http(run: Run, url: str, seeded) -> None:
    """Serve the app and the baseline under gunicorn and measure every hot path against its baseline."""
    engine = create_engine(url)
    with engine.connect() as connection:
        officer_case, officer_state = connection.execute(text(
            "SELECT number, state FROM cases WHERE assigned_officer_id = :officer AND closed_at IS NULL "
            "ORDER BY id DESC LIMIT 1"), {"officer": seeded.officer_id}).one()
        enterprise_id = connection.execute(text("SELECT min(id) FROM enterprises WHERE confirmed")).scalar_one()
        submitted = [tuple(row) for row in connection.execute(text(
            "SELECT number, version FROM cases WHERE state = 'submitted' AND kind = 'complaint' "
            "ORDER BY id LIMIT :limit"), {"limit": TRANSITIONS})]
        cases_before = connection.execute(text("SELECT count(*) FROM cases")).scalar_one()
    app_env = {"TRACKER_CONFIG": "development", "SECRET_KEY": SECRET_KEY, "DATABASE_URL": url,
               "SESSION_COOKIE_SECURE": "0"}
    app_server = Gunicorn("wsgi:app", app_env, workers=WORKERS)
    baseline_server = Gunicorn("bench.baseline_app:app", {"BASELINE_DATABASE_URL": url}, workers=WORKERS)
    try:
        officer, consumer, visitor = Browser(app_server.port), Browser(app_server.port), Browser(app_server.port)
        officer.log_in(*seeded.logins["officer"])
        consumer.log_in(*seeded.logins["consumer"])
        base = {"backend": run.backend, "size": run.size}
        bare_read = measure(Figure(**base, path="baseline: case by key"), baseline_server.port,
                            f"/case/{officer_case}")
        bare_page = measure(Figure(**base, path="baseline: keyset page of 50"), baseline_server.port,
                            f"/page?state={officer_state}&officer={seeded.officer_id}")
        bare_insert = measure(Figure(**base, path="baseline: insert case + audit row"), baseline_server.port,
                              "/insert", connections=FILING_THREADS, threads=FILING_THREADS, BENCH_METHOD="POST")
        run.figures += [bare_read, bare_page, bare_insert]

        def compared(path: str, bare: Figure) -> Figure:
            return Figure(**base, path=path, baseline=bare.path, baseline_rps=bare.rps)

        officer_env = {"BENCH_COOKIE": officer.cookie_header}
        run.figures.append(measure(compared("case page, officer", bare_read), app_server.port,
                                   f"/cases/{officer_case}", **officer_env))
        run.figures.append(measure(compared("case page, consumer", bare_read), app_server.port,
                                   f"/cases/{seeded.consumer_case}", BENCH_COOKIE=consumer.cookie_header))
        queue_first = existing(officer, QUEUE_PATH)
        queue_deep, deep_number = follow_next(officer, queue_first, NEXT_PAGE_LIMIT) if queue_first else (None, 0)
        run.figures.append(measure(compared("officer queue, page 1", bare_page), app_server.port, queue_first,
                                   **officer_env))
        deep = compared("officer queue, page 200", bare_page)
        if queue_deep is not None and deep_number < NEXT_PAGE_LIMIT:
            deep.note = f"the queue has {deep_number} pages at this size: its last page measured"
        run.figures.append(measure(deep, app_server.port, queue_deep, **officer_env))
        search = existing(officer, "/officer/search?q=" + quote("电热水壶"))
        run.figures.append(measure(compared("search", bare_page), app_server.port, search, **officer_env))
        track_token = visitor.csrf_token("/track")
        track_body = urlencode({"csrf_token": track_token, "number": seeded.tracking_case,
                                "access_code": BENCH_ACCESS_CODE})
        run.figures.append(measure(compared("public tracking (POST /track)", bare_read), app_server.port, "/track",
                                   BENCH_METHOD="POST", BENCH_BODY=track_body, BENCH_COOKIE=visitor.cookie_header))
        filing_token = consumer.csrf_token("/file/complaint")
        filing = compared("filing a complaint (form + submit)", bare_insert)
        say(f"  {filing.path}: wrk, {FILING_THREADS} connections")
        result = wrk(app_server.port, "/file/complaint", connections=FILING_THREADS, threads=FILING_THREADS,
                     BENCH_FILING="1", BENCH_CSRF=filing_token, BENCH_COOKIE=consumer.cookie_header,
                     BENCH_BODY=filing_body(filing_token, enterprise_id))
        with engine.connect() as connection:
            filed = connection.execute(text(
                "SELECT count(*) FROM cases WHERE number NOT LIKE 'BL-%'")).scalar_one() - cases_before
        filing.rps = filed / result["seconds"]
        filing.p50_ms, filing.p99_ms, filing.errors = result["p50_ms"], result["p99_ms"], result["errors"]
        filing.note = f"{filed} cases filed; latency per request (two per filing)"
        run.figures.append(filing)
        say(f"  one transition: {len(submitted)} start_review posts")
        moved = transitions(app_server.port, officer, submitted)
        run.figures.append(Figure(**base, path="one transition (start_review)", rps=moved["rps"],
                                  p50_ms=moved["p50_ms"], p99_ms=moved["p99_ms"], errors=moved["errors"],
                                  note=f"{len(submitted)} distinct cases, 4 client threads; no baseline"))
        run.memory = worker_memory(app_server, officer_case, officer.cookie_header)
    finally:
        app_server.stop()
        baseline_server.stop()
        engine.dispose()


def worker_memory(server: Gunicorn, case_number: str, cookie: str) -> str:
    """RSS of each worker before and after about MEMORY_REQUESTS case-page requests (time-bounded)."""
    if MEMORY_REQUESTS <= 0:
        return "not measured (BENCH_MEMORY_REQUESTS=0)"
    before = {pid: rss_kib(pid) for pid in server.worker_pids()}
    made, started = 0, time.monotonic()
    while made < MEMORY_REQUESTS and time.monotonic() - started < MEMORY_SECONDS:
        chunk = max(5, min(60, int(MEMORY_SECONDS - (time.monotonic() - started))))
        result = wrk(server.port, f"/cases/{case_number}", seconds=chunk, BENCH_COOKIE=cookie)
        made += result["requests"]
        say(f"  memory: {made:,} requests so far")
    after = {pid: rss_kib(pid) for pid in server.worker_pids()}
    lines = []
    for pid, kib in sorted(before.items()):
        if pid in after:
            lines.append(f"worker {pid}: {kib / 1024:.1f} MiB -> {after[pid] / 1024:.1f} MiB "
                         f"({(after[pid] - kib) / kib * 100:+.1f} %)")
        else:
            lines.append(f"worker {pid}: {kib / 1024:.1f} MiB -> restarted")
    return f"{made:,} case-page requests over {len(before)} workers; " + "; ".join(lines)


def sweep_selections(today) -> dict:
    """The selections of the sweep's steps, the very statements the sweep runs, for their query plans."""
    return {
        "overdue clocks": deadlines.due_clocks(today=today, limit=500),
        "lapsed mediations": deadlines.lapsed_clock_cases(
            "mediation", today=today, where=(Case.state == "mediation", Case.kind == CaseKind.COMPLAINT.value)),
    }


def bench_sweep(run: Run, url: str) -> None:
    """Time the sweep in process: with nothing newly overdue, then with 10 000 clocks newly overdue."""
    app = bench_app(url)
    runner = app.test_cli_runner()
    with app.app_context():
        explain = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
        for step, selection in sweep_selections(datetime.now(UTC).date()).items():
            plan_sql = str(selection.compile(db.engine, compile_kwargs={"literal_binds": True}))
            plan = db.session.execute(text(explain + plan_sql)).all()
            run.sweeps.append(f"query plan, {step}: " + " / ".join(str(row[-1]) for row in plan))
        db.session.remove()
    for label, newly in (("none newly overdue", 0), ("up to 10 000 cases newly overdue", 10_000)):
        if newly:
            with app.app_context():
                db.session.execute(text(
                    "UPDATE deadlines SET due_on = :yesterday WHERE id IN (SELECT min(id) FROM deadlines "
                    "WHERE status = 'running' AND overdue_at IS NULL AND due_on IS NOT NULL GROUP BY case_id "
                    "LIMIT :n)"),
                    {"yesterday": datetime.now(UTC).date() - timedelta(days=2), "n": newly})
                db.session.commit()
                db.session.remove()
        started = time.monotonic()
        result = runner.invoke(args=["tracker", "sweep"])
        elapsed = time.monotonic() - started
        run.sweeps.append(f"{label}: {elapsed:.2f} s ({result.output.strip()})")
        say(f"  sweep, {label}: {elapsed:.2f} s")


def verify_chains(url: str) -> str:
    """Walk the audit chains as `audit-verify` does, bounded by BENCH_VERIFY_SECONDS at the largest sizes."""
    app = bench_app(url)
    started = time.monotonic()
    checked = 0
    with app.app_context():
        for _case_number, chain_break in audit.verify_chains(db.session):
            if chain_break is not None:
                return f"BROKEN: {chain_break}"
            checked += 1
            if time.monotonic() - started > VERIFY_SECONDS:
                return (f"{checked:,} chains verified (the first by id) in {time.monotonic() - started:.0f} s, "
                        f"then stopped by BENCH_VERIFY_SECONDS; none broken")
        db.session.remove()
    return f"all {checked:,} chains verified in {time.monotonic() - started:.1f} s"


def main() -> None:
    """Every backend at every size, then the table."""
    began = datetime.now(UTC)
    work = Path(tempfile.mkdtemp(prefix="tracker-bench-"))
    cluster = ThrowawayCluster(settings=PG_SETTINGS).start() if "postgresql" in BACKENDS else None
    runs: list[Run] = []
    try:
        for backend in BACKENDS:
            for size in SIZES:
                run = Run(backend, size)
                say(f"{backend}, {size:,} cases: seeding")
                if backend == "sqlite":
                    url = f"sqlite:///{work / f'bench_{size}.db'}"
                else:
                    url = cluster.create_database(f"bench_{size}")
                seeded = seed(url, size, progress=say)
                run.seed_seconds = seeded.seconds
                say(f"  seeded in {seeded.seconds:.0f} s; verifying audit chains")
                run.verify = verify_chains(url)
                say(f"  {run.verify}")
                bench_http(run, url, seeded)
                bench_sweep(run, url)
                runs.append(run)
                if backend == "sqlite":
                    for leftover in work.glob(f"bench_{size}.db*"):
                        leftover.unlink()
                else:
                    cluster.drop_database(f"bench_{size}")
    finally:
        if cluster is not None:
            cluster.stop()
    report = render(runs, began)
    print(report)
    OUTPUT.write_text(merge_into_doc(OUTPUT, report))
    say(f"written to {OUTPUT}")


def number(value: float | None, digits: int = 0) -> str:
    """A figure or n/a."""
    return "n/a" if value is None else f"{value:,.{digits}f}"


def render(runs: list[Run], began: datetime) -> str:
    """The measured section of docs/benchmarks.md, headed by when the run began and ended."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    settings = " ".join(f"{name}={shlex.quote(value)}" for name, value in sorted(os.environ.items())
                        if name.startswith("BENCH_"))
    lines = [
        f"## Run of {began:%Y-%m-%d %H:%M}–{datetime.now(UTC):%H:%M} UTC",
        "",
        f"- machine: {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}",
        f"- command: `{settings} make bench` (BENCH_SIZES={','.join(map(str, SIZES))}"
        f" BENCH_BACKENDS={','.join(BACKENDS)} BENCH_SECONDS={SECONDS} BENCH_WORKERS={WORKERS}"
        f" BENCH_CONNECTIONS={CONNECTIONS})",
        f"- PostgreSQL (when measured): a throwaway cluster with {', '.join(PG_SETTINGS)}; fsync, "
        "synchronous_commit and full_page_writes off, as in the suite",
        f"- gunicorn {WORKERS} sync workers for the app and for the baseline; wrk {CONNECTIONS} connections for "
        f"pages, {FILING_THREADS} for filing and the bare insert",
        "",
        "| backend | cases | path | req/s | p50 ms | p99 ms | errors | baseline req/s | ratio | note |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        for figure in run.figures:
            lines.append(
                f"| {figure.backend} | {figure.size:,} | {figure.path} | {number(figure.rps)} | "
                f"{number(figure.p50_ms, 1)} | {number(figure.p99_ms, 1)} | {figure.errors} | "
                f"{number(figure.baseline_rps)} | {number(figure.ratio, 2)} | {figure.note} |"
            )
    lines += ["", "Seeding, chains, sweep and memory:", ""]
    for run in runs:
        lines.append(f"- {run.backend}, {run.size:,} cases: seeded in {run.seed_seconds:.0f} s; {run.verify}")
        lines += [f"  - sweep {entry}" for entry in run.sweeps]
        lines.append(f"  - memory: {run.memory}")
    lines += growth(runs)
    return "\n".join(lines) + "\n"


def growth(runs: list[Run]) -> list[str]:
    """p99 at the largest size over p99 at the smallest, per backend and path."""
    lines = ["", "Growth (p99 at the largest size / p99 at the smallest):", ""]
    for backend in BACKENDS:
        sized = sorted((run for run in runs if run.backend == backend), key=lambda run: run.size)
        if len(sized) < 2:
            continue
        small, large = sized[0], sized[-1]
        for figure in small.figures:
            other = next((item for item in large.figures if item.path == figure.path), None)
            if other is None or not figure.p99_ms or other.p99_ms is None:
                continue
            lines.append(f"- {backend}, {figure.path}: {other.p99_ms / figure.p99_ms:.2f}× "
                         f"({figure.p99_ms:.1f} ms at {small.size:,}, {other.p99_ms:.1f} ms at {large.size:,})")
    return lines


def merge_into_doc(path: Path, report: str) -> str:
    """Keep the hand-written part and the earlier runs; the newest run goes first, right below the marker."""
    marker = "<!-- measured by make bench: each run is added below, newest first -->"
    text_now = path.read_text() if path.exists() else "# Benchmarks\n\n" + marker + "\n"
    if marker not in text_now:
        text_now = text_now.rstrip() + "\n\n" + marker + "\n"
    head, _, earlier = text_now.partition(marker)
    return head + marker + "\n\n" + report + ("\n" + earlier.strip() + "\n" if earlier.strip() else "")


if __name__ == "__main__":
    main()
