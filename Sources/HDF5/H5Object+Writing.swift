import CHDF5
import Foundation

/// The character set HDF5 records for a string attribute. h5py writes Python `str` as UTF-8 and
/// `bytes` as ASCII; Keras uses both, so a writer that wants Keras's exact encodings picks per attribute.
public enum H5CharacterSet: Sendable {
    case ascii
    case utf8

    var cset: H5T_cset_t { self == .utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII }
}

/// Element types the writer stores, always little-endian IEEE as h5py writes NumPy's `<f4`/`<f8`.
public enum H5FloatStorage: Sendable {
    case float32
    case float64
    /// Not a float: Keras's integer weights (Normalization's `count`), little-endian int64.
    case int64

    var fileType: hid_t {
        switch self {
        case .float32: chdf5_ieee_f32le()
        case .float64: chdf5_ieee_f64le()
        case .int64: chdf5_std_i64le()
        }
    }
    var byteSize: Int { self == .float32 ? 4 : 8 }
}

extension H5File {
    /// Creates (or truncates) an HDF5 file for writing, with modification times turned off so the
    /// same content always gives the same bytes.
    ///
    /// Callers that must not leave a partial file write to a temporary path and rename it after
    /// `close()` succeeds (FileSupport's `AtomicOutput` does both).
    /// - Throws: `HDF5Error` naming `path`.
    public static func create(path: String) throws -> H5File {
        try HDF5Library.initialize()
        let fcpl = H5PropertyList(try h5call("H5Pcreate", path: path) { H5Pcreate(chdf5_p_file_create()) })
        // A file creation list is a group creation list too: this covers the root group.
        try h5call("H5Pset_obj_track_times", path: path) { H5Pset_obj_track_times(fcpl.id, false) }
        let fid = try h5call("H5Fcreate", path: path) { H5Fcreate(path, chdf5_acc_trunc(), fcpl.id, chdf5_p_default()) }
        return try H5File(fileID: fid, name: path)
    }

    /// Creates an HDF5 file in memory (the core driver, no backing store): nothing on disk until
    /// the caller writes ``image()`` out. libhdf5 creates files by path and cannot write to an
    /// unnamed one, so this is how an `.h5` output gets no name until it is complete — at the cost
    /// of holding the file in memory (twice, while ``image()`` copies it).
    /// - Throws: `HDF5Error` naming `name`.
    public static func createInMemory(name: String) throws -> H5File {
        try HDF5Library.initialize()
        let fcpl = H5PropertyList(try h5call("H5Pcreate", path: name) { H5Pcreate(chdf5_p_file_create()) })
        try h5call("H5Pset_obj_track_times", path: name) { H5Pset_obj_track_times(fcpl.id, false) }
        let fapl = H5PropertyList(try h5call("H5Pcreate", path: name) { H5Pcreate(chdf5_p_file_access()) })
        try h5call("H5Pset_fapl_core", path: name) { H5Pset_fapl_core(fapl.id, 16 << 20, false) }
        let fid = try h5call("H5Fcreate", path: name) { H5Fcreate(name, chdf5_acc_trunc(), fcpl.id, fapl.id) }
        return try H5File(fileID: fid, name: name)
    }

    /// The bytes of a file made by ``createInMemory(name:)``, flushed: what the same writes to a
    /// file on disk would have left there.
    /// - Throws: `HDF5Error` when the flush or the copy fails.
    public func image() throws -> [UInt8] {
        try h5call("H5Fflush", path: name) { H5Fflush(handle.id, H5F_SCOPE_GLOBAL) }
        let size = try h5call("H5Fget_file_image", path: name) { H5Fget_file_image(handle.id, nil, 0) }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        _ = try bytes.withUnsafeMutableBytes { buffer in
            try h5call("H5Fget_file_image", path: name) { H5Fget_file_image(handle.id, buffer.baseAddress, buffer.count) }
        }
        return bytes
    }

    /// Flushes everything to the file and closes it, reporting any failure (the `deinit` of a
    /// handle cannot). Every group and dataset opened from this file must be released first.
    /// - Throws: `HDF5Error` when the flush or close fails or objects are still open.
    public func close() throws {
        try root.close("H5Gclose", path: name)
        let open = H5Fget_obj_count(handle.id, chdf5_obj_all())
        // The count includes the file itself.
        guard open <= 1 else {
            throw HDF5Error(operation: "closing file", detail: "\(open - 1) objects are still open", path: name)
        }
        try h5call("H5Fflush", path: name) { H5Fflush(handle.id, H5F_SCOPE_GLOBAL) }
        try handle.close("H5Fclose", path: name)
    }
}

extension H5Group {
    /// Creates a direct child group (no timestamps, so output is reproducible).
    /// - Throws: `HDF5Error` when the name exists or cannot be created.
    public func createGroup(_ name: String) throws -> H5Group {
        let path = childPath(name)
        let gcpl = H5PropertyList(try h5call("H5Pcreate", path: path) { H5Pcreate(chdf5_p_group_create()) })
        try h5call("H5Pset_obj_track_times", path: path) { H5Pset_obj_track_times(gcpl.id, false) }
        let gid = try h5call("H5Gcreate2", path: path) { H5Gcreate2(id, name, chdf5_p_default(), gcpl.id, chdf5_p_default()) }
        return H5Group(id: gid, path: path)
    }

    /// Opens the direct child group `name`, creating it when it does not exist.
    public func openOrCreateGroup(_ name: String) throws -> H5Group {
        try contains(name) ? try group(name) : try createGroup(name)
    }

    /// Creates a contiguous, uncompressed dataset at a `/`-separated path (intermediate groups are
    /// created, as h5py does for Keras's `layer/kernel:0` names) and writes `bytes` into it.
    ///
    /// - Parameters:
    ///   - shape: the dimensions; `[]` is a scalar.
    ///   - storage: the element type; `bytes` holds little-endian elements of that type.
    ///   - bytes: exactly `product(shape) × storage size` bytes, written as they are.
    /// - Throws: `HDF5Error` when the size does not match or libhdf5 fails.
    @discardableResult
    public func createDataset(_ name: String, storage: H5FloatStorage, shape: [Int], bytes: UnsafeRawBufferPointer) throws -> H5Dataset {
        var parts = name.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard let last = parts.popLast() else { throw HDF5Error(operation: "creating dataset", detail: "empty name", path: path) }
        var parent = self
        for part in parts { parent = try parent.openOrCreateGroup(part) }
        let path = parent.childPath(last)
        var count = 1
        for d in shape {
            let (p, o) = count.multipliedReportingOverflow(by: d)
            guard d >= 0, !o else { throw HDF5Error(operation: "creating dataset", detail: "bad shape \(shape)", path: path) }
            count = p
        }
        guard count.multipliedReportingOverflow(by: storage.byteSize) == (bytes.count, false) else {
            throw HDF5Error(operation: "creating dataset", detail: "\(bytes.count) bytes do not fill shape \(shape)", path: path)
        }
        let space = try H5Space.simple(shape, path: path)
        let dcpl = H5PropertyList(try h5call("H5Pcreate", path: path) { H5Pcreate(chdf5_p_dataset_create()) })
        try h5call("H5Pset_obj_track_times", path: path) { H5Pset_obj_track_times(dcpl.id, false) }
        let did = try h5call("H5Dcreate2", path: path) {
            H5Dcreate2(parent.id, last, storage.fileType, space.id, chdf5_p_default(), dcpl.id, chdf5_p_default())
        }
        let dataset = H5Dataset(id: did, path: path)
        if count > 0, let base = bytes.baseAddress {
            // Memory type = file type: the bytes are already little-endian IEEE (HDF5 converts on a
            // big-endian host).
            try h5call("H5Dwrite", path: path) {
                H5Dwrite(did, storage.fileType, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), base)
            }
        }
        return dataset
    }
}

extension H5Object {
    /// Writes a scalar variable-length string attribute, replacing one of the same name.
    public func writeStringAttribute(_ name: String, _ value: String, characterSet: H5CharacterSet) throws {
        try writeVariableStrings(name, [value], scalar: true, characterSet: characterSet)
    }

    /// Writes a 1-D variable-length string attribute (h5py's form for a list of `bytes` or `str`).
    public func writeStringsAttribute(_ name: String, _ values: [String], characterSet: H5CharacterSet) throws {
        try writeVariableStrings(name, values, scalar: false, characterSet: characterSet)
    }

    /// Writes a 1-D fixed-length ASCII string attribute, NUL-padded to `width` bytes: what h5py
    /// stores for a NumPy `S<width>` array (Keras's chunks of a long `layer_names`).
    public func writeFixedStringsAttribute(_ name: String, _ values: [String], width: Int) throws {
        let op = "writing attribute '\(name)'"
        guard width > 0, values.allSatisfy({ $0.utf8.count <= width }) else {
            throw HDF5Error(operation: op, detail: "a string is longer than the width \(width)", path: path)
        }
        var buffer = [UInt8](repeating: 0, count: width * values.count)
        for (i, value) in values.enumerated() {
            for (j, byte) in value.utf8.enumerated() { buffer[i * width + j] = byte }
        }
        let type = H5Type(try h5call("H5Tcopy", path: path) { H5Tcopy(chdf5_c_s1()) })
        try h5call("H5Tset_size", path: path) { H5Tset_size(type.id, width) }
        try h5call("H5Tset_strpad", path: path) { H5Tset_strpad(type.id, H5T_STR_NULLPAD) }
        let space = try H5Space.simple([values.count], path: path)
        let attribute = try createAttribute(name, type: type, space: space)
        try buffer.withUnsafeBytes { raw in
            _ = try h5call("H5Awrite", path: path) { H5Awrite(attribute.id, type.id, raw.baseAddress) }
        }
        try attribute.close("H5Aclose", path: path)
    }

    /// Writes a 1-D little-endian float64 attribute. Keras writes `np.asarray([])` — an empty
    /// float64 array — as the `weight_names` of a layer without weights.
    public func writeFloat64Attribute(_ name: String, _ values: [Double]) throws {
        let type = H5Type(try h5call("H5Tcopy", path: path) { H5Tcopy(chdf5_ieee_f64le()) })
        let space = try H5Space.simple([values.count], path: path)
        let attribute = try createAttribute(name, type: type, space: space)
        if !values.isEmpty {
            try values.withUnsafeBytes { raw in
                _ = try h5call("H5Awrite", path: path) { H5Awrite(attribute.id, chdf5_ieee_f64le(), raw.baseAddress) }
            }
        }
        try attribute.close("H5Aclose", path: path)
    }

    private func writeVariableStrings(_ name: String, _ values: [String], scalar: Bool, characterSet: H5CharacterSet) throws {
        let type = H5Type(try h5call("H5Tcopy", path: path) { H5Tcopy(chdf5_c_s1()) })
        try h5call("H5Tset_size", path: path) { H5Tset_size(type.id, chdf5_variable_size()) }
        try h5call("H5Tset_cset", path: path) { H5Tset_cset(type.id, characterSet.cset) }
        try h5call("H5Tset_strpad", path: path) { H5Tset_strpad(type.id, H5T_STR_NULLTERM) }
        let space = scalar ? H5Space(try h5call("H5Screate", path: path) { H5Screate(H5S_SCALAR) })
                           : try H5Space.simple([values.count], path: path)
        let attribute = try createAttribute(name, type: type, space: space)
        // libhdf5 reads `const char *` pointers; the copies live until the write returns.
        let pointers: [UnsafeMutablePointer<CChar>?] = values.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        guard !pointers.contains(where: { $0 == nil }) else {
            throw HDF5Error(operation: "writing attribute '\(name)'", detail: "out of memory", path: path)
        }
        if !values.isEmpty {
            try pointers.withUnsafeBytes { raw in
                _ = try h5call("H5Awrite", path: path) { H5Awrite(attribute.id, type.id, raw.baseAddress) }
            }
        }
        try attribute.close("H5Aclose", path: path)
    }

    private func createAttribute(_ name: String, type: H5Type, space: H5Space) throws -> H5Handle {
        if try hasAttribute(name) {
            try h5call("H5Adelete", path: path) { H5Adelete(id, name) }
        }
        let aid = try h5call("H5Acreate2", path: path) { H5Acreate2(id, name, type.id, space.id, chdf5_p_default(), chdf5_p_default()) }
        return H5Handle(id: aid, close: H5Aclose)
    }
}

extension H5Space {
    /// A simple dataspace of `dims` (a scalar dataspace when `dims` is empty).
    static func simple(_ dims: [Int], path: String) throws -> H5Space {
        if dims.isEmpty { return H5Space(try h5call("H5Screate", path: path) { H5Screate(H5S_SCALAR) }) }
        let sizes = dims.map { hsize_t($0) }
        return H5Space(try h5call("H5Screate_simple", path: path) { H5Screate_simple(Int32(sizes.count), sizes, nil) })
    }
}
