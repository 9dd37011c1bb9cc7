"""The peers of bench/ingest: what a student runs instead of `dezc ingest`.

  course: the course's ingest_data.py approach: read the month in 100,000-row chunks with pandas
          (pyarrow underneath) and append each chunk with DataFrame.to_sql through SQLAlchemy and
          psycopg2, after creating the table from the first chunk's head(0).
  dlt:    dlt's postgres destination, fed the same 100,000-row Arrow batches.

Usage: python ingest_peers.py course|dlt FILE POSTGRES_URL TABLE [MAX_ROWS]
Prints one JSON line: {"rows": N, "seconds": S} (seconds from start of the load, after imports).
"""
import json
import sys
import time

mode, path, url, table = sys.argv[1:5]
max_rows = int(sys.argv[5]) if len(sys.argv) > 5 else None

import pyarrow.parquet as pq  # noqa: E402


def batches():
    seen = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=100_000):
        if max_rows is not None and seen >= max_rows:
            return
        if max_rows is not None and seen + batch.num_rows > max_rows:
            batch = batch.slice(0, max_rows - seen)
        seen += batch.num_rows
        yield batch


t0 = time.perf_counter()
rows = 0
if mode == "course":
    from sqlalchemy import create_engine

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg2://", 1))
    first = True
    for batch in batches():
        df = batch.to_pandas()
        if first:
            df.head(0).to_sql(name=table, con=engine, if_exists="replace")
            first = False
        df.to_sql(name=table, con=engine, if_exists="append")
        rows += len(df)
elif mode == "dlt":
    import dlt

    pipeline = dlt.pipeline(pipeline_name=f"bench_{table}", destination=dlt.destinations.postgres(credentials=url), dataset_name=table)
    info = pipeline.run(batches(), table_name="trips", write_disposition="replace")
    with pipeline.sql_client() as client:
        rows = client.execute_sql(f"SELECT count(*) FROM {table}.trips")[0][0]
else:
    raise SystemExit(f"unknown mode {mode}")
print(json.dumps({"rows": rows, "seconds": time.perf_counter() - t0}))
