#!/usr/bin/env python3
"""torchvision models through PyTorch's own ONNX exporter, then wtool against onnxruntime.

Not a CI stage: torch and torchvision from PyPI are ~3 GB (the CUDA build and its libraries; PyPI
has no CPU-only torch). Run it by hand in an environment that has them:

    python3 -m venv /tmp/torch && /tmp/torch/bin/pip install torch==2.5.1 torchvision==0.20.1 onnx onnxruntime
    /tmp/torch/bin/python scripts/torchvision_check.py --wtool .build/release/wtool --out /tmp/tv

Each model gets seeded random weights (non-trivial BatchNorm statistics; a Linear that torchvision
initialises to zero, ViT's head, gets weights too), is exported with torch.onnx.export (opset 17,
dynamic batch), run by onnxruntime on a seeded batch of 2, then converted to .swm and run by
`wtool run MODEL.swm INPUT.npy`. Reported per model: pass (max|wtool - ort| / max|ort| <= 1e-4),
refused (wtool's one-line reason), wrong, or not exported (the exporter's own refusal).
Exits non-zero when a model is wrong.
"""
import argparse, os, subprocess, sys, warnings

import numpy as np

DEFAULT = ("resnet18,resnet50,resnext50_32x4d,wide_resnet50_2,mobilenet_v2,mobilenet_v3_small,mobilenet_v3_large,"
           "efficientnet_b0,efficientnet_v2_s,densenet121,squeezenet1_1,shufflenet_v2_x1_0,mnasnet1_0,googlenet,"
           "inception_v3,regnet_y_400mf,regnet_x_400mf,convnext_tiny,vit_b_16,swin_t,swin_v2_t,maxvit_t,r3d_18,"
           "seg_lraspp_mobilenet_v3_large,seg_deeplabv3_mobilenet_v3_large,seg_fcn_resnet50")
VIDEO = {"r3d_18", "mc3_18", "r2plus1d_18"}


def build(name):
    import torch, torchvision
    torch.manual_seed(0)
    if name in VIDEO:
        m = getattr(torchvision.models.video, name)(weights=None)
    elif name.startswith("seg_"):
        m = getattr(torchvision.models.segmentation, name[4:])(weights=None, weights_backbone=None, aux_loss=False)
    else:
        kwargs = {"aux_logits": False, "init_weights": True} if name in ("inception_v3", "googlenet") else {}
        m = getattr(torchvision.models, name)(weights=None, **kwargs)
    m.eval()
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, (torch.nn.BatchNorm2d, torch.nn.BatchNorm3d)):
                mod.running_mean.uniform_(-0.5, 0.5)
                mod.running_var.uniform_(0.5, 1.5)
            if isinstance(mod, torch.nn.Linear) and mod.weight.abs().max() == 0:
                mod.weight.normal_(0, 0.02)
    if name in VIDEO:
        shape = (2, 3, 16, 112, 112)
    else:
        size = 299 if name == "inception_v3" else 224 if name.startswith(("vit", "swin", "maxvit")) else 160
        shape = (2, 3, size, size)
    return m, torch.randn(*shape)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wtool", default=".build/release/wtool")
    ap.add_argument("--out", required=True)
    ap.add_argument("--models", default=DEFAULT)
    args = ap.parse_args()
    import torch, torchvision, onnxruntime as ort
    warnings.filterwarnings("ignore")
    os.makedirs(args.out, exist_ok=True)
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, onnxruntime {ort.__version__}")
    counts = {"pass": 0, "refused": 0, "wrong": 0, "not exported": 0}
    for name in args.models.split(","):
        base = os.path.join(args.out, name)
        try:
            m, x = build(name)
            torch.onnx.export(m, (x,), base + ".onnx", input_names=["input"], output_names=["output"], opset_version=17,
                              dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
        except Exception as e:  # the exporter's refusal, not wtool's
            counts["not exported"] += 1
            print(f"  not exported  {name}: {type(e).__name__}: {str(e).splitlines()[0][:150]}")
            continue
        sess = ort.InferenceSession(base + ".onnx", providers=["CPUExecutionProvider"])
        expected = sess.run(None, {sess.get_inputs()[0].name: x.numpy()})[0]
        np.save(base + ".input.npy", x.numpy())
        status, detail = "pass", ""
        for step in ([args.wtool, "convert", base + ".onnx", base + ".swm", "--force", "--quiet"],
                     [args.wtool, "run", base + ".swm", base + ".input.npy", "--out", base + ".out.npy"]):
            p = subprocess.run(step, capture_output=True, text=True)
            if p.returncode != 0:
                status, detail = "refused", (p.stderr.strip().splitlines() or ["(no message)"])[-1][:200]
                break
        if status == "pass":
            got = np.load(base + ".out.npy")
            if got.shape != expected.shape:
                status, detail = "wrong", f"shape {got.shape}, onnxruntime {expected.shape}"
            else:
                err = float(np.abs(got - expected).max() / max(float(np.abs(expected).max()), 1e-30))
                status = "pass" if err <= 1e-4 else "wrong"
                detail = f"{tuple(x.shape)} -> {got.shape}, max|Δ|/max|ort| = {err:.2e}"
        counts[status] += 1
        print(f"  {status:8s}  {name}: {detail}", flush=True)
        for suffix in (".swm", ".out.npy"):
            if os.path.exists(base + suffix):
                os.remove(base + suffix)
    print("torchvision: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    sys.exit(1 if counts["wrong"] else 0)


if __name__ == "__main__":
    main()
