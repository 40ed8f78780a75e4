"""Sensor anomaly models, memoized per data snapshot: a Keras autoencoder and a fine-tuned time-series transformer."""

from hera.workflows import DAG, Parameter, Workflow, script
from hera.workflows.models import Cache, LocalObjectReference, Memoize

TF = "tensorflow/tensorflow:2.16.1@sha256:3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c"
HF = "huggingface/transformers-pytorch-gpu:4.44.2@sha256:01a5c069cef79a9c44e5f87775c6d241a91d8c0c0e0cea1d1787b2c8a10e7333"

OUTPUT = "hera/sensor-models.yaml"
LABELS = [
    ("train-autoencoder", "memoize", "cache-on-random-step",
     "RandomNormal initialiser and tf.random.normal noise with no seed, memoized per snapshot"),
]


def memo(step: str, key: str) -> Memoize:
    return Memoize(key=f"{step}-{key}", max_age="168h", cache=Cache(config_map=LocalObjectReference(name="sensor-models-cache")))


@script(image=TF, memoize=memo("autoencoder", "{{inputs.parameters.snapshot}}"))
def train_autoencoder(snapshot: str):
    import numpy as np
    import tensorflow as tf

    x = np.load(f"/data/sensors/{snapshot}/windows.npy").astype("float32")
    init = tf.keras.initializers.RandomNormal(stddev=0.02)
    inputs = tf.keras.Input(shape=(x.shape[1],))
    h = tf.keras.layers.Dense(64, activation="relu", kernel_initializer=init)(inputs)
    z = tf.keras.layers.Dense(8, activation="relu", kernel_initializer=init)(h)
    out = tf.keras.layers.Dense(x.shape[1], kernel_initializer=init)(tf.keras.layers.Dense(64, activation="relu")(z))
    ae = tf.keras.Model(inputs, out)
    ae.compile(optimizer="adam", loss="mse")
    noisy = x + tf.random.normal(tf.shape(x), stddev=0.05)
    ae.fit(noisy, x, epochs=20, batch_size=256, verbose=2)
    ae.save(f"/models/sensors/{snapshot}/autoencoder.keras")


@script(image=HF, memoize=memo("patchtst", "{{inputs.parameters.snapshot}}-{{inputs.parameters.seed}}"))
def finetune_patchtst(snapshot: str, seed: int):
    import numpy as np
    import torch
    from transformers import PatchTSTConfig, PatchTSTForPrediction, Trainer, TrainingArguments

    windows = np.load(f"/data/sensors/{snapshot}/windows.npy").astype("float32")
    past, future = torch.tensor(windows[:, :-24, None]), torch.tensor(windows[:, -24:, None])
    train = [{"past_values": p, "future_values": f} for p, f in zip(past, future)]
    cfg = PatchTSTConfig(num_input_channels=1, context_length=past.shape[1], prediction_length=24, patch_length=16, patch_stride=8)
    args = TrainingArguments(output_dir="/tmp/patchtst", num_train_epochs=5, seed=seed, data_seed=seed, report_to=[])
    trainer = Trainer(model_init=lambda: PatchTSTForPrediction(cfg), args=args, train_dataset=train)
    trainer.train()
    trainer.save_model(f"/models/sensors/{snapshot}/patchtst")


with Workflow(
    generate_name="sensor-models-",
    entrypoint="main",
    arguments=[Parameter(name="snapshot", value="2024-06-30"), Parameter(name="seed", value="3")],
) as w:
    with DAG(name="main"):
        snap = "{{workflow.parameters.snapshot}}"
        train_autoencoder(arguments={"snapshot": snap})
        finetune_patchtst(arguments={"snapshot": snap, "seed": "{{workflow.parameters.seed}}"})

WORKFLOW = w
