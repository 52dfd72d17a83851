"""wtool's Python side, one module per concern; the files in scripts/ are thin entry points.

    common.py     paths, running wtool, JSON/.npy/hash helpers, the error metric, timing, Keras import
    swm.py        an independent reader of the .swm format (and its layout, for the corpus)
    reference/    reference data made by Keras itself (reference.py, check_reference.py)
    corpus/       the corruption corpus, one generator per format (make_corpus.py)
    parity/       the parity stage's checks (parity.py)
    realworld/    real ONNX files from other exporters (realworld_onnx.py; not in the reference stamp)
"""
