// swift-tools-version: 6.0
import PackageDescription

// Layout and rationale: ../shared/DESIGN.md §2. Data flows one way: readers → ModelIR → writers/Runtime.
let package = Package(
    name: "wtool",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "WTool", targets: ["WTool"]),
        .executable(name: "wtool", targets: ["wtool"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", exact: "0.9.20"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // C libraries from Debian's -dev packages; module maps only, plus shims for macros.
        // hdf5.h only; libhdf5 itself is opened with dlopen by CHDF5Loader on first use, so a
        // process that never touches HDF5 never maps it (Sources/CHDF5Loader/include says why).
        .systemLibrary(name: "CHDF5"),
        .target(name: "CHDF5Loader", linkerSettings: [.linkedLibrary("dl")]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        // Not "CZlib": ZIPFoundation already defines a module of that name.
        .systemLibrary(name: "CZlibShim", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Linux interfaces Swift cannot import (O_TMPFILE, prctl, siginfo's si_addr); header only.
        .systemLibrary(name: "CSystemShim"),

        // Hot loops no library covers (Winograd tile transforms, epilogues), AVX-512/AVX2/portable
        // paths chosen at run time (Sources/CKernels/include/wt_kernels.h).
        .target(name: "CKernels"),
        // oneDNN (Debian libdnnl-dev headers; libdnnl.so.2 is dlopen'ed on first use, not linked:
        // Sources/CDNNL/include/wt_dnnl.h says why).
        .target(name: "CDNNL", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "HDF5", dependencies: ["CHDF5", "CHDF5Loader"]),
        .target(name: "ModelIR"),
        // The one I/O leaf: safe open, mmap, the atomic writer, the kernel-cache store. No model code;
        // only the system shim below it.
        .target(name: "FileSupport", dependencies: ["CSystemShim"]),
        .target(name: "SWMFormat", dependencies: ["ModelIR", "FileSupport", "CZlibShim"]),
        // safetensors (Hugging Face's format): the validated mmap reader and the writer.
        .target(name: "SafetensorsFormat", dependencies: ["ModelIR", "FileSupport"]),
        .target(name: "KerasFormat", dependencies: [
            "ModelIR", "HDF5", "FileSupport", .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            // Its JSON parser, for Keras configs (JSONValue.parse).
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),
        // Only the generated onnx.pb.swift (scripts/generate_onnx_proto.sh); its types are `package`.
        .target(name: "ONNXProto", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .target(name: "ONNXFormat", dependencies: [
            "ModelIR", "ONNXProto", "FileSupport", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),
        .target(name: "NPY", dependencies: ["FileSupport", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        .target(name: "ImageIO", dependencies: ["CJPEG", "CPNG", "FileSupport"]),
        // OpenBLAS (Debian libopenblas0) is loaded at run time: see Sources/Runtime/Kernels/_BLAS.swift.
        // The runtime knows no file: its kernel store comes through ExecutorOptions.kernelStore.
        .target(name: "Runtime", dependencies: ["ModelIR", "CKernels", "CDNNL"]),
        .target(name: "Verify", dependencies: ["ModelIR", "Runtime", "NPY"]),
        // The library owns the pipelines; it wires FileSupport's stores into the runtime.
        .target(name: "WTool", dependencies: [
            "ModelIR", "HDF5", "SWMFormat", "SafetensorsFormat", "KerasFormat", "ONNXFormat", "FileSupport", "Runtime", "ImageIO", "NPY", "Verify",
            "CSystemShim",
        ]),
        .executableTarget(name: "wtool", dependencies: [
            "WTool", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // An app written against the WTool product only (Examples/ClassifyFolder/README.md).
        .executableTarget(name: "ClassifyFolder", dependencies: ["WTool"], path: "Examples/ClassifyFolder", exclude: ["README.md"]),

        .target(name: "_TestSupport", dependencies: ["ModelIR"], path: "Tests/_TestSupport"),
        .testTarget(name: "FileSupportTests", dependencies: ["FileSupport", "CSystemShim", "_TestSupport"]),
        .testTarget(name: "HDF5Tests", dependencies: ["HDF5", "CHDF5", "_TestSupport"]),
        .testTarget(name: "ModelIRTests", dependencies: ["ModelIR", "_TestSupport"]),
        .testTarget(name: "SWMFormatTests", dependencies: ["SWMFormat", "ModelIR", "_TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "SafetensorsFormatTests", dependencies: ["SafetensorsFormat", "ModelIR", "FileSupport", "_TestSupport"]),
        .testTarget(name: "KerasFormatTests", dependencies: ["KerasFormat", "HDF5", "ModelIR", "SWMFormat", "_TestSupport"]),
        .testTarget(name: "ONNXFormatTests", dependencies: [
            "ONNXFormat", "ONNXProto", "ModelIR", "NPY", "_TestSupport", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),
        .testTarget(name: "NPYTests", dependencies: ["NPY"]),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO", "NPY"]),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "ModelIR", "_TestSupport"]),
        .testTarget(name: "CKernelsTests", dependencies: ["CKernels"]),
        .testTarget(name: "WToolTests", dependencies: [
            "WTool", "FileSupport", "KerasFormat", "ModelIR", "NPY", "Runtime", "SWMFormat", "SafetensorsFormat", "_TestSupport",
        ]),
        .testTarget(name: "VerifyTests", dependencies: ["Verify", "ModelIR", "NPY", "Runtime"]),
    ]
)
