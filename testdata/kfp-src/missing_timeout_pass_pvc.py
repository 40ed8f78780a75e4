"""missing-timeout, passing: kfp-kubernetes CreatePVC/DeletePVC around a task with a deadline.

The backend creates and deletes the PVC itself: the two stub executors
(`argostub/createpvc`, `argostub/deletepvc`) run no pod that could hang, so they need no
timeout. The one real task has `set_timeout`.
"""

from kfp import dsl, kubernetes

OUTPUT = "testdata/rules/missing-timeout/pass-kfp-createpvc.yaml"
EXPECT = []

PYTHON = "python:3.11@sha256:cdbe99611cced7b5e8e1b308ae50227e446f1665684f266370475d54eab3e6ce"


@dsl.component(base_image=PYTHON)
def list_scratch():
    import os

    print(os.listdir("/data"))


@dsl.pipeline(name="scratch-volume")
def scratch_volume():
    pvc = kubernetes.CreatePVC(
        pvc_name_suffix="-scratch",
        access_modes=["ReadWriteOnce"],
        size="1Gi",
        storage_class_name="standard",
    )
    work = list_scratch().after(pvc)
    kubernetes.mount_pvc(work, pvc_name=pvc.outputs["name"], mount_path="/data")
    kubernetes.set_timeout(work, 600)
    kubernetes.DeletePVC(pvc_name=pvc.outputs["name"]).after(work)


PIPELINE = scratch_volume
