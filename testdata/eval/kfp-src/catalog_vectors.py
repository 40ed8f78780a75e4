"""Catalog search vectors: Cohere embeddings into Milvus (search) and Pinecone (recommendations)."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"

OUTPUT = "kfp/catalog-vectors.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/embed-products", "io-step-without-retry",
     "cohere.ClientV2().embed over the network, no set_retry"),
    ("@pipeline", "root/dag/tasks/insert-milvus/retryPolicy", "retry-on-non-idempotent-step",
     "MilvusClient.insert (auto_id collection) retried: a retry inserts every entity again"),
]


@dsl.component(base_image=PYTHON, packages_to_install=["cohere==5.8.1", "pandas==2.2.2", "pyarrow==16.1.0"])
def embed_products(products: dsl.Input[dsl.Dataset], embeddings: dsl.Output[dsl.Dataset]):
    import cohere
    import pandas as pd

    co = cohere.ClientV2()
    df = pd.read_parquet(products.path)
    vecs = []
    for i in range(0, len(df), 96):
        batch = df["title"].iloc[i:i + 96].tolist()
        resp = co.embed(texts=batch, model="embed-multilingual-v3.0", input_type="search_document", embedding_types=["float"])
        vecs.extend(resp.embeddings.float_)
    df["vector"] = vecs
    df.to_parquet(embeddings.path)


@dsl.component(base_image=PYTHON, packages_to_install=["pymilvus==2.4.5", "pandas==2.2.2", "pyarrow==16.1.0"])
def insert_milvus(embeddings: dsl.Input[dsl.Dataset], collection: str):
    import pandas as pd
    from pymilvus import MilvusClient

    df = pd.read_parquet(embeddings.path)
    client = MilvusClient(uri="http://milvus.search.svc:19530")
    rows = [{"sku": r.sku, "title": r.title, "vector": list(r.vector)} for r in df.itertuples()]
    for i in range(0, len(rows), 1000):
        client.insert(collection_name=collection, data=rows[i:i + 1000])
    client.flush(collection)


@dsl.component(base_image=PYTHON, packages_to_install=["pinecone==5.0.1", "pandas==2.2.2", "pyarrow==16.1.0"])
def upsert_pinecone(embeddings: dsl.Input[dsl.Dataset], index_name: str):
    import os

    import pandas as pd
    from pinecone import Pinecone

    df = pd.read_parquet(embeddings.path)
    index = Pinecone(api_key=os.environ["PINECONE_API_KEY"]).Index(index_name)
    vectors = [(r.sku, list(r.vector), {"title": r.title}) for r in df.itertuples()]
    for i in range(0, len(vectors), 200):
        index.upsert(vectors=vectors[i:i + 200], namespace="catalog")


@dsl.pipeline(name="catalog-vectors", description="Nightly catalog embeddings.")
def catalog_vectors(
    products_uri: str = "gs://acme-catalog/snapshots/latest/products.parquet",
    collection: str = "catalog_v3",
    index_name: str = "recs-catalog",
):
    products = dsl.importer(artifact_uri=products_uri, artifact_class=dsl.Dataset, reimport=True)
    emb = embed_products(products=products.output)
    emb.set_caching_options(False)
    retry = dict(num_retries=3, backoff_duration="30s", backoff_max_duration="10m")
    insert_milvus(embeddings=emb.outputs["embeddings"], collection=collection).set_retry(**retry)
    upsert_pinecone(embeddings=emb.outputs["embeddings"], index_name=index_name).set_retry(**retry)


PIPELINE = catalog_vectors
