"""Product-photo classifier trained from scratch with torchvision, images synced from GCS."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"
GCLOUD = "google/cloud-sdk:489.0.0-slim@sha256:f41d3fd357fa18848fe3420b22f628fdac5a8988294e7f5ece3b6c1a6ba334a4"
TORCH = "pytorch/pytorch:2.4.0-cuda12.1-cudnn9-runtime@sha256:74a726ec5580e9d4f9ce825a417ac6091c2607bb781eda200daff036b9c0afe0"

OUTPUT = "kfp/vision-resnet-scratch.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/sync-images", "io-step-without-retry",
     "gcloud storage rsync from gs://, no set_retry"),
    ("@pipeline", "root/dag/tasks/train/cachingOptions/enableCache", "cache-on-random-step",
     "DataLoader(shuffle=True), RandomResizedCrop/RandomHorizontalFlip and resnet50(weights=None) with no torch seed, cached"),
]


@dsl.container_component
def sync_images(bucket_path: str, images: dsl.Output[dsl.Dataset]):
    return dsl.ContainerSpec(
        image=GCLOUD,
        command=["sh", "-c"],
        args=['mkdir -p "$1" && gcloud storage rsync --recursive "$0" "$1"', bucket_path, images.path],
    )


@dsl.component(base_image=TORCH, packages_to_install=["torchvision==0.19.0"])
def train(images: dsl.Input[dsl.Dataset], epochs: int, model: dsl.Output[dsl.Model]):
    import torch
    from torch import nn
    from torch.utils.data import DataLoader
    from torchvision import datasets, models, transforms

    tfm = transforms.Compose([
        transforms.RandomResizedCrop(224),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    ds = datasets.ImageFolder(f"{images.path}/train", transform=tfm)
    loader = DataLoader(ds, batch_size=64, shuffle=True, num_workers=4)

    net = models.resnet50(weights=None, num_classes=len(ds.classes))
    device = "cuda" if torch.cuda.is_available() else "cpu"
    net.to(device)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(epochs):
        net.train()
        for x, y in loader:
            opt.zero_grad()
            loss_fn(net(x.to(device)), y.to(device)).backward()
            opt.step()
    torch.save(net.state_dict(), model.path)


@dsl.component(base_image=TORCH, packages_to_install=["torchvision==0.19.0"])
def evaluate(images: dsl.Input[dsl.Dataset], model: dsl.Input[dsl.Model], metrics: dsl.Output[dsl.Metrics]):
    import torch
    from torch.utils.data import DataLoader
    from torchvision import datasets, models, transforms

    tfm = transforms.Compose([
        transforms.Resize(256),
        transforms.CenterCrop(224),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    ds = datasets.ImageFolder(f"{images.path}/val", transform=tfm)
    loader = DataLoader(ds, batch_size=128, shuffle=False)
    net = models.resnet50(num_classes=len(ds.classes))
    net.load_state_dict(torch.load(model.path, map_location="cpu"))
    net.eval()
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (net(x).argmax(1) == y).sum().item()
    metrics.log_metric("top1", correct / len(ds))


@dsl.pipeline(name="vision-resnet-scratch", description="Product-photo classifier, trained from scratch.")
def vision_resnet_scratch(bucket_path: str = "gs://acme-catalog-images/2024-06", epochs: int = 30):
    imgs = sync_images(bucket_path=bucket_path)
    fit = train(images=imgs.outputs["images"], epochs=epochs)
    fit.set_accelerator_type("nvidia.com/gpu").set_accelerator_limit(1)
    evaluate(images=imgs.outputs["images"], model=fit.outputs["model"])


PIPELINE = vision_resnet_scratch
