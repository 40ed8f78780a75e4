"""Linear probes on frozen embeddings, memoized per embedding version."""

from hera.workflows import DAG, Parameter, Workflow, script
from hera.workflows.models import Cache, LocalObjectReference, Memoize

TORCH = "pytorch/pytorch:2.4.0-cuda12.1-cudnn9-runtime@sha256:74a726ec5580e9d4f9ce825a417ac6091c2607bb781eda200daff036b9c0afe0"

OUTPUT = "hera/embedding-probes.yaml"
LABELS = [
    ("probe-sentiment", "memoize", "cache-on-random-step",
     "DataLoader over a RandomSampler with no generator and an nn.Linear head, no torch seed, memoized"),
]


def memo(step: str, key: str) -> Memoize:
    return Memoize(key=f"{step}-{key}", max_age="168h", cache=Cache(config_map=LocalObjectReference(name="probe-cache")))


@script(image=TORCH, memoize=memo("probe-sentiment", "{{inputs.parameters.emb_version}}"))
def probe_sentiment(emb_version: str):
    import json

    import torch
    from torch import nn
    from torch.utils.data import DataLoader, RandomSampler, TensorDataset

    x = torch.load(f"/embeddings/{emb_version}/sentiment_x.pt")
    y = torch.load(f"/embeddings/{emb_version}/sentiment_y.pt")
    ds = TensorDataset(x, y)
    loader = DataLoader(ds, batch_size=256, sampler=RandomSampler(ds))
    head = nn.Linear(x.shape[1], int(y.max()) + 1)
    opt = torch.optim.Adam(head.parameters(), lr=1e-3)
    for _ in range(10):
        for xb, yb in loader:
            opt.zero_grad()
            nn.functional.cross_entropy(head(xb), yb).backward()
            opt.step()
    acc = (head(x).argmax(1) == y).float().mean().item()
    print(json.dumps({"task": "sentiment", "acc": acc}))


@script(image=TORCH, memoize=memo("probe-topic", "{{inputs.parameters.emb_version}}-{{inputs.parameters.seed}}"))
def probe_topic(emb_version: str, seed: int):
    import json

    import torch
    from torch import nn
    from torch.utils.data import DataLoader, RandomSampler, TensorDataset

    torch.manual_seed(seed)
    x = torch.load(f"/embeddings/{emb_version}/topic_x.pt")
    y = torch.load(f"/embeddings/{emb_version}/topic_y.pt")
    ds = TensorDataset(x, y)
    gen = torch.Generator().manual_seed(seed)
    loader = DataLoader(ds, batch_size=256, sampler=RandomSampler(ds, generator=gen))
    head = nn.Linear(x.shape[1], int(y.max()) + 1)
    opt = torch.optim.Adam(head.parameters(), lr=1e-3)
    for _ in range(10):
        for xb, yb in loader:
            opt.zero_grad()
            nn.functional.cross_entropy(head(xb), yb).backward()
            opt.step()
    print(json.dumps({"task": "topic", "acc": (head(x).argmax(1) == y).float().mean().item()}))


@script(image=TORCH, memoize=memo("nearest-neighbours", "{{inputs.parameters.emb_version}}"))
def nearest_neighbours(emb_version: str):
    import json

    import torch

    x = torch.nn.functional.normalize(torch.load(f"/embeddings/{emb_version}/catalog_x.pt"), dim=1)
    sims = x[:100] @ x.T
    print(json.dumps(sims.topk(6, dim=1).indices[:, 1:].tolist()))


with Workflow(
    generate_name="embedding-probes-",
    entrypoint="main",
    arguments=[Parameter(name="emb_version", value="e5-large-2024-06"), Parameter(name="seed", value="11")],
) as w:
    with DAG(name="main"):
        ver = "{{workflow.parameters.emb_version}}"
        probe_sentiment(arguments={"emb_version": ver})
        probe_topic(arguments={"emb_version": ver, "seed": "{{workflow.parameters.seed}}"})
        nearest_neighbours(arguments={"emb_version": ver})

WORKFLOW = w
