import Foundation
import ImageIO
import ModelIR
import NPY
import Runtime

/// The transfer-learning fast path: run a conv base once over an image dataset laid out for
/// Keras's `flow_from_directory` (one subfolder per class) and stream the features and labels
/// to `.npy` files, in Keras's order.
public struct FeatureExtraction {
    /// Keras's `class_mode`.
    public enum ClassMode: String, Sendable, CaseIterable {
        /// Class index as float32, shape (N,).
        case binary
        /// One-hot float32, shape (N, classes).
        case categorical
        /// Class index as float32, shape (N,) (Keras yields float32 for sparse too).
        case sparse
    }

    /// One image of the dataset.
    public struct Item: Sendable, Equatable {
        /// Path relative to the dataset folder, `class/…/file.jpg`, as Keras's `filenames`.
        public var relativePath: String
        /// Index of its class in the sorted class-folder names (Keras's `class_indices`).
        public var classIndex: Int
    }

    /// Extensions `flow_from_directory` accepts (Keras's `white_list_formats`); wtool decodes JPEG
    /// and PNG, so other listed formats fail like any unreadable image (see `--on-error`).
    public static let extensions: Set<String> = ["png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff"]

    /// The dataset as Keras lists it: classes are the sorted subfolder names; within a class, files
    /// of every subfolder, folders walked in sorted order and files sorted by name.
    public static func listDataset(_ directory: String) throws -> (classes: [String], items: [Item]) {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw WToolError.unreadable(path: directory, detail: "not a folder")
        }
        let classes = try fm.contentsOfDirectory(atPath: directory).filter { name in
            var d: ObjCBool = false
            return fm.fileExists(atPath: (directory as NSString).appendingPathComponent(name), isDirectory: &d) && d.boolValue
        }.sorted()
        guard !classes.isEmpty else { throw WToolError.invalid(path: directory, detail: "no class subfolders (flow_from_directory layout)") }
        var items: [Item] = []
        for (index, cls) in classes.enumerated() {
            let root = (directory as NSString).appendingPathComponent(cls)
            // os.walk order, sorted by folder path, files sorted within each folder.
            var folders: [String] = [""]
            var all: [String] = []
            while let folder = folders.popLast() {
                all.append(folder)
                let full = (root as NSString).appendingPathComponent(folder)
                for name in (try? fm.contentsOfDirectory(atPath: full)) ?? [] {
                    var d: ObjCBool = false
                    let rel = folder.isEmpty ? name : folder + "/" + name
                    if fm.fileExists(atPath: (root as NSString).appendingPathComponent(rel), isDirectory: &d), d.boolValue { folders.append(rel) }
                }
            }
            for folder in all.sorted() {
                let full = (root as NSString).appendingPathComponent(folder)
                let files = ((try? fm.contentsOfDirectory(atPath: full)) ?? []).sorted().filter { name in
                    var d: ObjCBool = false
                    let path = (full as NSString).appendingPathComponent(name)
                    return extensions.contains((name as NSString).pathExtension.lowercased())
                        && fm.fileExists(atPath: path, isDirectory: &d) && !d.boolValue
                }
                for file in files {
                    items.append(Item(relativePath: ([cls] + (folder.isEmpty ? [] : [folder]) + [file]).joined(separator: "/"), classIndex: index))
                }
            }
        }
        return (classes, items)
    }

    /// The label row of an item.
    public static func label(_ item: Item, mode: ClassMode, classCount: Int) -> [Float] {
        switch mode {
        case .binary, .sparse: [Float(item.classIndex)]
        case .categorical: (0..<classCount).map { $0 == item.classIndex ? 1 : 0 }
        }
    }
}
