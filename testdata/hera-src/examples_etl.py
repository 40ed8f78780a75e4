"""README demo: a nightly ETL Workflow (Hera) with a few classic defects.

* extract-orders / extract-customers: one script template on python:3.11 (a mutable
  tag) with no resources at all;
* transform: Spark on apache/spark:3.5.1 with a CPU limit but no memory limit;
* load: requests only, no limits;
* notify: curlimages/curl:latest.
validate is done right: digest-pinned and limited.
"""

from hera.workflows import DAG, Container, Parameter, Resources, Workflow, script

OUTPUT = "testdata/examples/hera-etl-workflow.yaml"
EXPECT = [
    ("extract", "script", "missing-resource-limits"),
    ("extract", "script/image", "unpinned-image"),
    ("transform", "container/image", "unpinned-image"),
    ("transform", "container/resources/limits", "missing-resource-limits"),
    ("load", "container/resources", "missing-resource-limits"),
    ("notify", "container/image", "unpinned-image"),
]

GE = (
    "greatexpectations/great_expectations:1.0.2"
    "@sha256:271746d4822300f6c7edd3926c10d3f58739e765b5d4daff28ef3423ecf41918"
)
# The run's creation date, YYYY-mm-dd.
DAY = "{{workflow.creationTimestamp.Y}}-{{workflow.creationTimestamp.m}}-{{workflow.creationTimestamp.d}}"
LOADER = "ghcr.io/acme/warehouse-loader@sha256:94af61fca7f7a4c000169ca87a0df0ba3c159791299b76f8ded5d254ed6fd134"


@script(image="python:3.11")
def extract(table: str, day: str):
    import urllib.request

    urllib.request.urlretrieve(f"https://exports.acme.io/{table}/{day}.csv", f"/tmp/{table}.csv")


with Workflow(
    generate_name="nightly-etl-",
    entrypoint="etl",
    arguments=[Parameter(name="day", value=DAY)],
) as w:
    validate = Container(
        name="validate",
        image=GE,
        command=["great_expectations", "checkpoint", "run", "raw_orders"],
        resources=Resources(cpu_limit="1", memory_limit="2Gi"),
    )
    transform = Container(
        name="transform",
        image="apache/spark:3.5.1",
        command=["/opt/spark/bin/spark-submit"],
        args=[
            "--master",
            "local[4]",
            "/jobs/orders_daily.py",
            "--day",
            "{{workflow.parameters.day}}",
        ],
        resources=Resources(cpu_request="2", cpu_limit="4", memory_request="8Gi"),
    )
    load = Container(
        name="load",
        image=LOADER,
        command=["load-parquet"],
        args=["--into", "analytics.orders_daily", "--day", "{{workflow.parameters.day}}"],
        resources=Resources(cpu_request="500m", memory_request="1Gi"),
    )
    notify = Container(
        name="notify",
        image="curlimages/curl:latest",
        command=[
            "curl",
            "-fsS",
            "-X",
            "POST",
            "-d",
            "nightly-etl done",
            "https://hooks.acme.io/etl",
        ],
        resources=Resources(cpu_limit="100m", memory_limit="64Mi"),
    )

    with DAG(name="etl"):
        orders = extract(
            name="extract-orders",
            arguments={"table": "orders", "day": "{{workflow.parameters.day}}"},
        )
        customers = extract(
            name="extract-customers",
            arguments={"table": "customers", "day": "{{workflow.parameters.day}}"},
        )
        [orders, customers] >> validate() >> transform() >> load() >> notify()

WORKFLOW = w
