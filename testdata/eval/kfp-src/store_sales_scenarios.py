"""Store-sales forecast with SARIMAX: point forecast, simulated scenarios, bootstrap bands."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"
PKGS = ["pandas==2.2.2", "pyarrow==16.1.0", "statsmodels==0.14.2"]

OUTPUT = "kfp/store-sales-scenarios.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/simulate-paths/cachingOptions/enableCache", "cache-on-random-step",
     "statsmodels results.simulate() with no random_state, cached"),
    ("@pipeline", "root/dag/tasks/bootstrap-bands/cachingOptions/enableCache", "cache-on-random-step",
     "np.random.default_rng() with no seed, cached"),
]


@dsl.component(base_image=PYTHON, packages_to_install=PKGS + ["s3fs==2024.6.1"])
def load_sales(store: str, sales: dsl.Output[dsl.Dataset]):
    import pandas as pd

    df = pd.read_parquet("s3://acme-retail-lake/gold/daily_sales.parquet", filters=[("store_id", "==", store)])
    df.to_parquet(sales.path)


@dsl.component(base_image=PYTHON, packages_to_install=PKGS)
def fit_and_forecast(sales: dsl.Input[dsl.Dataset], horizon: int, model: dsl.Output[dsl.Model], forecast: dsl.Output[dsl.Dataset]):
    import pandas as pd
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    y = pd.read_parquet(sales.path).set_index("day")["units"].asfreq("D")
    res = SARIMAX(y, order=(1, 1, 1), seasonal_order=(1, 1, 1, 7)).fit(disp=False)
    res.save(model.path)
    res.get_forecast(steps=horizon).summary_frame().to_parquet(forecast.path)


@dsl.component(base_image=PYTHON, packages_to_install=PKGS)
def simulate_paths(model: dsl.Input[dsl.Model], horizon: int, paths: dsl.Output[dsl.Dataset]):
    from statsmodels.tsa.statespace.sarimax import SARIMAXResults

    res = SARIMAXResults.load(model.path)
    sims = res.simulate(nsimulations=horizon, repetitions=500, anchor="end")
    sims.to_parquet(paths.path)


@dsl.component(base_image=PYTHON, packages_to_install=PKGS)
def bootstrap_bands(forecast: dsl.Input[dsl.Dataset], sales: dsl.Input[dsl.Dataset], bands: dsl.Output[dsl.Dataset]):
    import numpy as np
    import pandas as pd

    fc = pd.read_parquet(forecast.path)
    hist = pd.read_parquet(sales.path)["units"].to_numpy()
    resid = hist[7:] - hist[:-7]
    rng = np.random.default_rng()
    draws = fc["mean"].to_numpy()[None, :] + rng.choice(resid, size=(1000, len(fc)))
    fc["p10"], fc["p90"] = np.percentile(draws, 10, axis=0), np.percentile(draws, 90, axis=0)
    fc.to_parquet(bands.path)


@dsl.pipeline(name="store-sales-scenarios", description="Per-store sales forecast and scenarios.")
def store_sales_scenarios(store: str = "0042", horizon: int = 56):
    sales = load_sales(store=store)
    sales.set_retry(num_retries=3, backoff_duration="30s", backoff_max_duration="10m")
    fit = fit_and_forecast(sales=sales.outputs["sales"], horizon=horizon)
    simulate_paths(model=fit.outputs["model"], horizon=horizon)
    bootstrap_bands(forecast=fit.outputs["forecast"], sales=sales.outputs["sales"])


PIPELINE = store_sales_scenarios
