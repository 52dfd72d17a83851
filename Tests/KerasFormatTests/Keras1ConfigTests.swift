import Foundation
@testable import KerasFormat
import ModelIR
import XCTest

/// Keras 1 configs in Keras 2's terms (Keras1Config): the renamings, the orderings Keras 1 did not
/// record, and the layers carried rather than guessed.
final class Keras1ConfigTests: XCTestCase {
    func translate(_ className: String, _ json: String, modelOrdering: String = "tf") throws -> Keras1Config.Translation {
        try Keras1Config.translate(className: className, config: try JSONValue.parse(Data(json.utf8)), layer: "l", modelOrdering: modelOrdering)
    }

    func testConvolutionKeysAreRenamed() throws {
        let t = try translate("AtrousConvolution2D", #"{"nb_filter": 4, "nb_row": 3, "nb_col": 5, "subsample": [2, 1], "border_mode": "same", "atrous_rate": [2, 2], "dim_ordering": "th", "bias": false}"#)
        XCTAssertEqual(t.className, "Conv2D")
        XCTAssertEqual(t.dimOrdering, "th")
        XCTAssertEqual(t.config["filters"]?.int, 4)
        XCTAssertEqual(t.config["kernel_size"]?.array?.compactMap(\.int), [3, 5])
        XCTAssertEqual(t.config["strides"]?.array?.compactMap(\.int), [2, 1])
        XCTAssertEqual(t.config["dilation_rate"]?.array?.compactMap(\.int), [2, 2])
        XCTAssertEqual(t.config["padding"]?.string, "same")
        XCTAssertEqual(t.config["use_bias"]?.bool, false)
        XCTAssertEqual(t.config["data_format"]?.string, "channels_first")
        let conv1d = try translate("Convolution1D", #"{"nb_filter": 8, "filter_length": 5, "subsample_length": 2}"#)
        XCTAssertEqual(conv1d.className, "Conv1D")
        XCTAssertEqual(conv1d.config["kernel_size"]?.array?.compactMap(\.int), [5])
        XCTAssertEqual(conv1d.config["strides"]?.array?.compactMap(\.int), [2])
        XCTAssertEqual(try translate("Dense", #"{"output_dim": 7}"#).config["units"]?.int, 7)
        XCTAssertEqual(try translate("Dropout", #"{"p": 0.5}"#).config["rate"]?.double, 0.5)
        let pool = try translate("MaxPooling1D", #"{"pool_length": 3, "stride": null, "border_mode": "valid"}"#)
        XCTAssertEqual(pool.config["pool_size"]?.array?.compactMap(\.int), [3])
        XCTAssertEqual(pool.config["strides"]?.isNull, true)
    }

    /// ZeroPadding2D's Keras 1 forms: (rows, cols), (top, bottom, left, right), a dict; and the
    /// model's ordering for the layers that do not record theirs.
    func testPaddingFormsAndUnrecordedOrdering() throws {
        let four = try translate("ZeroPadding2D", #"{"padding": [1, 2, 3, 4]}"#, modelOrdering: "th")
        XCTAssertEqual(four.config["padding"]?.array?.map { $0.array?.compactMap(\.int) ?? [] }, [[1, 2], [3, 4]])
        XCTAssertEqual(four.config["data_format"]?.string, "channels_first")
        let dict = try translate("ZeroPadding2D", #"{"padding": {"top_pad": 1, "right_pad": 2}}"#)
        XCTAssertEqual(dict.config["padding"]?.array?.map { $0.array?.compactMap(\.int) ?? [] }, [[1, 0], [0, 2]])
        XCTAssertEqual(dict.config["data_format"]?.string, "channels_last")
        XCTAssertEqual(try translate("Dense", #"{"output_dim": 2}"#, modelOrdering: "th").config["data_format"], nil)

        func model(_ orderings: [String]) throws -> JSONValue {
            let layers = orderings.map { #"{"class_name": "Convolution2D", "config": {"dim_ordering": "\#($0)"}}"# }
            return try JSONValue.parse(Data(#"{"class_name": "Sequential", "config": [\#(layers.joined(separator: ","))]}"#.utf8))
        }
        XCTAssertEqual(Keras1Config.modelOrdering(try model(["th", "th"])), "th")
        XCTAssertEqual(Keras1Config.modelOrdering(try model(["th", "tf"])), "tf")
        XCTAssertEqual(Keras1Config.modelOrdering(try model([])), "tf")
    }

    /// What wtool does not translate is carried with its reason, never computed wrongly.
    func testUntranslatedLayersAreRefusedWithAReason() {
        for (cls, json, reason) in [
            ("BatchNormalization", #"{"mode": 2, "axis": -1}"#, "batch statistics"),
            ("Merge", #"{"mode": ["lambda", "code"], "mode_type": "lambda"}"#, "Python function"),
            ("Deconvolution2D", #"{"nb_filter": 2}"#, "Deconvolution2D"),
            ("SeparableConvolution2D", #"{"nb_filter": 2, "nb_row": 3, "nb_col": 3, "dim_ordering": "th"}"#, "TensorFlow-only"),
        ] {
            XCTAssertThrowsError(try translate(cls, json), cls) { error in
                guard case KerasError.unsupportedOption(_, let detail) = error else { return XCTFail("\(cls): \(error)") }
                XCTAssertTrue(detail.contains(reason), "\(cls): \(detail)")
            }
        }
    }

    /// A whole Keras 1 Sequential config (a bare list of layers) becomes a graph; an untranslated
    /// layer in it is carried.
    func testKeras1SequentialConfigBecomesAGraph() throws {
        let json = #"""
        {"class_name": "Sequential", "keras_version": "1.2.2", "config": [
          {"class_name": "Convolution2D", "config": {"name": "c", "nb_filter": 4, "nb_row": 3, "nb_col": 3, "border_mode": "same",
            "subsample": [1, 1], "dim_ordering": "th", "activation": "relu", "bias": true, "batch_input_shape": [null, 3, 8, 8], "input_dtype": "float32"}},
          {"class_name": "ZeroPadding2D", "config": {"name": "z", "padding": [1, 1]}},
          {"class_name": "Flatten", "config": {"name": "f"}},
          {"class_name": "Dense", "config": {"name": "d", "output_dim": 3, "activation": "softmax"}},
          {"class_name": "BatchNormalization", "config": {"name": "bn", "mode": 1, "axis": -1, "epsilon": 0.001}}]}
        """#
        let graph = try KerasReader.graph(configJSON: Data(json.utf8))
        XCTAssertEqual(graph.inputs.first?.shape, [-1, 3, 8, 8])
        guard case .tensor(.pad(let pad)) = try XCTUnwrap(graph.nodes.first { $0.name == "z" }).op else { return XCTFail("z pads") }
        XCTAssertEqual(pad.pads, [0, 0, 1, 1, 0, 0, 1, 1], "the model's ordering (th) for a ZeroPadding2D that does not record one")
        guard case .linear(.dense(let dense)) = try XCTUnwrap(graph.nodes.first { $0.name == "d" }).op else { return XCTFail("d is Dense") }
        XCTAssertEqual(dense.units, 3)
        XCTAssertEqual(graph.nodes.first { $0.name == "bn" }.map { if case .custom = $0.op { true } else { false } }, true)
        guard case .conv(.conv(let a)) = try XCTUnwrap(graph.nodes.first { $0.name == "c" }).op else { return XCTFail("c is a convolution") }
        XCTAssertEqual(a.kernelLayout, .spatialLast)
        XCTAssertEqual(a.layout, .channelsFirst)
    }
}
