"""Engineering-wiki index with LlamaIndex: local markdown export, Mistral embeddings, Weaviate."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"

OUTPUT = "kfp/wiki-llamaindex-weaviate.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/index-nodes", "io-step-without-retry",
     "Mistral embeddings and a Weaviate vector store over the network, no set_retry"),
]


@dsl.component(base_image=PYTHON, packages_to_install=["llama-index-core==0.10.68"])
def parse_export(export: dsl.Input[dsl.Dataset], nodes: dsl.Output[dsl.Dataset]):
    import pickle

    from llama_index.core import SimpleDirectoryReader
    from llama_index.core.node_parser import MarkdownNodeParser

    docs = SimpleDirectoryReader(input_dir=export.path, recursive=True, required_exts=[".md"]).load_data()
    parsed = MarkdownNodeParser().get_nodes_from_documents(docs)
    with open(nodes.path, "wb") as f:
        pickle.dump(parsed, f)


@dsl.component(
    base_image=PYTHON,
    packages_to_install=["llama-index-core==0.10.68", "llama-index-embeddings-mistralai==0.1.6", "llama-index-vector-stores-weaviate==1.1.1"],
)
def index_nodes(nodes: dsl.Input[dsl.Dataset], index_name: str):
    import os
    import pickle

    import weaviate
    from llama_index.core import StorageContext, VectorStoreIndex
    from llama_index.embeddings.mistralai import MistralAIEmbedding
    from llama_index.vector_stores.weaviate import WeaviateVectorStore

    with open(nodes.path, "rb") as f:
        parsed = pickle.load(f)
    client = weaviate.connect_to_custom(
        http_host="weaviate.search.svc", http_port=8080, http_secure=False,
        grpc_host="weaviate-grpc.search.svc", grpc_port=50051, grpc_secure=False,
    )
    store = WeaviateVectorStore(weaviate_client=client, index_name=index_name)
    VectorStoreIndex(
        parsed,
        storage_context=StorageContext.from_defaults(vector_store=store),
        embed_model=MistralAIEmbedding(model_name="mistral-embed", api_key=os.environ["MISTRAL_API_KEY"]),
    )
    client.close()


@dsl.pipeline(name="wiki-index", description="Engineering wiki index.")
def wiki_index(export_uri: str = "gs://acme-wiki-exports/2024-06-30/", index_name: str = "EngWiki"):
    export = dsl.importer(artifact_uri=export_uri, artifact_class=dsl.Dataset, reimport=False)
    parsed = parse_export(export=export.output)
    index_nodes(nodes=parsed.outputs["nodes"], index_name=index_name)


PIPELINE = wiki_index
