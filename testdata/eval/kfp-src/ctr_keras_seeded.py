"""Click-through models in Keras, reproducible: seeds come from the pipeline."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"
TF = "tensorflow/tensorflow:2.16.1@sha256:3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c"

OUTPUT = "kfp/ctr-keras-seeded.yaml"
LABELS = []


@dsl.component(base_image=PYTHON, packages_to_install=["google-cloud-bigquery[pandas]==3.25.0", "pyarrow==16.1.0"])
def export_clicks(project: str, day: str, clicks: dsl.Output[dsl.Dataset]):
    from google.cloud import bigquery

    bq = bigquery.Client(project=project)
    job = bq.query(
        "SELECT * FROM `ads.click_log` WHERE event_date = @day",
        job_config=bigquery.QueryJobConfig(query_parameters=[bigquery.ScalarQueryParameter("day", "DATE", day)]),
    )
    job.to_dataframe().to_parquet(clicks.path)


@dsl.component(base_image=TF, packages_to_install=["pandas==2.2.2", "pyarrow==16.1.0"])
def train_wide_deep(clicks: dsl.Input[dsl.Dataset], seed: int, model: dsl.Output[dsl.Model]):
    import keras
    import pandas as pd
    import tensorflow as tf

    keras.utils.set_random_seed(seed)

    df = pd.read_parquet(clicks.path)
    y = df.pop("clicked").values
    ds = tf.data.Dataset.from_tensor_slices((dict(df), y)).shuffle(100_000).batch(1024)
    inputs = {c: keras.Input(shape=(1,), name=c) for c in df.columns}
    x = keras.layers.Concatenate()(list(inputs.values()))
    deep = keras.layers.Dense(256, activation="relu")(x)
    deep = keras.layers.Dropout(0.2)(deep)
    deep = keras.layers.Dense(64, activation="relu")(deep)
    out = keras.layers.Dense(1, activation="sigmoid")(keras.layers.Concatenate()([x, deep]))
    net = keras.Model(inputs, out)
    net.compile(optimizer="adam", loss="binary_crossentropy", metrics=[keras.metrics.AUC()])
    net.fit(ds, epochs=3)
    net.save(model.path + ".keras")


@dsl.component(base_image=TF, packages_to_install=["pandas==2.2.2", "pyarrow==16.1.0"])
def train_logit_baseline(clicks: dsl.Input[dsl.Dataset], seed: int, model: dsl.Output[dsl.Model]):
    import pandas as pd
    import tensorflow as tf

    tf.random.set_seed(seed)

    df = pd.read_parquet(clicks.path)
    y = df.pop("clicked").values
    ds = tf.data.Dataset.from_tensor_slices((df.values, y)).shuffle(100_000, seed=seed).batch(1024)
    net = tf.keras.Sequential([
        tf.keras.layers.Dense(1, activation="sigmoid", kernel_initializer=tf.keras.initializers.GlorotUniform(seed=seed)),
    ])
    net.compile(optimizer="sgd", loss="binary_crossentropy")
    net.fit(ds, epochs=2)
    net.save(model.path + ".keras")


@dsl.pipeline(name="ctr-keras", description="Daily CTR models.")
def ctr_keras(project: str = "acme-ads", day: str = "2024-06-30", seed: int = 42):
    clicks = export_clicks(project=project, day=day)
    clicks.set_retry(num_retries=3, backoff_duration="1m", backoff_max_duration="15m")
    train_wide_deep(clicks=clicks.outputs["clicks"], seed=seed)
    train_logit_baseline(clicks=clicks.outputs["clicks"], seed=seed)


PIPELINE = ctr_keras
