"""LoRA fine-tuning of a chat model on GKE Spot GPUs, then a seeded generation eval."""

import kfp.kubernetes
from kfp import dsl

LLM = "ghcr.io/acme/llm-finetune:0.9.1@sha256:edf10d82e992380e82a2eab174580d8b959bc39375744c7c93a275ba28716579"
PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"

OUTPUT = "kfp/llm-finetune-spot.yaml"
LABELS = [
    ("@platform",
     "platforms/kubernetes/deploymentSpec/executors/exec-lora-finetune/podMetadata/annotations/"
     "pipelint.dev~1checkpoint-seconds",
     "grace-period-shorter-than-checkpoint",
     "checkpoint declared 45 s; KFP pods get 30 s, and GKE Spot gives ~30 s notice"),
]


@dsl.container_component
def lora_finetune(base_model: str, dataset_uri: str, adapter: dsl.Output[dsl.Model]):
    return dsl.ContainerSpec(
        image=LLM,
        command=["accelerate", "launch", "--num_processes", "4", "-m", "finetune.lora"],
        args=[
            "--base-model", base_model,
            "--dataset", dataset_uri,
            "--checkpoint-dir", "/mnt/ckpt",
            "--resume-from-latest",
            "--output-dir", adapter.path,
        ],
    )


@dsl.component(base_image=LLM)
def eval_generate(adapter: dsl.Input[dsl.Model], base_model_dir: str, seed: int, metrics: dsl.Output[dsl.Metrics]):
    import json

    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(seed)
    tok = AutoTokenizer.from_pretrained(base_model_dir, local_files_only=True)
    base = AutoModelForCausalLM.from_pretrained(base_model_dir, local_files_only=True)
    model = PeftModel.from_pretrained(base, adapter.path)
    with open("/opt/eval/prompts.jsonl") as f:
        prompts = [json.loads(line)["prompt"] for line in f]
    lengths = []
    for p in prompts:
        out = model.generate(**tok(p, return_tensors="pt"), do_sample=True, top_p=0.9, max_new_tokens=128)
        lengths.append(out.shape[-1])
    metrics.log_metric("mean_len", sum(lengths) / len(lengths))


@dsl.component(base_image=PYTHON, packages_to_install=["google-cloud-storage==2.17.0"])
def upload_adapter(adapter: dsl.Input[dsl.Model], run_id: str):
    import os

    from google.cloud import storage

    bucket = storage.Client().bucket("acme-llm-adapters")
    for root, _, files in os.walk(adapter.path):
        for name in files:
            local = os.path.join(root, name)
            rel = os.path.relpath(local, adapter.path)
            bucket.blob(f"support-bot/{run_id}/{rel}").upload_from_filename(local)


@dsl.pipeline(name="llm-finetune-spot")
def llm_finetune_spot(
    base_model: str = "mistralai/Mistral-7B-Instruct-v0.3",
    dataset_uri: str = "gs://acme-llm-data/support-chats/v5/",
    seed: int = 1234,
):
    ft = lora_finetune(base_model=base_model, dataset_uri=dataset_uri)
    ft.set_accelerator_type("nvidia.com/gpu").set_accelerator_limit(4)
    ft.set_cpu_limit("32").set_memory_limit("192Gi")
    ft.set_retry(num_retries=5, backoff_duration="2m", backoff_max_duration="30m")
    kfp.kubernetes.add_node_selector(ft, "cloud.google.com/gke-spot", "true")
    kfp.kubernetes.add_toleration(ft, key="cloud.google.com/gke-spot", operator="Equal", value="true", effect="NoSchedule")
    kfp.kubernetes.add_pod_annotation(ft, "pipelint.dev/checkpoint-seconds", "45")
    ev = eval_generate(adapter=ft.outputs["adapter"], base_model_dir="/opt/models/mistral-7b-instruct-v0.3", seed=seed)
    ev.set_accelerator_type("nvidia.com/gpu").set_accelerator_limit(1)
    upload_adapter(adapter=ft.outputs["adapter"], run_id=dsl.PIPELINE_JOB_ID_PLACEHOLDER).set_retry(
        num_retries=3, backoff_duration="30s", backoff_max_duration="10m"
    ).after(ev)


PIPELINE = llm_finetune_spot
