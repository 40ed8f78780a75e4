"""Collect competitor prices from partner APIs and public pages."""

from hera.workflows import DAG, RetryStrategy, Workflow, script
from hera.workflows.models import Backoff

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"

OUTPUT = "hera/web-scrape.yaml"
LABELS = [
    ("fetch-partner-feed", "", "io-step-without-retry", "requests.get against a partner API, no retry"),
    ("crawl-public-pages", "", "io-step-without-retry",
     "HTTP GETs through a requests.Session bound to a name, no retry"),
]


@script(image=PYTHON)
def fetch_partner_feed(partner: str):
    import json
    import os

    import requests

    resp = requests.get(
        f"https://api.{partner}.example/v2/prices",
        headers={"Authorization": f"Bearer {os.environ.get('PARTNER_TOKEN', '')}"},
        timeout=30,
    )
    resp.raise_for_status()
    with open(f"/tmp/{partner}.json", "w") as f:
        json.dump(resp.json(), f)


@script(image=PYTHON)
def crawl_public_pages(site: str):
    import re

    import requests

    session = requests.Session()
    session.headers["User-Agent"] = "acme-price-bot/1.3"
    prices = []
    for page in range(1, 6):
        html = session.get(f"https://{site}/catalog?page={page}", timeout=20).text
        prices += re.findall(r'data-price="([0-9.]+)"', html)
    print(len(prices))


@script(
    image=PYTHON,
    retry_strategy=RetryStrategy(limit="4", retry_policy="Always", backoff=Backoff(duration="20s", factor="2", max_duration="5m")),
)
def fetch_fx(base: str):
    import json
    import urllib.request

    with urllib.request.urlopen(f"https://fx.acme.io/latest?base={base}", timeout=20) as r:
        print(json.dumps(json.load(r)["rates"]))


with Workflow(generate_name="price-watch-", entrypoint="main") as w:
    with DAG(name="main"):
        fetch_partner_feed(arguments={"partner": "northwind"})
        crawl_public_pages(arguments={"site": "shop.contoso.example"})
        fetch_fx(arguments={"base": "EUR"})

WORKFLOW = w
