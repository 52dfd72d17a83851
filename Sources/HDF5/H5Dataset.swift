import CHDF5

/// A dataset: shape, element type, and its bytes read without conversion.
public final class H5Dataset: H5Object {
    init(id: hid_t, path: String) { super.init(id: id, path: path, close: H5Dclose) }

    /// The logical shape (rank ≤ 32, each dimension < 2³¹).
    public func shape() throws -> [Int] {
        try H5Space(try h5call("H5Dget_space", path: path) { H5Dget_space(id) }).dims()
    }

    public func elementType() throws -> H5ElementType {
        elementType(of: H5Type(try h5call("H5Dget_type", path: path) { H5Dget_type(id) }))
    }

    private func elementType(of type: H5Type) -> H5ElementType {
        let size = H5Tget_size(type.id)
        switch H5Tget_class(type.id) {
        case H5T_FLOAT: return .float(bytes: size)
        case H5T_INTEGER: return .integer(bytes: size, signed: H5Tget_sign(type.id) == H5T_SGN_2)
        case H5T_STRING: return .string
        default: return .other("class \(H5Tget_class(type.id).rawValue)")
        }
    }

    /// Refuses storage that Keras never writes and that can reach outside the file: external raw
    /// data files and virtual datasets (Keras 3's `safe_get_h5_dataset` refuses them too).
    public func checkSelfContained() throws {
        try checkSelfContained(creation: H5PropertyList(try h5call("H5Dget_create_plist", path: path) { H5Dget_create_plist(id) }))
    }

    private func checkSelfContained(creation dcpl: H5PropertyList) throws {
        let external = try h5call("H5Pget_external_count", path: path) { H5Pget_external_count(dcpl.id) }
        if external > 0 {
            throw HDF5Error(operation: "reading dataset", detail: "it stores its data in an external file, which wtool refuses", path: path)
        }
        if H5Pget_layout(dcpl.id) == H5D_VIRTUAL {
            throw HDF5Error(operation: "reading dataset", detail: "it is a virtual dataset, which wtool refuses", path: path)
        }
    }

    /// Where the dataset's bytes lie in the file, when they can be used in place: contiguous
    /// layout, no filters, little-endian fixed-width numbers, allocated storage exactly as large as
    /// the logical size. Nil otherwise (then use `readLittleEndianBytes`). The caller must still
    /// check the range against the file's size: the numbers come from the file.
    public func contiguousStorage() throws -> (type: H5ElementType, shape: [Int], offset: Int, length: Int)? {
        let dcpl = H5PropertyList(try h5call("H5Dget_create_plist", path: path) { H5Dget_create_plist(id) })
        try checkSelfContained(creation: dcpl)
        guard H5Pget_layout(dcpl.id) == H5D_CONTIGUOUS, H5Pget_nfilters(dcpl.id) == 0 else { return nil }
        let fileType = H5Type(try h5call("H5Dget_type", path: path) { H5Dget_type(id) })
        let type = elementType(of: fileType)
        switch type {
        case .float(let b) where [2, 4, 8].contains(b), .integer(let b, _) where [1, 2, 4, 8].contains(b):
            guard b == 1 || H5Tget_order(fileType.id) == H5T_ORDER_LE else { return nil }
        default:
            return nil
        }
        let shape = try shape()
        var count = 1
        for d in shape {
            let (p, o) = count.multipliedReportingOverflow(by: d)
            guard !o else { return nil }
            count = p
        }
        let (length, overflow) = count.multipliedReportingOverflow(by: H5Tget_size(fileType.id))
        guard !overflow, length > 0 else { return nil }
        let offset = H5Dget_offset(id)
        guard offset != haddr_t.max, offset < UInt64(Int.max), H5Dget_storage_size(id) == UInt64(length) else { return nil }
        return (type, shape, Int(offset), length)
    }

    /// Reads every element as little-endian bytes of the stored width (float16/32/64, integers),
    /// bit for bit, converting only the byte order if the file is big-endian.
    /// - Parameter maxBytes: refuse datasets larger than this.
    public func readLittleEndianBytes(maxBytes: Int = 1 << 33) throws -> (type: H5ElementType, shape: [Int], bytes: [UInt8]) {
        try checkSelfContained()
        let shape = try shape()
        let type = try elementType()
        let elementSize: Int
        let memType: H5Type
        let fileType = H5Type(try h5call("H5Dget_type", path: path) { H5Dget_type(id) })
        switch type {
        case .float(let b) where [2, 4, 8].contains(b), .integer(let b, _) where [1, 2, 4, 8].contains(b):
            elementSize = H5Tget_size(fileType.id)
            memType = H5Type(try h5call("H5Tcopy", path: path) { H5Tcopy(fileType.id) })
            try h5call("H5Tset_order", path: path) { H5Tset_order(memType.id, H5T_ORDER_LE) }
        default:
            throw HDF5Error(operation: "reading dataset", detail: "unsupported element type \(type)", path: path)
        }
        var count = 1
        for d in shape {
            let (p, o) = count.multipliedReportingOverflow(by: d)
            guard !o else { throw HDF5Error(operation: "reading dataset", detail: "shape \(shape) overflows", path: path) }
            count = p
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: elementSize)
        guard !overflow, byteCount <= maxBytes else {
            throw HDF5Error(operation: "reading dataset", detail: "shape \(shape) is too large", path: path)
        }
        var bytes = [UInt8](repeating: 0, count: byteCount)
        if byteCount > 0 {
            try bytes.withUnsafeMutableBytes { buffer in
                _ = try h5call("H5Dread", path: path) {
                    H5Dread(id, memType.id, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), buffer.baseAddress)
                }
            }
        }
        return (type, shape, bytes)
    }
}

/// An open HDF5 file; its root group is `root`.
public final class H5File {
    let handle: H5Handle
    public let root: H5Group
    /// The path the file was opened from (or the name given to an in-memory image).
    public let name: String

    init(fileID: hid_t, name: String) throws {
        self.handle = H5Handle(id: fileID, close: H5Fclose)
        self.name = name
        let rootID = try h5call("H5Gopen2") { H5Gopen2(fileID, "/", chdf5_p_default()) }
        self.root = H5Group(id: rootID, path: "/")
    }

    /// Opens a file read-only.
    public static func open(path: String) throws -> H5File {
        try HDF5Library.initialize()
        guard try h5call("H5Fis_hdf5", { H5Fis_hdf5(path) }) > 0 else {
            throw HDF5Error(operation: "opening file", detail: "not an HDF5 file")
        }
        let fid = try h5call("H5Fopen") { H5Fopen(path, chdf5_acc_rdonly(), chdf5_p_default()) }
        return try H5File(fileID: fid, name: path)
    }

    /// Opens an HDF5 file image held in memory (the `model.weights.h5` inside a `.keras` zip),
    /// through the core driver; the bytes are copied once by libhdf5.
    public static func open(image: UnsafeRawBufferPointer, name: String) throws -> H5File {
        try HDF5Library.initialize()
        guard image.count >= 8, image.starts(with: [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]) else {
            throw HDF5Error(operation: "opening file", detail: "not an HDF5 file")
        }
        let fapl = H5PropertyList(try h5call("H5Pcreate") { H5Pcreate(chdf5_p_file_access()) })
        try h5call("H5Pset_fapl_core") { H5Pset_fapl_core(fapl.id, 1 << 20, false) }
        try h5call("H5Pset_file_image") { H5Pset_file_image(fapl.id, UnsafeMutableRawPointer(mutating: image.baseAddress), image.count) }
        let fid = try h5call("H5Fopen") { H5Fopen(name, chdf5_acc_rdonly(), fapl.id) }
        return try H5File(fileID: fid, name: name)
    }
}
