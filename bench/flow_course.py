"""The peer of bench/flow: the course's week-2 Prefect flow, ported to Prefect 3.

What the notes build (flows/02_gcp ... ingest_data_flow.py): a flow with an `extract_data` task
(retries=3) that downloads the month (wget) and reads it with pandas, a `transform_data` task that
drops rows with passenger_count 0, and an `ingest_data` task that creates the table from the frame's
head(0) and appends it in 100,000-row chunks with DataFrame.to_sql over SQLAlchemy + psycopg2.
Run as a student runs it: `python flow.py`, against the same Prefect server (PREFECT_API_URL).

Usage: python flow_course.py URL POSTGRES_URL TABLE
Prints one JSON line: {"rows": N, "seconds": S} (seconds of the flow, after imports).
"""
import json
import os
import sys
import tempfile
import time
import urllib.request

import pandas as pd
from prefect import flow, task
from sqlalchemy import create_engine

url, db_url, table = sys.argv[1:4]


@task(log_prints=True, retries=3)
def extract_data(url: str) -> pd.DataFrame:
    path = os.path.join(tempfile.mkdtemp(), os.path.basename(url))
    urllib.request.urlretrieve(url, path)
    return pd.read_parquet(path)


@task(log_prints=True)
def transform_data(df: pd.DataFrame) -> pd.DataFrame:
    print(f"pre: missing passenger count: {(df['passenger_count'] == 0).sum()}")
    return df[df["passenger_count"] != 0]


@task(log_prints=True, retries=3)
def ingest_data(table: str, df: pd.DataFrame) -> int:
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg2://", 1))
    df.head(0).to_sql(name=table, con=engine, if_exists="replace")
    for start in range(0, len(df), 100_000):
        df.iloc[start : start + 100_000].to_sql(name=table, con=engine, if_exists="append")
    return len(df)


@flow(name="Ingest Flow")
def main_flow(url: str, table: str) -> int:
    raw = extract_data(url)
    return ingest_data(table, transform_data(raw))


if __name__ == "__main__":
    t0 = time.perf_counter()
    rows = main_flow(url, table)
    print(json.dumps({"rows": int(rows), "seconds": time.perf_counter() - t0}))
