"""Tensor I/O references (issue 14): ONNX models made with onnx.helper that take tensors, not
images — NCHW, two inputs and two outputs, a dynamic batch (`dim_param`), mixed dtypes — with
their inputs as .npy and onnxruntime's outputs as .npz (`full`). parity/tensor_io.py runs them
through `wtool run --input` and `wtool verify --input --reference`."""
import numpy as np

from ..common import log


def _two_inputs_two_outputs(helper, TP):
    """x (N,3,8,8) float32 and scale (1,4,1,1): Conv(pads) → Relu → Mul(scale) → y1 NCHW, and
    ReduceMean over H,W + an int64 class index from ArgMax → y2, y3."""
    rng = np.random.default_rng(14)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32) * 0.5
    b = rng.standard_normal(4).astype(np.float32)
    nodes = [
        helper.make_node("Conv", ["x", "W", "B"], ["conv"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv"], ["relu"]),
        helper.make_node("Mul", ["relu", "scale"], ["y1"]),
        helper.make_node("ReduceMean", ["y1"], ["y2"], axes=[2, 3], keepdims=0),
        helper.make_node("ArgMax", ["y2"], ["y3"], axis=1, keepdims=0),
    ]
    graph = helper.make_graph(
        nodes, "two_in_two_out",
        [helper.make_tensor_value_info("x", TP.FLOAT, ["N", 3, 8, 8]),
         helper.make_tensor_value_info("scale", TP.FLOAT, [1, 4, 1, 1])],
        [helper.make_tensor_value_info("y1", TP.FLOAT, ["N", 4, 8, 8]),
         helper.make_tensor_value_info("y2", TP.FLOAT, ["N", 4]),
         helper.make_tensor_value_info("y3", TP.INT64, ["N"])],
        initializer=[helper.make_tensor("W", TP.FLOAT, w.shape, w.flatten()),
                     helper.make_tensor("B", TP.FLOAT, b.shape, b)])
    feeds = {"x": rng.standard_normal((3, 3, 8, 8)).astype(np.float32),
             "scale": rng.standard_normal((1, 4, 1, 1)).astype(np.float32)}
    return graph, feeds


def _sequence_model(helper, TP):
    """Not an image: int64 token ids (N, T) → Gather from an embedding → MatMul → Softmax, and a
    bool mask output from Greater."""
    rng = np.random.default_rng(15)
    table = rng.standard_normal((20, 6)).astype(np.float32)
    proj = rng.standard_normal((6, 5)).astype(np.float32)
    nodes = [
        helper.make_node("Gather", ["table", "ids"], ["emb"], axis=0),
        helper.make_node("MatMul", ["emb", "proj"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=-1),
        helper.make_node("Greater", ["logits", "zero"], ["positive"]),
    ]
    graph = helper.make_graph(
        nodes, "sequence",
        [helper.make_tensor_value_info("ids", TP.INT64, ["N", "T"])],
        [helper.make_tensor_value_info("probs", TP.FLOAT, ["N", "T", 5]),
         helper.make_tensor_value_info("positive", TP.BOOL, ["N", "T", 5])],
        initializer=[helper.make_tensor("table", TP.FLOAT, table.shape, table.flatten()),
                     helper.make_tensor("proj", TP.FLOAT, proj.shape, proj.flatten()),
                     helper.make_tensor("zero", TP.FLOAT, [], [0.0])])
    feeds = {"ids": rng.integers(0, 20, size=(2, 7)).astype(np.int64)}
    return graph, feeds


MODELS = {"two_in_two_out": _two_inputs_two_outputs, "sequence": _sequence_model}


def make_tensor_models(out):
    """Writes out/tensor_io/<name>.onnx, <name>/inputs/<input>.npy, <name>/expected.npz."""
    import onnx
    import onnxruntime
    from onnx import TensorProto, helper

    base = out / "tensor_io"
    entries = []
    for name, make in MODELS.items():
        graph, feeds = make(helper, TensorProto)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="onnx.helper")
        model.ir_version = 8
        onnx.checker.check_model(model, full_check=True)
        (base / name / "inputs").mkdir(parents=True, exist_ok=True)
        onnx.save(model, base / f"{name}.onnx")
        for k, v in feeds.items():
            np.save(base / name / "inputs" / f"{k}.npy", v)
        session = onnxruntime.InferenceSession(str(base / f"{name}.onnx"), providers=["CPUExecutionProvider"])
        outputs = session.run(None, feeds)
        names = [o.name for o in session.get_outputs()]
        np.savez(base / name / "expected.npz", **dict(zip(names, outputs)))
        entries.append({"name": name, "model": f"tensor_io/{name}.onnx", "inputs": {k: f"tensor_io/{name}/inputs/{k}.npy" for k in feeds},
                        "expected": f"tensor_io/{name}/expected.npz",
                        "outputs": {n: {"shape": list(o.shape), "dtype": str(o.dtype)} for n, o in zip(names, outputs)}})
        log(f"tensor_io/{name}: " + ", ".join(f"{n} {o.dtype}{list(o.shape)}" for n, o in zip(names, outputs)))
    return entries
