"""Fraud MLP with PyTorch Lightning; every random source seeded from the pipeline's seed."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"
TORCH = "pytorch/pytorch:2.4.0-cuda12.1-cudnn9-runtime@sha256:74a726ec5580e9d4f9ce825a417ac6091c2607bb781eda200daff036b9c0afe0"

OUTPUT = "kfp/tabular-lightning-seeded.yaml"
LABELS = []


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2", "pyarrow==16.1.0", "s3fs==2024.6.1"])
def load_transactions(month: str, data: dsl.Output[dsl.Dataset]):
    import pandas as pd

    df = pd.read_parquet(f"s3://acme-payments/curated/transactions/month={month}/")
    df.to_parquet(data.path)


@dsl.component(base_image=TORCH, packages_to_install=["lightning==2.4.0", "pandas==2.2.2", "pyarrow==16.1.0"])
def train(data: dsl.Input[dsl.Dataset], seed: int, model: dsl.Output[dsl.Model]):
    import lightning as L
    import pandas as pd
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset, random_split

    L.seed_everything(seed, workers=True)

    df = pd.read_parquet(data.path)
    y = torch.tensor(df.pop("is_fraud").values, dtype=torch.float32)
    x = torch.tensor(df.values, dtype=torch.float32)
    full = TensorDataset(x, y)
    n_val = len(full) // 10
    train_ds, val_ds = random_split(full, [len(full) - n_val, n_val], generator=torch.Generator().manual_seed(seed))

    class FraudMLP(L.LightningModule):
        def __init__(self, n_in):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(n_in, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 1))

        def training_step(self, batch, _):
            xb, yb = batch
            return nn.functional.binary_cross_entropy_with_logits(self.net(xb).squeeze(1), yb)

        def validation_step(self, batch, _):
            xb, yb = batch
            self.log("val_loss", nn.functional.binary_cross_entropy_with_logits(self.net(xb).squeeze(1), yb))

        def configure_optimizers(self):
            return torch.optim.AdamW(self.parameters(), lr=1e-3)

    trainer = L.Trainer(max_epochs=20, deterministic=True, logger=False, enable_checkpointing=False)
    trainer.fit(
        FraudMLP(x.shape[1]),
        DataLoader(train_ds, batch_size=512, shuffle=True),
        DataLoader(val_ds, batch_size=2048),
    )
    trainer.save_checkpoint(model.path)


@dsl.pipeline(name="fraud-mlp", description="Monthly fraud MLP.")
def fraud_mlp(month: str = "2024-06", seed: int = 1234):
    txns = load_transactions(month=month)
    txns.set_retry(num_retries=3, backoff_duration="30s", backoff_max_duration="10m")
    train(data=txns.outputs["data"], seed=seed).set_memory_limit("16Gi")


PIPELINE = fraud_mlp
