"""FAQ and changelog search indexes built with LangChain vector stores."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"

OUTPUT = "kfp/faq-vectorstores.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/index-changelog/retryPolicy", "retry-on-non-idempotent-step",
     "LangChain Chroma.from_documents without ids writes new random ids each attempt: a retry duplicates every chunk"),
]
RETRY = dict(num_retries=3, backoff_duration="30s", backoff_max_duration="10m")


@dsl.component(base_image=PYTHON, packages_to_install=["langchain-postgres==0.0.9", "langchain-openai==0.1.22", "psycopg[binary]==3.2.1"])
def index_faq(faq: dsl.Input[dsl.Dataset]):
    import json
    import os

    from langchain_core.documents import Document
    from langchain_openai import OpenAIEmbeddings
    from langchain_postgres import PGVector

    rows = [json.loads(line) for line in open(faq.path)]
    store = PGVector(
        embeddings=OpenAIEmbeddings(model="text-embedding-3-small"),
        collection_name="faq",
        connection=os.environ["PGVECTOR_URL"],
        use_jsonb=True,
    )
    docs = [Document(page_content=f"{r['question']}\n{r['answer']}", metadata={"faq_id": r["id"]}) for r in rows]
    store.add_documents(docs, ids=[f"faq-{r['id']}" for r in rows])


@dsl.component(base_image=PYTHON, packages_to_install=["langchain-chroma==0.1.3", "langchain-openai==0.1.22", "chromadb-client==0.5.5"])
def index_changelog(changelog: dsl.Input[dsl.Dataset]):
    import chromadb
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_openai import OpenAIEmbeddings

    text = open(changelog.path).read()
    docs = [Document(page_content=part, metadata={"source": "CHANGELOG.md"}) for part in text.split("\n## ") if part.strip()]
    Chroma.from_documents(
        docs,
        OpenAIEmbeddings(model="text-embedding-3-small"),
        client=chromadb.HttpClient(host="chroma.search.svc", port=8000),
        collection_name="changelog",
    )


@dsl.pipeline(name="faq-vectorstores", description="Refresh FAQ and changelog search.")
def faq_vectorstores(
    faq_uri: str = "gs://acme-support/faq/faq.jsonl",
    changelog_uri: str = "gs://acme-support/releases/CHANGELOG.md",
):
    faq = dsl.importer(artifact_uri=faq_uri, artifact_class=dsl.Dataset, reimport=False)
    changelog = dsl.importer(artifact_uri=changelog_uri, artifact_class=dsl.Dataset, reimport=False)
    index_faq(faq=faq.output).set_retry(**RETRY)
    index_changelog(changelog=changelog.output).set_retry(**RETRY)


PIPELINE = faq_vectorstores
