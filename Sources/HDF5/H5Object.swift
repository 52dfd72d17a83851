import CHDF5
import Foundation

/// What a dataset's elements are, as stored in the file.
public enum H5ElementType: Equatable, Sendable, CustomStringConvertible {
    case float(bytes: Int)
    case integer(bytes: Int, signed: Bool)
    case string
    case other(String)

    public var description: String {
        switch self {
        case .float(let b): "float\(b * 8)"
        case .integer(let b, let s): "\(s ? "int" : "uint")\(b * 8)"
        case .string: "string"
        case .other(let s): s
        }
    }
}

/// A group, dataset or file: anything that carries attributes.
public class H5Object: H5Handle {
    /// Absolute path inside the file, for messages.
    public let path: String

    init(id: hid_t, path: String, close: @escaping (hid_t) -> herr_t) {
        self.path = path
        super.init(id: id, close: close)
    }

    public func hasAttribute(_ name: String) throws -> Bool {
        try h5call("H5Aexists", path: path) { H5Aexists(id, name) } > 0
    }

    /// Reads a string or list-of-strings attribute, whatever its encoding: variable- or
    /// fixed-length, ASCII or UTF-8, scalar or 1-D. An empty numeric array (what Keras writes for
    /// a weightless layer's `weight_names`) reads as `[]`.
    public func stringsAttribute(_ name: String) throws -> [String] {
        let op = "reading attribute '\(name)'"
        let attr = H5Handle(id: try h5call("H5Aopen", path: path) { H5Aopen(id, name, chdf5_p_default()) }, close: H5Aclose)
        let fileType = H5Type(try h5call("H5Aget_type", path: path) { H5Aget_type(attr.id) })
        let space = H5Space(try h5call("H5Aget_space", path: path) { H5Aget_space(attr.id) })
        let dims = try space.dims()
        guard dims.count <= 1 else { throw HDF5Error(operation: op, detail: "expected a scalar or 1-D attribute, got rank \(dims.count)", path: path) }
        let count = dims.first ?? 1
        guard count <= 1 << 24 else { throw HDF5Error(operation: op, detail: "\(count) elements is too many", path: path) }
        let typeClass = H5Tget_class(fileType.id)
        if typeClass != H5T_STRING {
            if count == 0 { return [] }
            throw HDF5Error(operation: op, detail: "expected strings, found a non-string attribute", path: path)
        }
        if count == 0 { return [] }
        let isVariable = try h5call("H5Tis_variable_str", path: path) { H5Tis_variable_str(fileType.id) } > 0
        if isVariable {
            let memType = H5Type(try h5call("H5Tcopy", path: path) { H5Tcopy(chdf5_c_s1()) })
            try h5call("H5Tset_size", path: path) { H5Tset_size(memType.id, chdf5_variable_size()) }
            try h5call("H5Tset_cset", path: path) { H5Tset_cset(memType.id, H5Tget_cset(fileType.id)) }
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            try h5call("H5Aread", path: path) { H5Aread(attr.id, memType.id, &pointers) }
            defer { for p in pointers where p != nil { H5free_memory(p) } }
            return pointers.map { p in p.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: strlen($0)), as: UTF8.self) } ?? "" }
        }
        let size = H5Tget_size(fileType.id)
        guard size > 0, size <= 1 << 20 else { throw HDF5Error(operation: op, detail: "string size \(size) is out of range", path: path) }
        let (total, overflow) = size.multipliedReportingOverflow(by: count)
        guard !overflow, total <= 1 << 28 else { throw HDF5Error(operation: op, detail: "attribute is too large", path: path) }
        let memType = H5Type(try h5call("H5Tcopy", path: path) { H5Tcopy(fileType.id) })
        var buffer = [UInt8](repeating: 0, count: total)
        try h5call("H5Aread", path: path) { H5Aread(attr.id, memType.id, &buffer) }
        let spacePadded = H5Tget_strpad(fileType.id) == H5T_STR_SPACEPAD
        return (0..<count).map { i in
            var bytes = buffer[(i * size)..<((i + 1) * size)]
            if let nul = bytes.firstIndex(of: 0) { bytes = bytes[..<nul] }
            var s = String(decoding: bytes, as: UTF8.self)
            if spacePadded { while s.hasSuffix(" ") { s.removeLast() } }
            return s
        }
    }

    /// Reads a scalar string attribute (see `stringsAttribute`).
    public func stringAttribute(_ name: String) throws -> String {
        let values = try stringsAttribute(name)
        guard values.count == 1 else {
            throw HDF5Error(operation: "reading attribute '\(name)'", detail: "expected one string, found \(values.count)", path: path)
        }
        return values[0]
    }

    /// Keras's long-list convention: `name` itself, or the chunks `name0`, `name1`, … concatenated
    /// (`save_attributes_to_hdf5_group` splits lists that exceed the 64 KiB object-header limit).
    /// Returns nil when neither exists.
    public func chunkedStringsAttribute(_ name: String) throws -> [String]? {
        if try hasAttribute(name) { return try stringsAttribute(name) }
        var out: [String] = []
        var index = 0
        while try hasAttribute("\(name)\(index)") {
            out += try stringsAttribute("\(name)\(index)")
            index += 1
        }
        return index == 0 ? nil : out
    }
}

/// A group (or a file's root group).
public final class H5Group: H5Object {
    public enum ChildKind: Equatable, Sendable {
        case group
        case dataset
        /// A soft or external link, or anything but a hard link to a group or dataset.
        case unsupported(String)
    }

    init(id: hid_t, path: String) { super.init(id: id, path: path, close: H5Gclose) }

    /// Names of the direct children, in HDF5's name order.
    public func childNames() throws -> [String] {
        var info = H5G_info_t()
        try h5call("H5Gget_info", path: path) { H5Gget_info(id, &info) }
        guard info.nlinks <= 1 << 20 else { throw HDF5Error(operation: "H5Gget_info", detail: "\(info.nlinks) links is too many", path: path) }
        var names: [String] = []
        for i in 0..<info.nlinks {
            let length = try h5call("H5Lget_name_by_idx", path: path) {
                H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, chdf5_p_default())
            }
            guard length < 1 << 16 else { throw HDF5Error(operation: "H5Lget_name_by_idx", detail: "name too long", path: path) }
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            try h5call("H5Lget_name_by_idx", path: path) {
                H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buffer, buffer.count, chdf5_p_default())
            }
            names.append(String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return names
    }

    /// Whether a direct child or a `/`-separated path exists (hard links only; a soft or external
    /// link anywhere on the path counts as absent and is refused by `group`/`dataset`).
    public func contains(_ name: String) throws -> Bool {
        var current = self
        let parts = name.split(separator: "/").map(String.init)
        for (i, part) in parts.enumerated() {
            guard chdf5_link_type(current.id, part) >= 0 else { return false }
            if i == parts.count - 1 { return try current.kind(of: part) != .unsupported("missing") }
            guard try current.kind(of: part) == .group else { return false }
            current = try current.group(part)
        }
        return true
    }

    /// What the direct child `name` is. Soft and external links are reported, never followed.
    public func kind(of name: String) throws -> ChildKind {
        let child = try openChild(name)
        if let object = child.id { H5Oclose(object) }
        return child.kind
    }

    /// Opens the direct child `name` once: what it is and, for a group or a dataset, its open
    /// identifier, which the caller owns (`H5Gclose`/`H5Dclose` close what `H5Oopen` opened).
    /// Opening it to learn its kind and again as a group or dataset read its object header
    /// twice. Soft and external links are reported, never followed.
    private func openChild(_ name: String) throws -> (kind: ChildKind, id: hid_t?) {
        let linkType = chdf5_link_type(id, name)
        if linkType < 0 { return (.unsupported("missing"), nil) }
        if linkType != Int32(H5L_TYPE_HARD.rawValue) {
            return (.unsupported(linkType == Int32(H5L_TYPE_SOFT.rawValue) ? "soft link" : "external link"), nil)
        }
        let object = try h5call("H5Oopen", path: childPath(name)) { H5Oopen(id, name, chdf5_p_default()) }
        switch H5Iget_type(object) {
        case H5I_GROUP: return (.group, object)
        case H5I_DATASET: return (.dataset, object)
        default:
            H5Oclose(object)
            return (.unsupported("named datatype"), nil)
        }
    }

    func childPath(_ name: String) -> String { path == "/" ? "/" + name : path + "/" + name }

    /// Opens a child group, following `/`-separated paths one hard link at a time.
    public func group(_ name: String) throws -> H5Group {
        let parts = name.split(separator: "/").map(String.init)
        guard parts.count == 1 else {
            var g = self
            for part in parts { g = try g.group(part) }
            return g
        }
        let child = try openChild(name)
        guard child.kind == .group, let gid = child.id else {
            if let object = child.id { H5Oclose(object) }
            throw HDF5Error(operation: "opening group", detail: describe(child.kind, expected: "a group"), path: childPath(name))
        }
        return H5Group(id: gid, path: childPath(name))
    }

    /// Opens a dataset by a `/`-separated path, one hard link at a time.
    public func dataset(_ name: String) throws -> H5Dataset {
        var parts = name.split(separator: "/").map(String.init)
        guard let last = parts.popLast() else { throw HDF5Error(operation: "opening dataset", detail: "empty name", path: path) }
        var g = self
        for part in parts { g = try g.group(part) }
        let child = try g.openChild(last)
        guard child.kind == .dataset, let did = child.id else {
            if let object = child.id { H5Oclose(object) }
            throw HDF5Error(operation: "opening dataset", detail: describe(child.kind, expected: "a dataset"), path: g.childPath(last))
        }
        return H5Dataset(id: did, path: g.childPath(last))
    }

    private func describe(_ kind: ChildKind, expected: String) -> String {
        switch kind {
        case .group: "is a group, expected \(expected)"
        case .dataset: "is a dataset, expected \(expected)"
        case .unsupported("missing"): "does not exist"
        case .unsupported(let what): "is a \(what), which wtool refuses to follow (expected \(expected))"
        }
    }
}
