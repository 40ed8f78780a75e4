"""Nightly LLM evaluation: candidates from a local vLLM sidecar and a sampled local model, judged by hosted models."""

from hera.workflows import DAG, Parameter, RetryStrategy, SecretEnv, UserContainer, Volume, Workflow, script
from hera.workflows.models import Backoff, Cache, LocalObjectReference, Memoize

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"
HF = "huggingface/transformers-pytorch-gpu:4.44.2@sha256:01a5c069cef79a9c44e5f87775c6d241a91d8c0c0e0cea1d1787b2c8a10e7333"
VLLM = UserContainer(
    name="vllm",
    image="vllm/vllm-openai:v0.5.5@sha256:0e8f4a5d1b7c9e3f2a6d8b0c4e1f7a9d3b5c8e0f2a4d6b8c1e3f5a7d9b0c2e4f",
    args=["--model", "/models/candidate", "--served-model-name", "local", "--port", "8000"],
)
WORK = [Volume(name="work", size="2Gi", mount_path="/mnt/data")]
KEYS = [
    SecretEnv(name="OPENAI_API_KEY", secret_name="llm-keys", secret_key="openai"),
    SecretEnv(name="MISTRAL_API_KEY", secret_name="llm-keys", secret_key="mistral"),
]

OUTPUT = "hera/llm-judge-eval.yaml"
LABELS = [
    ("sample-candidates", "memoize", "cache-on-random-step",
     "local model generate(do_sample=True) with no seed, memoized per prompt set"),
    ("judge-litellm", "", "io-step-without-retry", "litellm.completion to a hosted model, no retry"),
]


@script(image=PYTHON, volumes=WORK, sidecars=[VLLM])
def sidecar_candidates(prompt_set: str):
    import json

    from openai import OpenAI

    client = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="unused")
    with open(f"/prompts/{prompt_set}.jsonl") as src, open("/mnt/data/sidecar.jsonl", "w") as dst:
        for line in src:
            p = json.loads(line)
            out = client.completions.create(model="local", prompt=p["prompt"], max_tokens=256, temperature=0)
            dst.write(json.dumps({"id": p["id"], "text": out.choices[0].text}) + "\n")


@script(
    image=HF,
    volumes=WORK,
    memoize=Memoize(key="candidates-{{inputs.parameters.prompt_set}}", max_age="24h", cache=Cache(config_map=LocalObjectReference(name="llm-eval-cache"))),
)
def sample_candidates(prompt_set: str):
    import json

    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained("/models/candidate")
    lm = AutoModelForCausalLM.from_pretrained("/models/candidate", device_map="auto")
    with open(f"/prompts/{prompt_set}.jsonl") as src, open("/mnt/data/sampled.jsonl", "w") as dst:
        for line in src:
            p = json.loads(line)
            ids = tok(p["prompt"], return_tensors="pt").to(lm.device)
            out = lm.generate(**ids, max_new_tokens=256, do_sample=True, top_k=50)
            dst.write(json.dumps({"id": p["id"], "text": tok.decode(out[0], skip_special_tokens=True)}) + "\n")


@script(image=PYTHON, env=KEYS, volumes=WORK)
def judge_litellm():
    import json

    from litellm import completion

    with open("/mnt/data/sampled.jsonl") as src, open("/mnt/data/judged-gpt.jsonl", "w") as dst:
        for line in src:
            c = json.loads(line)
            resp = completion(model="gpt-4o", messages=[{"role": "user", "content": f"Score 1-10 for helpfulness:\n{c['text']}"}])
            dst.write(json.dumps({"id": c["id"], "score": resp.choices[0].message.content}) + "\n")


@script(
    image=PYTHON,
    env=KEYS,
    volumes=WORK,
    retry_strategy=RetryStrategy(limit="3", retry_policy="Always", backoff=Backoff(duration="1m", factor="2", max_duration="15m")),
)
def judge_mistral():
    import json
    import os

    from mistralai import Mistral

    client = Mistral(api_key=os.environ["MISTRAL_API_KEY"])
    with open("/mnt/data/sidecar.jsonl") as src, open("/mnt/data/judged-mistral.jsonl", "w") as dst:
        for line in src:
            c = json.loads(line)
            resp = client.chat.complete(model="mistral-large-latest", messages=[{"role": "user", "content": f"Score 1-10:\n{c['text']}"}])
            dst.write(json.dumps({"id": c["id"], "score": resp.choices[0].message.content}) + "\n")


with Workflow(generate_name="llm-eval-", entrypoint="main", arguments=[Parameter(name="prompt_set", value="support-v5")]) as w:
    with DAG(name="main"):
        ps = {"prompt_set": "{{workflow.parameters.prompt_set}}"}
        sc = sidecar_candidates(arguments=ps)
        sm = sample_candidates(arguments=ps)
        sm >> judge_litellm()
        sc >> judge_mistral()

WORKFLOW = w
