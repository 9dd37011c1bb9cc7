"""The course's week-2 ingest as a Prefect 3 flow: one task per month, each one `dezc ingest`.

Written by `dezc flow init` (Prefect {{prefect_version}}). Edit freely: once you change this file,
`dezc flow init` leaves it alone unless you pass --force.

Why a task runs `dezc ingest` instead of pandas: dezc downloads (cached, resumable, verified),
loads with binary COPY, and commits each month atomically with a ledger row, so a retried or
re-run month never loads twice. The database credentials stay in the env stack: dezc reads them
from the stack's container (--stack / DEZC_STACK); nothing secret is written here or passed as a
parameter.

Which dezc runs: DEZC_FLOW_DEZC (a command line, e.g. "node /path/to/dezc/bin/run.js"), set by
`dezc flow up` in the worker's environment; otherwise `dezc` on PATH.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from datetime import date

from prefect import flow, get_run_logger, task

# Months are retried after these delays (seconds); the flow's retries / retry_delay_seconds
# parameters override them per run.
RETRY_DELAYS = [10, 60, 300]

# dezc exit codes that another attempt cannot fix: bad arguments (2), a missing prerequisite (4),
# an interrupt (130). NOT_AVAILABLE (the month is not published) is not retried either.
PERMANENT_EXITS = {2, 4, 130}
PERMANENT_CODES = {"NOT_AVAILABLE", "FUTURE_PERIOD", "PERIOD_NOT_SUPPORTED"}


class IngestFailed(Exception):
    def __init__(self, message: str, code: str | None, exit_code: int):
        super().__init__(message)
        self.code = code
        self.exit_code = exit_code

    @property
    def permanent(self) -> bool:
        return self.exit_code in PERMANENT_EXITS or self.code in PERMANENT_CODES


def dezc_command() -> list[str]:
    return shlex.split(os.environ.get("DEZC_FLOW_DEZC") or "dezc")


def retry_unless_permanent(task, task_run, state) -> bool:
    """Retry a month unless dezc said that retrying cannot help."""
    try:
        state.result()
    except IngestFailed as error:
        return not error.permanent
    except Exception:
        return True
    return False


@task(
    name="dezc-ingest",
    task_run_name="{dataset}-{month}",
    retries=len(RETRY_DELAYS),
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_unless_permanent,
)
def ingest_month(
    dataset: str,
    month: str | None,
    stack: str | None = None,
    table: str | None = None,
    base_url: str | None = None,
    extra_args: list[str] | None = None,
) -> dict:
    """`dezc ingest <dataset> <month> --json`: one month, atomically; a loaded month is skipped."""
    logger = get_run_logger()
    cmd = [*dezc_command(), "ingest", dataset, *([month] if month else []), "--json"]
    if table:
        cmd += ["--table", table]
    if base_url:
        cmd += ["--base-url", base_url]
    cmd += list(extra_args or [])
    env = dict(os.environ)
    if stack:
        env["DEZC_STACK"] = stack
    logger.info("running %s", shlex.join(cmd))
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    for line in proc.stderr.splitlines()[-40:]:
        if line.strip():
            logger.info("dezc: %s", line)
    try:
        envelope = json.loads(proc.stdout)
    except ValueError:
        envelope = {}
    if proc.returncode != 0:
        error = envelope.get("error") or {}
        message = error.get("message") or proc.stdout.strip() or f"exit {proc.returncode}"
        hints = " ".join(error.get("suggestions") or [])
        text = f"dezc ingest {dataset} {month or ''} failed ({error.get('code', 'exit ' + str(proc.returncode))}): {message}"
        if hints:
            text += f" -- {hints}"
        logger.error(text)
        raise IngestFailed(text, error.get("code"), proc.returncode)
    load = (envelope.get("result") or {}).get("loads", [{}])[0]
    logger.info(
        "%s %s: %s, %s rows into %s",
        dataset,
        month or "",
        load.get("status"),
        load.get("rows"),
        load.get("table"),
    )
    return load


def expand_months(months: list[str] | str | None, today: date | None = None) -> list[str]:
    """'2021-01', '2021-01..2021-03', '2021' (a year), or nothing: the month TLC published last
    (about two months back)."""
    today = today or date.today()
    if not months:
        y, m = today.year, today.month - 2
        if m < 1:
            y, m = y - 1, m + 12
        return [f"{y:04d}-{m:02d}"]
    if isinstance(months, str):
        months = [p for p in re.split(r"[,\s]+", months) if p]
    out: list[str] = []
    for item in months:
        r = re.fullmatch(r"(\d{4})-(\d{2})\.\.(\d{4})-(\d{2})", item)
        if r:
            y, m, y2, m2 = (int(g) for g in r.groups())
            while (y, m) <= (y2, m2):
                out.append(f"{y:04d}-{m:02d}")
                y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        elif re.fullmatch(r"\d{4}", item):
            last = today.month if int(item) == today.year else 12
            out += [f"{item}-{m:02d}" for m in range(1, last + 1)]
        else:
            out.append(item)
    return out


@flow(name="ingest", log_prints=True)
def ingest(
    dataset: str = "yellow",
    months: list[str] | None = None,
    stack: str | None = None,
    table: str | None = None,
    base_url: str | None = None,
    extra_args: list[str] | None = None,
    retries: int = len(RETRY_DELAYS),
    retry_delay_seconds: list[float] | None = None,
) -> list[dict]:
    """Load TLC months into the env stack's Postgres, one retried task per month, in order.

    dataset: yellow, green, fhv, fhvhv or zones. months: YYYY-MM, YYYY-MM..YYYY-MM or YYYY
    (default: the month TLC published last). stack: the dezc env stack (default DEZC_STACK, then
    dezc's default). table / base_url / extra_args: passed to `dezc ingest`. The first month that
    fails for good stops the rest; months already loaded stay loaded.
    """
    logger = get_run_logger()
    task_fn = ingest_month.with_options(
        retries=retries,
        retry_delay_seconds=retry_delay_seconds if retry_delay_seconds is not None else RETRY_DELAYS,
    )
    periods: list[str | None] = [None] if dataset == "zones" else list(expand_months(months))
    logger.info("ingest %s: %s", dataset, ", ".join(p or "(lookup)" for p in periods))
    return [task_fn(dataset, p, stack, table, base_url, extra_args) for p in periods]


if __name__ == "__main__":
    ingest()
