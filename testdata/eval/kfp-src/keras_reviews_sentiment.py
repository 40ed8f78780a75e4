"""Review-sentiment model in Keras; exported SavedModel copied to GCS for serving."""

from kfp import dsl

TF = "tensorflow/tensorflow:2.16.1@sha256:3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c"

OUTPUT = "kfp/keras-reviews-sentiment.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/train/cachingOptions/enableCache", "cache-on-random-step",
     "tf.data shuffle() with no seed and Keras layers initialised at random, no tf.random.set_seed, cached"),
    ("@pipeline", "root/dag/tasks/publish-savedmodel", "io-step-without-retry",
     "tf.io.gfile copies to gs://, no set_retry"),
]


@dsl.component(base_image=TF, packages_to_install=["pandas==2.2.2", "pyarrow==16.1.0"])
def train(reviews: dsl.Input[dsl.Dataset], epochs: int, model: dsl.Output[dsl.Model]):
    import pandas as pd
    import tensorflow as tf
    from tensorflow import keras

    df = pd.read_parquet(reviews.path)
    ds = tf.data.Dataset.from_tensor_slices((df["text"].values, df["label"].values))
    ds = ds.shuffle(50_000).batch(64).prefetch(tf.data.AUTOTUNE)

    vectorize = keras.layers.TextVectorization(max_tokens=30_000, output_sequence_length=256)
    vectorize.adapt(df["text"].values)
    net = keras.Sequential([
        vectorize,
        keras.layers.Embedding(30_000, 128),
        keras.layers.GlobalAveragePooling1D(),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    net.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    net.fit(ds, epochs=epochs)
    net.export(model.path)


@dsl.component(base_image=TF)
def publish_savedmodel(model: dsl.Input[dsl.Model], serving_dir: str):
    import os

    import tensorflow as tf

    for root, _, files in tf.io.gfile.walk(model.path):
        for name in files:
            src = os.path.join(root, name)
            dst = os.path.join(serving_dir, os.path.relpath(src, model.path))
            tf.io.gfile.makedirs(os.path.dirname(dst))
            tf.io.gfile.copy(src, dst, overwrite=True)


@dsl.pipeline(name="reviews-sentiment", description="Review sentiment classifier.")
def reviews_sentiment(
    reviews_uri: str = "gs://acme-reviews/curated/2024-06.parquet",
    serving_dir: str = "gs://acme-serving/reviews-sentiment/v7",
    epochs: int = 5,
):
    reviews = dsl.importer(artifact_uri=reviews_uri, artifact_class=dsl.Dataset, reimport=False)
    fit = train(reviews=reviews.output, epochs=epochs)
    publish_savedmodel(model=fit.outputs["model"], serving_dir=serving_dir)


PIPELINE = reviews_sentiment
