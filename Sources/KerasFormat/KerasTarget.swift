/// Which Keras a written `.h5` is for. Keras 3 (`keras.models.load_model`) and tf_keras read the
/// legacy format with a few differences; `both` uses the spellings both accept.
///
/// | | `both` | `keras2` (tf_keras) | `keras3` |
/// |---|---|---|---|
/// | `InputLayer` shape key | `batch_input_shape` | `batch_input_shape` | `batch_shape` |
/// | `inbound_nodes` | `[[["layer", 0, 0, {}]]]` | same | `{"args": [__keras_tensor__…], "kwargs": {}}` |
/// | a nested model's call, referenced by a later layer | — | node index 1 | node index 0 |
/// | weight names | `layer/kernel:0` | `layer/kernel:0` | `layer/kernel` |
/// | `LeakyReLU` slope key | `alpha` | `alpha` | `negative_slope` |
///
/// The one thing no spelling satisfies both with is a layer that reads a nested model's output
/// inside a Functional model (tf_keras counts the nested model's own construction call, Keras 3
/// does not); `both` refuses such graphs and names `--keras 2` and `--keras 3`.
public enum KerasTarget: String, Sendable, CaseIterable {
    case both
    case keras2 = "2"
    case keras3 = "3"

    /// The `keras_version` attribute written: the first release of the format followed. Loaders
    /// only test it against `"1"` (Keras 1 weights are converted on load).
    var formatVersion: String { self == .keras3 ? "3.0.0" : "2.0.0" }
}
