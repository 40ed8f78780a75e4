"""Synthetic QA pairs for the help-center bot: an API model writes, a local model paraphrases, Claude grades."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"
HF = "huggingface/transformers-pytorch-gpu:4.44.2@sha256:01a5c069cef79a9c44e5f87775c6d241a91d8c0c0e0cea1d1787b2c8a10e7333"

OUTPUT = "kfp/llm-synthetic-qa.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/write-questions", "io-step-without-retry",
     "OpenAI chat.completions.create, no set_retry"),
    ("@pipeline", "root/dag/tasks/paraphrase/cachingOptions/enableCache", "cache-on-random-step",
     "local model generate(do_sample=True) with no seed, cached"),
]


@dsl.component(base_image=PYTHON, packages_to_install=["openai==1.40.6"])
def write_questions(articles: dsl.Input[dsl.Dataset], per_article: int, questions: dsl.Output[dsl.Dataset]):
    import json

    from openai import OpenAI

    client = OpenAI()
    with open(articles.path) as src, open(questions.path, "w") as dst:
        for line in src:
            art = json.loads(line)
            resp = client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[
                    {"role": "system", "content": f"Write {per_article} customer questions answered by this article, one per line."},
                    {"role": "user", "content": art["body"]},
                ],
            )
            for q in resp.choices[0].message.content.splitlines():
                if q.strip():
                    dst.write(json.dumps({"article_id": art["id"], "question": q.strip()}) + "\n")


@dsl.component(base_image=HF)
def paraphrase(questions: dsl.Input[dsl.Dataset], model_dir: str, variants: dsl.Output[dsl.Dataset]):
    import json

    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    lm = AutoModelForCausalLM.from_pretrained(model_dir, torch_dtype="auto", device_map="auto")
    with open(questions.path) as src, open(variants.path, "w") as dst:
        for line in src:
            row = json.loads(line)
            prompt = f"Rephrase the question in a different style:\n{row['question']}\n"
            ids = tok(prompt, return_tensors="pt").to(lm.device)
            out = lm.generate(**ids, do_sample=True, temperature=1.0, num_return_sequences=3, max_new_tokens=64)
            for seq in out:
                text = tok.decode(seq[ids["input_ids"].shape[1]:], skip_special_tokens=True).strip()
                dst.write(json.dumps({**row, "question": text}) + "\n")


@dsl.component(base_image=PYTHON, packages_to_install=["anthropic==0.34.1"])
def grade(variants: dsl.Input[dsl.Dataset], graded: dsl.Output[dsl.Dataset]):
    import json

    import anthropic

    client = anthropic.Anthropic()
    with open(variants.path) as src, open(graded.path, "w") as dst:
        for line in src:
            row = json.loads(line)
            msg = client.messages.create(
                model="claude-3-5-sonnet-20240620",
                max_tokens=8,
                messages=[{"role": "user", "content": f"Is this a clear, answerable support question? yes/no\n{row['question']}"}],
            )
            row["keep"] = msg.content[0].text.strip().lower().startswith("yes")
            dst.write(json.dumps(row) + "\n")


@dsl.pipeline(name="synthetic-qa", description="Synthetic QA pairs for the help-center bot.")
def synthetic_qa(
    articles_uri: str = "gs://acme-helpcenter/exports/articles.jsonl",
    model_dir: str = "/models/llama-3.1-8b-instruct",
    per_article: int = 5,
):
    arts = dsl.importer(artifact_uri=articles_uri, artifact_class=dsl.Dataset, reimport=False)
    qs = write_questions(articles=arts.output, per_article=per_article)
    para = paraphrase(questions=qs.outputs["questions"], model_dir=model_dir)
    para.set_accelerator_type("nvidia.com/gpu").set_accelerator_limit(1)
    g = grade(variants=para.outputs["variants"])
    g.set_retry(num_retries=3, backoff_duration="1m", backoff_max_duration="10m")


PIPELINE = synthetic_qa
