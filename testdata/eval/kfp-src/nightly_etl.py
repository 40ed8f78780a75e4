"""Nightly orders ETL: land raw exports, transform, upsert into Postgres, ping the channel."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"
AWS = "amazon/aws-cli:2.17.9@sha256:e850f9d43bc624b414b56e4145c43865fee871dc8bdc244f3a94dcd0480e6c4b"

OUTPUT = "kfp/nightly-etl.yaml"
LABELS = []

RETRY = dict(num_retries=3, backoff_duration="1m", backoff_max_duration="15m")


@dsl.container_component
def land_raw(day: str, raw: dsl.Output[dsl.Artifact]):
    return dsl.ContainerSpec(
        image=AWS,
        command=["sh", "-c"],
        args=[
            dsl.ConcatPlaceholder(
                ["aws s3 sync --only-show-errors s3://acme-exports/orders/day=", day, "/ ", raw.path]
            )
        ],
    )


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2", "pyarrow==16.1.0"])
def transform(raw: dsl.Input[dsl.Artifact], day: str, orders: dsl.Output[dsl.Dataset]):
    import glob

    import pandas as pd

    frames = [pd.read_json(p, lines=True) for p in sorted(glob.glob(f"{raw.path}/*.jsonl"))]
    df = pd.concat(frames, ignore_index=True)
    df = df.drop_duplicates("order_id", keep="last")
    df["day"] = day
    df["amount_eur"] = df["amount_cents"] / 100
    df.to_parquet(orders.path)


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2", "psycopg2-binary==2.9.9", "pyarrow==16.1.0"])
def upsert_orders(orders: dsl.Input[dsl.Dataset], dsn: str) -> int:
    import pandas as pd
    import psycopg2
    from psycopg2.extras import execute_values

    df = pd.read_parquet(orders.path)
    rows = list(df[["order_id", "customer_id", "amount_eur", "day"]].itertuples(index=False, name=None))
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        execute_values(
            cur,
            """
            INSERT INTO sales.orders (order_id, customer_id, amount_eur, day) VALUES %s
            ON CONFLICT (order_id) DO UPDATE
              SET customer_id = EXCLUDED.customer_id, amount_eur = EXCLUDED.amount_eur, day = EXCLUDED.day
            """,
            rows,
            page_size=5000,
        )
    return len(rows)


@dsl.component(base_image=PYTHON, packages_to_install=["requests==2.32.3"])
def ping_channel(webhook: str, day: str, rows: int):
    import requests

    requests.post(webhook, json={"text": f"orders {day}: {rows} rows upserted"}, timeout=10)


@dsl.pipeline(name="nightly-etl")
def nightly_etl(
    day: str = "2024-06-30",
    dsn: str = "postgresql://etl@warehouse.internal:5432/analytics",
    webhook: str = "https://hooks.slack.com/services/T000/B000/XXXX",
):
    raw = land_raw(day=day).set_retry(**RETRY)
    orders = transform(raw=raw.outputs["raw"], day=day)
    n = upsert_orders(orders=orders.outputs["orders"], dsn=dsn).set_retry(**RETRY)
    ping_channel(webhook=webhook, day=day, rows=n.output)


PIPELINE = nightly_etl
