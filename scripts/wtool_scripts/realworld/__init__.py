"""Real ONNX files from other exporters (scripts/realworld_onnx.py): the pinned catalog, the
downloads, the quantization-tool files, the per-file checks and the report."""
