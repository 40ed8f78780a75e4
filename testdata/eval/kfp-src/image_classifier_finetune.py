"""Fine-tune an image classifier on the latest labelled crops, export to ONNX."""

from kfp import dsl

TORCH = "ghcr.io/acme/vision-train:2.3.1@sha256:5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b"
GCLOUD = "google/cloud-sdk:489.0.0-slim@sha256:f41d3fd357fa18848fe3420b22f628fdac5a8988294e7f5ece3b6c1a6ba334a4"
PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"

OUTPUT = "kfp/image-classifier-finetune.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/finetune/cachingOptions/enableCache", "cache-on-random-step",
     "DataLoader(shuffle=True) and torch.randperm with no torch.manual_seed, cached"),
    ("exec-finetune", "container/env[CHECKPOINT_SAVE_SECONDS]/value", "grace-period-shorter-than-checkpoint",
     "checkpoint 120 s, KFP pods get 30 s"),
]


@dsl.container_component
def download_images(bucket_prefix: str, images: dsl.Output[dsl.Artifact]):
    return dsl.ContainerSpec(
        image=GCLOUD,
        command=["sh", "-c", 'mkdir -p "$1" && gsutil -m -q cp -r "$0" "$1"'],
        args=[bucket_prefix, images.path],
    )


@dsl.component(base_image=TORCH, packages_to_install=["torchvision==0.18.1"])
def finetune(images: dsl.Input[dsl.Artifact], epochs: int, model: dsl.Output[dsl.Model]):
    import os

    import torch
    from torch.utils.data import DataLoader
    from torchvision import datasets, models, transforms

    tf = transforms.Compose([transforms.Resize(224), transforms.CenterCrop(224), transforms.ToTensor()])
    ds = datasets.ImageFolder(images.path, transform=tf)
    loader = DataLoader(ds, batch_size=64, shuffle=True, num_workers=4)
    net = models.resnet50()
    net.load_state_dict(torch.load("/opt/weights/resnet50-imagenet1k-v2.pth"))
    net.fc = torch.nn.Linear(net.fc.in_features, len(ds.classes))
    opt = torch.optim.AdamW(net.parameters(), lr=3e-4)
    ckpt_dir = os.environ.get("CHECKPOINT_DIR", "/tmp/ckpt")
    os.makedirs(ckpt_dir, exist_ok=True)
    for epoch in range(epochs):
        # drop a random 5% of each batch as cheap regularisation
        for x, y in loader:
            keep = torch.randperm(x.shape[0])[: int(x.shape[0] * 0.95)]
            loss = torch.nn.functional.cross_entropy(net(x[keep]), y[keep])
            opt.zero_grad()
            loss.backward()
            opt.step()
        torch.save({"epoch": epoch, "model": net.state_dict(), "opt": opt.state_dict()}, f"{ckpt_dir}/last.pt")
    torch.save(net.state_dict(), model.path)


@dsl.component(base_image=TORCH, packages_to_install=["torchvision==0.18.1", "onnx==1.16.1"])
def export_onnx(model: dsl.Input[dsl.Model], num_classes: int, onnx_model: dsl.Output[dsl.Model]):
    import torch
    from torchvision import models

    net = models.resnet50()
    net.fc = torch.nn.Linear(net.fc.in_features, num_classes)
    net.load_state_dict(torch.load(model.path))
    net.eval()
    torch.onnx.export(net, torch.zeros(1, 3, 224, 224), onnx_model.path, opset_version=17)


@dsl.component(base_image=PYTHON, packages_to_install=["google-cloud-storage==2.17.0"])
def upload_model(onnx_model: dsl.Input[dsl.Model], run_id: str) -> str:
    from google.cloud import storage

    blob = storage.Client().bucket("acme-vision-models").blob(f"classifier/{run_id}/model.onnx")
    blob.upload_from_filename(onnx_model.path)
    return f"gs://acme-vision-models/classifier/{run_id}/model.onnx"


@dsl.pipeline(name="image-classifier-finetune")
def image_classifier_finetune(
    bucket_prefix: str = "gs://acme-labelled/crops/latest/", epochs: int = 8, num_classes: int = 12
):
    imgs = download_images(bucket_prefix=bucket_prefix).set_retry(
        num_retries=3, backoff_duration="1m", backoff_max_duration="10m"
    )
    ft = finetune(images=imgs.outputs["images"], epochs=epochs)
    ft.set_accelerator_type("nvidia.com/gpu").set_accelerator_limit(1)
    ft.set_cpu_limit("8").set_memory_limit("48Gi")
    ft.set_env_variable("CHECKPOINT_DIR", "/mnt/ckpt")
    ft.set_env_variable("CHECKPOINT_SAVE_SECONDS", "120")
    onnx = export_onnx(model=ft.outputs["model"], num_classes=num_classes)
    upload_model(onnx_model=onnx.outputs["onnx_model"], run_id=dsl.PIPELINE_JOB_ID_PLACEHOLDER).set_retry(
        num_retries=3, backoff_duration="30s", backoff_max_duration="5m"
    )


PIPELINE = image_classifier_finetune
