"""Weekly A/B test readout: query Snowflake, bootstrap confidence intervals, email the report."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"

OUTPUT = "kfp/ab-test-report.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/render-report/cachingOptions/enableCache", "cache-on-random-step",
     "datetime.now() stamped into the cached report"),
    ("@pipeline", "root/dag/tasks/email-report/retryPolicy", "retry-on-non-idempotent-step",
     "smtplib send_message with set_retry(2): a retry mails everyone again"),
]


@dsl.component(base_image=PYTHON, packages_to_install=["snowflake-connector-python[pandas]==3.11.0", "pyarrow==16.1.0"])
def query_events(experiment: str, events: dsl.Output[dsl.Dataset]):
    import os

    import snowflake.connector

    conn = snowflake.connector.connect(
        account=os.environ["SNOWFLAKE_ACCOUNT"],
        user=os.environ["SNOWFLAKE_USER"],
        password=os.environ["SNOWFLAKE_PASSWORD"],
        warehouse="REPORTING_WH",
    )
    cur = conn.cursor()
    cur.execute(
        "SELECT variant, user_id, converted FROM experiments.assignments WHERE experiment = %s",
        (experiment,),
    )
    cur.fetch_pandas_all().to_parquet(events.path)


@dsl.component(base_image=PYTHON, packages_to_install=["numpy==1.26.4", "pandas==2.2.2", "pyarrow==16.1.0"])
def bootstrap_ci(events: dsl.Input[dsl.Dataset], seed: int, n_boot: int) -> str:
    import json

    import numpy as np
    import pandas as pd

    np.random.seed(seed)
    df = pd.read_parquet(events.path)
    out = {}
    for variant, g in df.groupby("variant"):
        conv = g["converted"].to_numpy()
        means = [np.random.choice(conv, size=conv.size, replace=True).mean() for _ in range(n_boot)]
        out[variant] = [float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))]
    return json.dumps(out)


@dsl.component(base_image=PYTHON)
def render_report(experiment: str, intervals: str, report: dsl.Output[dsl.HTML]):
    import json
    from datetime import datetime

    rows = "".join(
        f"<tr><td>{v}</td><td>{lo:.4f}</td><td>{hi:.4f}</td></tr>"
        for v, (lo, hi) in sorted(json.loads(intervals).items())
    )
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
    with open(report.path, "w") as f:
        f.write(f"<h1>{experiment}</h1><p>Generated {stamp}</p><table>{rows}</table>")


@dsl.component(base_image=PYTHON)
def email_report(report: dsl.Input[dsl.HTML], experiment: str, recipients: str):
    import os
    import smtplib
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["Subject"] = f"A/B readout: {experiment}"
    msg["From"] = "experiments@acme.io"
    msg["To"] = recipients
    with open(report.path) as f:
        msg.add_alternative(f.read(), subtype="html")
    with smtplib.SMTP(os.environ.get("SMTP_HOST", "smtp.acme.io"), 587) as smtp:
        smtp.starttls()
        smtp.login("experiments", os.environ["SMTP_PASSWORD"])
        smtp.send_message(msg)


@dsl.pipeline(name="ab-test-report")
def ab_test_report(
    experiment: str = "checkout-v2", seed: int = 2024, n_boot: int = 2000, recipients: str = "growth@acme.io"
):
    ev = query_events(experiment=experiment).set_retry(
        num_retries=3, backoff_duration="1m", backoff_max_duration="10m"
    )
    ci = bootstrap_ci(events=ev.outputs["events"], seed=seed, n_boot=n_boot)
    rep = render_report(experiment=experiment, intervals=ci.output)
    email_report(report=rep.outputs["report"], experiment=experiment, recipients=recipients).set_retry(2)


PIPELINE = ab_test_report
