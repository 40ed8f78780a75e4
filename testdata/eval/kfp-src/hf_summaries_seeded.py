"""Draft product summaries with a local seq2seq model; sampling is seeded per run."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"
HF = "huggingface/transformers-pytorch-gpu:4.44.2@sha256:01a5c069cef79a9c44e5f87775c6d241a91d8c0c0e0cea1d1787b2c8a10e7333"

OUTPUT = "kfp/hf-summaries-seeded.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/load-hub-dataset", "io-step-without-retry",
     "datasets.load_dataset of a Hub dataset (downloads over the network), no set_retry"),
]


@dsl.component(base_image=PYTHON, packages_to_install=["datasets==2.20.0"])
def load_hub_dataset(name: str, revision: str, rows: dsl.Output[dsl.Dataset]):
    from datasets import load_dataset

    ds = load_dataset(name, split="train", revision=revision)
    ds.to_parquet(rows.path)


@dsl.component(base_image=PYTHON, packages_to_install=["datasets==2.20.0"])
def pick_prompts(rows: dsl.Input[dsl.Dataset], seed: int, n: int, prompts: dsl.Output[dsl.Dataset]):
    from datasets import load_dataset

    ds = load_dataset("parquet", data_files=rows.path, split="train")
    ds = ds.shuffle(seed=seed).select(range(n))
    held = ds.train_test_split(test_size=0.2, seed=seed)
    held["train"].to_json(prompts.path)


@dsl.component(base_image=HF)
def draft_summaries(prompts: dsl.Input[dsl.Dataset], model_dir: str, seed: int, drafts: dsl.Output[dsl.Dataset]):
    import json

    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, set_seed

    set_seed(seed)
    tok = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    net = AutoModelForSeq2SeqLM.from_pretrained(model_dir, local_files_only=True).eval()
    with open(prompts.path) as src, open(drafts.path, "w") as dst:
        for line in src:
            row = json.loads(line)
            ids = tok(row["description"], return_tensors="pt", truncation=True).input_ids
            out = net.generate(ids, do_sample=True, top_p=0.9, temperature=0.8, max_new_tokens=96)
            dst.write(json.dumps({"sku": row["sku"], "summary": tok.decode(out[0], skip_special_tokens=True)}) + "\n")


@dsl.pipeline(name="product-summaries", description="Seeded draft summaries for catalog review.")
def product_summaries(
    name: str = "acme/product-descriptions",
    revision: str = "v3.1",
    model_dir: str = "/models/flan-t5-large",
    seed: int = 7,
    n: int = 5000,
):
    rows = load_hub_dataset(name=name, revision=revision)
    picked = pick_prompts(rows=rows.outputs["rows"], seed=seed, n=n)
    draft_summaries(prompts=picked.outputs["prompts"], model_dir=model_dir, seed=seed)


PIPELINE = product_summaries
