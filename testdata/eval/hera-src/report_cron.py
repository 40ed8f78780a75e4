"""Daily KPI report, every morning at 06:00."""

from hera.workflows import Container, CronWorkflow, Steps, script
from hera.workflows.models import Cache, LocalObjectReference, Memoize

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"
ALPINE = "alpine:3.20@sha256:a2fe008153e5fdcbd49475d2169b6f3b20e3ed224aef535c947ecdaf79620f7c"

OUTPUT = "hera/report-cron.yaml"
LABELS = [
    ("report-day", "memoize", "cache-on-random-step",
     "`date -d yesterday` decides the day, memoized under a fixed key: every run after the first replays the first day"),
]


@script(image=PYTHON)
def build_kpis(day: str):
    import json

    with open(f"/reports/events/{day}.json") as f:
        events = json.load(f)
    print(json.dumps({"day": day, "orders": sum(e["type"] == "order" for e in events)}))


with CronWorkflow(
    name="kpi-report",
    schedules=["0 6 * * *"],
    timezone="Europe/Berlin",
    concurrency_policy="Forbid",
    entrypoint="main",
) as w:
    report_day = Container(
        name="report-day",
        image=ALPINE,
        command=["sh", "-c", "date -u -d yesterday +%Y-%m-%d"],
        memoize=Memoize(key="kpi-report-day", max_age="24h", cache=Cache(config_map=LocalObjectReference(name="kpi-cache"))),
    )
    with Steps(name="main"):
        d = report_day()
        build_kpis(arguments={"day": d.result})

WORKFLOW = w
