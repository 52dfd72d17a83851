import CHDF5

/// Owns one HDF5 identifier and closes it with the matching `H5*close` when released.
public class H5Handle {
    public let id: hid_t
    private let closeFunction: (hid_t) -> herr_t
    private var isOpen = true

    init(id: hid_t, close: @escaping (hid_t) -> herr_t) {
        self.id = id
        self.closeFunction = close
    }

    /// Closes the identifier now and reports a failure, which `deinit` cannot (a writer needs to
    /// know that its last metadata reached the file). Later calls do nothing.
    func close(_ operation: String, path: String? = nil) throws {
        guard isOpen else { return }
        isOpen = false
        try h5call(operation, path: path) { closeFunction(id) }
    }

    deinit { if isOpen { _ = closeFunction(id) } }
}

/// An HDF5 datatype handle (`H5Tclose`).
final class H5Type: H5Handle {
    init(_ id: hid_t) { super.init(id: id, close: H5Tclose) }
}

/// An HDF5 dataspace handle (`H5Sclose`).
final class H5Space: H5Handle {
    init(_ id: hid_t) { super.init(id: id, close: H5Sclose) }

    func dims() throws -> [Int] {
        let rank = try h5call("H5Sget_simple_extent_ndims") { H5Sget_simple_extent_ndims(id) }
        guard rank <= 32 else { throw HDF5Error(operation: "H5Sget_simple_extent_ndims", detail: "rank \(rank) is too large") }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        if rank > 0 { try h5call("H5Sget_simple_extent_dims") { H5Sget_simple_extent_dims(id, &dims, nil) } }
        var out: [Int] = []
        for d in dims {
            guard d <= UInt64(Int32.max) else { throw HDF5Error(operation: "H5Sget_simple_extent_dims", detail: "dimension \(d) is too large") }
            out.append(Int(d))
        }
        return out
    }
}

/// A property list handle (`H5Pclose`).
final class H5PropertyList: H5Handle {
    init(_ id: hid_t) { super.init(id: id, close: H5Pclose) }
}
