import Foundation
@testable import KerasFormat
import ModelIR
import XCTest
import _TestSupport

/// The built-in architectures against keras.applications itself: every fixture in
/// Fixtures/applications was recorded by scripts/applications_fixtures.py from `model.layers` of
/// the Keras 3 and tf_keras models (weights=None, fresh session). Layer names, classes and order
/// decide weight binding (legacy .h5 positionally over layers with weights, Keras 3 .weights.h5 by
/// snake-case class counters), so all of them must match exactly.
final class ApplicationsTests: XCTestCase {
    struct KerasLayer {
        var name: String
        var className: String
        var params: Int
        var outputShape: [Int]
        var weightShapes: [[Int]]
    }

    struct Fixture {
        var file: String
        var spec: ApplicationSpec
        var modelName: String
        var countParams: Int
        var trainableParams: Int
        var nonTrainableParams: Int
        var layers: [KerasLayer]
        /// tf_keras's (name, class, params) per layer.
        var tfKerasLayers: [(String, String, Int)]
        var tfKerasCountParams: Int
    }

    static let fixtureDirectory = TestSupport.repoRoot.appendingPathComponent("Tests/KerasFormatTests/Fixtures/applications")

    static let constructors: [String: Architecture] = [
        "keras.applications.VGG16": .vgg16, "keras.applications.VGG19": .vgg19, "keras.applications.ResNet50": .resnet50,
        "keras.applications.InceptionV3": .inceptionV3, "keras.applications.Xception": .xception,
        "keras.applications.MobileNet": .mobilenet, "keras.applications.MobileNetV2": .mobilenetV2,
        "keras.applications.EfficientNetB0": .efficientnetB0, "keras.applications.DenseNet121": .densenet121,
        "keras.applications.ResNet50V2": .resnet50V2,
    ]

    func loadFixtures() throws -> [Fixture] {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.fixtureDirectory.path).filter { $0.hasSuffix(".json") }.sorted()
        return try files.map { file in
            let data = try Data(contentsOf: Self.fixtureDirectory.appendingPathComponent(file))
            let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any], file)
            let args = try XCTUnwrap(root["arguments"] as? [String: Any], file)
            let arch = try XCTUnwrap(Self.constructors[root["constructor"] as? String ?? ""], file)
            let spec = ApplicationSpec(architecture: arch, inputShape: args["input_shape"] as? [Int],
                                       includeTop: args["include_top"] as? Bool ?? true, pooling: args["pooling"] as? String,
                                       classes: args["classes"] as? Int ?? 1000, alpha: args["alpha"] as? Double ?? 1)
            let k3 = try XCTUnwrap(root["keras3"] as? [String: Any], file)
            let tfk = try XCTUnwrap(root["tf_keras"] as? [String: Any], file)
            let layers = try XCTUnwrap(k3["layers"] as? [[Any]], file).map { row in
                KerasLayer(name: row[0] as? String ?? "", className: row[1] as? String ?? "", params: row[2] as? Int ?? -1,
                           outputShape: (row[3] as? [Any] ?? []).map { $0 as? Int ?? -1 },
                           weightShapes: row[4] as? [[Int]] ?? [])
            }
            let tfLayers = try XCTUnwrap(tfk["layers"] as? [[Any]], file).map {
                ($0[0] as? String ?? "", $0[1] as? String ?? "", $0[2] as? Int ?? -1)
            }
            return Fixture(file: file, spec: spec, modelName: k3["model_name"] as? String ?? "",
                           countParams: k3["count_params"] as? Int ?? -1, trainableParams: k3["trainable_params"] as? Int ?? -1,
                           nonTrainableParams: k3["non_trainable_params"] as? Int ?? -1, layers: layers,
                           tfKerasLayers: tfLayers, tfKerasCountParams: tfk["count_params"] as? Int ?? -1)
        }
    }

    func testEveryArchitectureHasFixtures() throws {
        let covered = Set(try loadFixtures().map(\.spec.architecture))
        XCTAssertEqual(covered, Set(Architecture.allCases))
    }

    /// Names, classes and order of `model.layers`, exactly as Keras 3 builds them.
    func testLayersMatchKeras3InNameClassAndOrder() throws {
        for f in try loadFixtures() {
            let structure = try Applications.structure(for: f.spec)
            XCTAssertEqual(structure.name, f.modelName, f.file)
            let ours = structure.layers.map { "\($0.name) (\($0.className))" }
            let theirs = f.layers.map { "\($0.name) (\($0.className))" }
            XCTAssertEqual(ours.count, theirs.count, f.file)
            if let i = zip(ours, theirs).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
                XCTFail("\(f.file): layer \(i) is \(ours[i]), Keras has \(theirs[i])")
            }
        }
    }

    /// With Keras's weight shapes bound, shape inference accepts every weight (our ops expect exactly
    /// these shapes), every layer's output shape is Keras's, and the parameter counts — total and the
    /// trainable split (BatchNormalization's moving statistics are not trainable) — are Keras's.
    func testWeightShapesOutputShapesAndParameterCountsMatchKeras() throws {
        for f in try loadFixtures() {
            let structure = try Applications.structure(for: f.spec)
            var weights: [String: Weight] = [:]
            for (unit, keras) in zip(structure.layers, f.layers) {
                XCTAssertEqual(unit.weightNames.count, keras.weightShapes.count, "\(f.file): \(unit.name) weight count")
                for (name, shape) in zip(unit.weightNames, keras.weightShapes) {
                    let facts = structure.weightFacts[name]
                    weights[name] = Weight(info: TensorInfo(name: name, shape: shape, layout: facts?.layout ?? .unspecified),
                                           data: TensorData(floats: [Float](repeating: 0, count: shape.reduce(1, *))),
                                           trainable: facts?.trainable ?? true, source: nil)
                }
            }
            let graph = structure.graph(weights: weights, metadata: Metadata(sourceFormat: "test", producer: "test"))
            let shapes = try graph.inferShapes()
            for keras in f.layers where keras.className != "InputLayer" {
                let node = try XCTUnwrap(graph.nodes.first { $0.name == keras.name }, "\(f.file): no node \(keras.name)")
                XCTAssertEqual(shapes[node.outputs[0]], keras.outputShape, "\(f.file): output of \(keras.name)")
                XCTAssertEqual(graph.parameterCount(of: [node]).total, keras.params, "\(f.file): params of \(keras.name)")
            }
            let count = graph.parameterCount
            XCTAssertEqual(count.total, f.countParams, f.file)
            XCTAssertEqual(count.trainable, f.trainableParams, f.file)
            XCTAssertEqual(count.nonTrainable, f.nonTrainableParams, f.file)
            XCTAssertEqual(shapes[graph.outputs[0]], f.layers.last?.outputShape, f.file)
        }
    }

    /// Legacy .h5 files (tf_keras `save`/`save_weights`, keras.applications' own weight files) are
    /// bound by position over layers with weights: tf_keras's sequence of weighted layers and their
    /// sizes must be ours. Only the input layer's name differs (`input_1`).
    func testTFKerasLegacyOrderMatches() throws {
        for f in try loadFixtures() {
            let structure = try Applications.structure(for: f.spec)
            XCTAssertEqual(f.tfKerasCountParams, f.countParams, f.file)
            let ours = zip(structure.layers, f.layers).filter(\.0.hasWeights).map { "\($0.0.name):\($0.1.params)" }
            // tf_keras's DenseNet names its stem conv1/conv, conv1/bn, conv1/relu (Keras 3: conv1_conv, …).
            func keras3Spelling(_ name: String) -> String { name.replacingOccurrences(of: "/", with: "_") }
            let theirs = f.tfKerasLayers.filter { $0.2 > 0 }.map { "\(keras3Spelling($0.0)):\($0.2)" }
            XCTAssertEqual(ours, theirs, f.file)
            let renamed = zip(structure.layers, f.tfKerasLayers).filter { $0.0.name != keras3Spelling($0.1.0) }.map { "\($0.0.name)→\($0.1.0)" }
            XCTAssertEqual(renamed, ["input_layer→input_1"], f.file)
        }
    }

    /// Auto-named layers follow Keras's per-class counters in creation order.
    func testAutomaticNamesAndKerasOrder() throws {
        let inception = try Applications.structure(for: ApplicationSpec(architecture: .inceptionV3, inputShape: [139, 139, 3]))
        XCTAssertEqual(inception.layers.count, 311)
        XCTAssertEqual(inception.layers.filter { $0.className == "Conv2D" }.count, 94)
        XCTAssertEqual(inception.layers.last?.name, "mixed10")
        let xception = try Applications.structure(for: ApplicationSpec(architecture: .xception, inputShape: [71, 71, 3]))
        XCTAssertEqual(xception.layers.filter { $0.className == "Add" }.map(\.name), ["add"] + (1...11).map { "add_\($0)" })
        // Keras's order is not creation order: the first projection shortcut comes after block2's
        // separable convolutions' BN, because it is shallower (one layer to the add).
        let names = xception.layers.map(\.name)
        let conv2d = try XCTUnwrap(names.firstIndex(of: "conv2d")), sep = try XCTUnwrap(names.firstIndex(of: "block2_sepconv1"))
        XCTAssertGreaterThan(conv2d, sep)
    }

    func testMobileNetAlphaAndHead() throws {
        let spec = ApplicationSpec(architecture: .mobilenet, inputShape: [128, 128, 3], includeTop: true, classes: 10, alpha: 0.5)
        let structure = try Applications.structure(for: spec)
        XCTAssertEqual(structure.name, "mobilenet_0.50_128")
        XCTAssertEqual(structure.layers.suffix(5).map(\.name), ["global_average_pooling2d", "dropout", "conv_preds", "reshape_2", "predictions"])
        guard case .conv(.conv(let conv1)) = try XCTUnwrap(structure.nodes.first { $0.name == "conv1" }).op else { return XCTFail("conv1") }
        XCTAssertEqual(conv1.filters, 16)
        guard case .pool(.globalAverage(let gap)) = try XCTUnwrap(structure.nodes.first { $0.name == "global_average_pooling2d" }).op else {
            return XCTFail("pooling")
        }
        XCTAssertTrue(gap.keepDims)
        guard case .activation(.clippedReLU(let maxValue, _, _)) = try XCTUnwrap(structure.nodes.first { $0.name == "conv1_relu" }).op else {
            return XCTFail("conv1_relu")
        }
        XCTAssertEqual(maxValue, 6)
    }

    func testArgumentsKerasRejectsAreRejected() {
        XCTAssertThrowsError(try Applications.structure(for: ApplicationSpec(architecture: .inceptionV3, inputShape: [74, 75, 3])))
        XCTAssertThrowsError(try Applications.structure(for: ApplicationSpec(architecture: .xception, inputShape: [70, 90, 3])))
        XCTAssertNoThrow(try Applications.structure(for: ApplicationSpec(architecture: .xception, inputShape: [71, 71, 3])))
        XCTAssertThrowsError(try Applications.structure(for: ApplicationSpec(architecture: .resnet50, alpha: 0.5))) { error in
            XCTAssertTrue("\(error)".contains("--alpha"), "\(error)")
        }
        XCTAssertThrowsError(try Applications.structure(for: ApplicationSpec(architecture: .mobilenet, alpha: 0)))
        XCTAssertThrowsError(try Applications.structure(for: ApplicationSpec(architecture: .mobilenet, pooling: "mean")))
        XCTAssertThrowsError(try Applications.structure(for: ApplicationSpec(architecture: .resnet50, includeTop: true, classes: 0)))
    }

    func testNamesAndPreprocessing() throws {
        XCTAssertEqual(try ApplicationSpec(name: "InceptionV3", inputShape: nil).architecture, .inceptionV3)
        XCTAssertEqual(try ApplicationSpec(name: "inception-v3", inputShape: nil).inputShape, [299, 299, 3])
        XCTAssertEqual(try ApplicationSpec(name: "ResNet50", inputShape: nil).architecture, .resnet50)
        XCTAssertThrowsError(try ApplicationSpec(name: "resnet101", inputShape: nil))
        XCTAssertEqual(Applications.names, ["vgg16", "vgg19", "resnet50", "inception_v3", "xception", "mobilenet", "mobilenet_v2",
                                            "efficientnet_b0", "densenet121", "resnet50_v2"])
        XCTAssertEqual(try ApplicationSpec(name: "MobileNetV2", inputShape: nil).architecture, .mobilenetV2)
        XCTAssertEqual(try ApplicationSpec(name: "EfficientNetB0", inputShape: nil).architecture, .efficientnetB0)
        XCTAssertEqual(Applications.preprocessing(forModelNamed: "resnet50"), "caffe")
        XCTAssertEqual(Applications.preprocessing(forModelNamed: "xception"), "tf")
        XCTAssertEqual(Applications.preprocessing(forModelNamed: "mobilenet_0.50_128"), "tf")
        XCTAssertEqual(Applications.preprocessing(forModelNamed: "mobilenetv2_1.00_224"), "tf")
        XCTAssertEqual(Applications.preprocessing(forModelNamed: "densenet121"), "torch")
        XCTAssertEqual(Applications.preprocessing(forModelNamed: "resnet50v2"), "tf")
        XCTAssertEqual(Applications.preprocessing(forModelNamed: "efficientnetb0"), "none")
        XCTAssertNil(Applications.preprocessing(forModelNamed: "sequential"))
    }

    /// For weights="imagenet" keras.applications' EfficientNet adds a Rescaling by 1/√stddev after
    /// its Normalization (its official weight files hold ImageNet's standard deviations where the
    /// variances belong): `--imagenet` builds that model. It has no weights, so binding is unchanged.
    func testEfficientNetImagenetCorrection() throws {
        let plain = try Applications.structure(for: ApplicationSpec(architecture: .efficientnetB0, inputShape: [97, 97, 3]))
        let imagenet = try Applications.structure(for: ApplicationSpec(architecture: .efficientnetB0, inputShape: [97, 97, 3], imagenet: true))
        XCTAssertEqual(plain.layers.prefix(4).map(\.name), ["input_layer", "rescaling", "normalization", "stem_conv_pad"])
        XCTAssertEqual(imagenet.layers.prefix(5).map(\.name), ["input_layer", "rescaling", "normalization", "rescaling_1", "stem_conv_pad"])
        guard case .normalization(.rescale(let r)) = try XCTUnwrap(imagenet.nodes.first { $0.name == "rescaling_1" }).op else {
            return XCTFail("rescaling_1")
        }
        XCTAssertEqual(r.scale, [0.229, 0.224, 0.225].map { Float(1 / ($0 as Double).squareRoot()) })
        XCTAssertEqual(plain.layers.filter(\.hasWeights).map(\.name), imagenet.layers.filter(\.hasWeights).map(\.name))
    }

    /// InceptionResNetV2's CustomScaleLayer is saved by Keras 3 as "CustomScaleLayer" and by
    /// tf_keras, which registers it in the default package, as "Custom>CustomScaleLayer": both
    /// are `x + residual * scale` with the config's scale.
    func testCustomScaleLayerUnderBothKerasesNames() throws {
        let config = LayerConfig(layer: "custom_scale_layer", values: .object(["name": .string("custom_scale_layer"), "scale": .number(0.17)]))
        for (className, dialect) in [("CustomScaleLayer", KerasDialect.keras3), ("Custom>CustomScaleLayer", .keras2)] {
            let layer = try KerasLayerTable.layer(className: className, config: config, dialect: dialect)
            XCTAssertEqual(layer.op, .elementwise(.scaledAdd(scale: 0.17)), className)
            XCTAssertTrue(layer.weights.isEmpty, className)
        }
    }
}
