"""Employee-handbook RAG index: LangChain loaders, OpenAI embeddings, Qdrant, smoke test on Chroma."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"

OUTPUT = "kfp/rag-handbook-index.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/load-pages", "io-step-without-retry",
     "LangChain S3DirectoryLoader and ConfluenceLoader read remote documents, no set_retry"),
    ("@pipeline", "root/dag/tasks/smoke-query", "io-step-without-retry",
     "chromadb.HttpClient query against the search service, no set_retry"),
]


@dsl.component(base_image=PYTHON, packages_to_install=["langchain-community==0.2.12", "boto3==1.34.162", "atlassian-python-api==3.41.14"])
def load_pages(bucket: str, space: str, pages: dsl.Output[dsl.Dataset]):
    import json
    import os

    from langchain_community.document_loaders import ConfluenceLoader, S3DirectoryLoader

    docs = S3DirectoryLoader(bucket, prefix="handbook/").load()
    docs += ConfluenceLoader(
        url="https://acme.atlassian.net/wiki",
        username=os.environ["CONFLUENCE_USER"],
        api_key=os.environ["CONFLUENCE_TOKEN"],
        space_key=space,
    ).load()
    with open(pages.path, "w") as f:
        for d in docs:
            f.write(json.dumps({"text": d.page_content, "meta": d.metadata}) + "\n")


@dsl.component(base_image=PYTHON, packages_to_install=["langchain-text-splitters==0.2.2"])
def chunk(pages: dsl.Input[dsl.Dataset], chunks: dsl.Output[dsl.Dataset]):
    import hashlib
    import json

    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=1200, chunk_overlap=150)
    with open(pages.path) as src, open(chunks.path, "w") as dst:
        for line in src:
            page = json.loads(line)
            for i, part in enumerate(splitter.split_text(page["text"])):
                cid = hashlib.sha1(f"{page['meta'].get('source')}#{i}".encode()).hexdigest()
                dst.write(json.dumps({"id": cid, "text": part, "meta": page["meta"]}) + "\n")


@dsl.component(base_image=PYTHON, packages_to_install=["langchain-openai==0.1.22", "qdrant-client==1.11.0"])
def embed_and_upsert(chunks: dsl.Input[dsl.Dataset], collection: str):
    import json
    import uuid

    from langchain_openai import OpenAIEmbeddings
    from qdrant_client import QdrantClient
    from qdrant_client.models import PointStruct

    rows = [json.loads(line) for line in open(chunks.path)]
    vectors = OpenAIEmbeddings(model="text-embedding-3-small").embed_documents([r["text"] for r in rows])
    client = QdrantClient(url="http://qdrant.search.svc:6333")
    points = [
        PointStruct(id=str(uuid.uuid5(uuid.NAMESPACE_URL, r["id"])), vector=v, payload={"text": r["text"], **r["meta"]})
        for r, v in zip(rows, vectors)
    ]
    for i in range(0, len(points), 256):
        client.upsert(collection_name=collection, points=points[i:i + 256])


@dsl.component(base_image=PYTHON, packages_to_install=["chromadb-client==0.5.5"])
def smoke_query(question: str) -> int:
    import chromadb

    client = chromadb.HttpClient(host="chroma.search.svc", port=8000)
    hits = client.get_collection("handbook-preview").query(query_texts=[question], n_results=5)
    assert hits["ids"][0], "no hits"
    return len(hits["ids"][0])


@dsl.pipeline(name="handbook-index", description="Rebuild the handbook RAG index.")
def handbook_index(bucket: str = "acme-people-docs", space: str = "HR", collection: str = "handbook"):
    pages = load_pages(bucket=bucket, space=space)
    parts = chunk(pages=pages.outputs["pages"])
    up = embed_and_upsert(chunks=parts.outputs["chunks"], collection=collection)
    up.set_retry(num_retries=3, backoff_duration="30s", backoff_max_duration="10m")
    smoke_query(question="How many days of parental leave do I get?").after(up)


PIPELINE = handbook_index
