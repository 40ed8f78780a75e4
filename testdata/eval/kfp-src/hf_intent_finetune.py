"""Support-ticket intent classifier: fine-tune a Hub checkpoint with the HF Trainer."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"
HF = "huggingface/transformers-pytorch-gpu:4.44.2@sha256:01a5c069cef79a9c44e5f87775c6d241a91d8c0c0e0cea1d1787b2c8a10e7333"

OUTPUT = "kfp/hf-intent-finetune.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/fetch-base-model", "io-step-without-retry",
     "huggingface-cli download from the Hub, no set_retry"),
    ("@pipeline", "root/dag/tasks/split-tickets/cachingOptions/enableCache", "cache-on-random-step",
     "datasets train_test_split() and shuffle() with no seed, cached"),
]


@dsl.container_component
def fetch_base_model(repo_id: str, revision: str, base: dsl.Output[dsl.Model]):
    return dsl.ContainerSpec(
        image=HF,
        command=["sh", "-c"],
        args=['huggingface-cli download "$0" --revision "$1" --local-dir "$2"', repo_id, revision, base.path],
    )


@dsl.component(base_image=PYTHON, packages_to_install=["datasets==2.20.0"])
def split_tickets(tickets: dsl.Input[dsl.Dataset], train: dsl.Output[dsl.Dataset], test: dsl.Output[dsl.Dataset]):
    from datasets import load_dataset

    ds = load_dataset("json", data_files=tickets.path, split="train")
    ds = ds.filter(lambda r: r["intent"] is not None).shuffle()
    parts = ds.train_test_split(test_size=0.1)
    parts["train"].to_json(train.path)
    parts["test"].to_json(test.path)


@dsl.component(base_image=HF, packages_to_install=["datasets==2.20.0", "evaluate==0.4.2"])
def finetune(base: dsl.Input[dsl.Model], train: dsl.Input[dsl.Dataset], test: dsl.Input[dsl.Dataset], model: dsl.Output[dsl.Model]):
    from datasets import load_dataset
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, Trainer, TrainingArguments

    data = load_dataset("json", data_files={"train": train.path, "test": test.path})
    labels = sorted(set(data["train"]["intent"]))
    tok = AutoTokenizer.from_pretrained(base.path)
    data = data.map(lambda b: tok(b["text"], truncation=True, max_length=256), batched=True)
    data = data.map(lambda r: {"label": labels.index(r["intent"])})
    args = TrainingArguments(
        output_dir="/tmp/out",
        num_train_epochs=3,
        per_device_train_batch_size=32,
        learning_rate=3e-5,
        eval_strategy="epoch",
        report_to=[],
    )
    trainer = Trainer(
        model_init=lambda: AutoModelForSequenceClassification.from_pretrained(base.path, num_labels=len(labels)),
        args=args,
        train_dataset=data["train"],
        eval_dataset=data["test"],
        tokenizer=tok,
    )
    trainer.train()
    trainer.save_model(model.path)


@dsl.pipeline(name="intent-finetune", description="Fine-tune the ticket intent classifier.")
def intent_finetune(
    tickets_uri: str = "gs://acme-support/exports/tickets-2024-06.jsonl",
    repo_id: str = "distilbert/distilbert-base-uncased",
    revision: str = "12040accade4e8a0f71eabdb258fecc2e7e948be",
):
    tickets = dsl.importer(artifact_uri=tickets_uri, artifact_class=dsl.Dataset, reimport=False)
    base = fetch_base_model(repo_id=repo_id, revision=revision)
    parts = split_tickets(tickets=tickets.output)
    ft = finetune(base=base.outputs["base"], train=parts.outputs["train"], test=parts.outputs["test"])
    ft.set_accelerator_type("nvidia.com/gpu").set_accelerator_limit(1)


PIPELINE = intent_finetune
