import ModelIR

/// The parsed and fully validated header of a `.swm` file (schemas/swm.md §5).
///
/// `parse` takes the whole file's bytes and trusts none of them: every size is computed with
/// overflow checks and every range is checked against the buffer before it is read.
public struct SWMHeader: Sendable {
    public var majorVersion: Int
    public var minorVersion: Int
    public var tensors: [SWMTensorEntry]
    public var dataOffset: Int
    public var dataSize: Int
    /// Byte range of the graph section (CRC-32 then JSON) within the file.
    public var graphRange: Range<Int>
    /// Tensor index by name (names are unique: checked while parsing).
    public var index: [String: Int]

    public static func parse(_ file: UnsafeRawBufferPointer) throws -> SWMHeader {
        let fileSize = file.count
        guard fileSize >= SWMLayout.magic.count, file.prefix(SWMLayout.magic.count).elementsEqual(SWMLayout.magic) else {
            if fileSize < SWMLayout.magic.count, SWMLayout.magic.starts(with: file), fileSize > 0 {
                throw SWMError.truncated(detail: "file is \(fileSize) bytes, shorter than the magic")
            }
            throw SWMError.notSWM
        }
        guard fileSize >= SWMLayout.fixedHeaderSize else {
            throw SWMError.truncated(detail: "file is \(fileSize) bytes, shorter than the 64-byte header")
        }
        let major = Int(file.le(8, as: UInt16.self)), minor = Int(file.le(10, as: UInt16.self))
        let bom = file.le(12, as: UInt32.self)
        if bom == SWMLayout.byteOrderMark.byteSwapped { throw SWMError.bigEndian }
        guard major == Int(SWMLayout.majorVersion) else { throw SWMError.unsupportedVersion(major: major, minor: minor) }
        guard bom == SWMLayout.byteOrderMark else { throw SWMError.corruptHeader(detail: "bad byte-order mark") }
        let fixedCRC = file.le(60, as: UInt32.self)
        guard swmCRC32(UnsafeRawBufferPointer(rebasing: file[0..<60])) == fixedCRC else {
            throw SWMError.corruptHeader(detail: "fixed header checksum mismatch")
        }
        let headerSize64 = file.le(16, as: UInt64.self)
        let dataOffset64 = file.le(24, as: UInt64.self)
        let dataSize64 = file.le(32, as: UInt64.self)
        let tensorCount = Int(file.le(40, as: UInt32.self))
        let dimsCount = Int(file.le(44, as: UInt32.self))
        let stringsSize = Int(file.le(48, as: UInt32.self))
        let graphSize = Int(file.le(52, as: UInt32.self))
        let headerCRC = file.le(56, as: UInt32.self)

        guard tensorCount <= SWMLayout.maxTensorCount else {
            throw SWMError.corruptHeader(detail: "tensor count \(tensorCount) exceeds \(SWMLayout.maxTensorCount)")
        }
        // header_size = 64 + 48·tensors + 8·dims + strings + graph; each term is < 2^36, so no overflow in Int.
        let expectedHeader = SWMLayout.fixedHeaderSize + SWMLayout.entrySize * tensorCount + 8 * dimsCount + stringsSize + graphSize
        guard headerSize64 == UInt64(expectedHeader) else {
            throw SWMError.corruptHeader(detail: "header size \(headerSize64) does not match its sections (\(expectedHeader))")
        }
        guard expectedHeader <= SWMLayout.maxHeaderSize else {
            throw SWMError.corruptHeader(detail: "header of \(expectedHeader) bytes exceeds the \(SWMLayout.maxHeaderSize)-byte cap")
        }
        guard expectedHeader <= fileSize else {
            throw SWMError.truncated(detail: "header needs \(expectedHeader) bytes, file has \(fileSize)")
        }
        guard graphSize >= 6 else { throw SWMError.corruptHeader(detail: "graph section is empty") }
        let graphStart = expectedHeader - graphSize
        // The table, dims and strings are checked now; the graph JSON has its own CRC, checked
        // when the graph is decoded, so opening costs no more than the tensor table.
        guard swmCRC32(UnsafeRawBufferPointer(rebasing: file[SWMLayout.fixedHeaderSize..<graphStart])) == headerCRC else {
            throw SWMError.corruptHeader(detail: "header checksum mismatch")
        }
        guard dataOffset64 % UInt64(SWMLayout.pageSize) == 0, dataOffset64 >= UInt64(expectedHeader) else {
            throw SWMError.corruptHeader(detail: "data offset \(dataOffset64) is not a page multiple after the header")
        }
        guard dataOffset64 <= UInt64(fileSize) else {
            throw SWMError.truncated(detail: "data section starts at \(dataOffset64), file has \(fileSize) bytes")
        }
        let dataOffset = Int(dataOffset64)
        guard dataSize64 == UInt64(fileSize - dataOffset) else {
            if dataSize64 > UInt64(fileSize - dataOffset) {
                throw SWMError.truncated(detail: "data section needs \(dataSize64) bytes, \(fileSize - dataOffset) present")
            }
            throw SWMError.corruptHeader(detail: "\(UInt64(fileSize - dataOffset) - dataSize64) trailing bytes after the data section")
        }
        let dataSize = Int(dataSize64)

        let tableStart = SWMLayout.fixedHeaderSize
        let dimsStart = tableStart + SWMLayout.entrySize * tensorCount
        let stringsStart = dimsStart + 8 * dimsCount

        var entries: [SWMTensorEntry] = []
        entries.reserveCapacity(tensorCount)
        for i in 0..<tensorCount {
            let e = tableStart + i * SWMLayout.entrySize
            let offset = file.le(e, as: UInt64.self)
            let length = file.le(e + 8, as: UInt64.self)
            let nameOffset = Int(file.le(e + 16, as: UInt32.self))
            let nameLength = Int(file.le(e + 20, as: UInt32.self))
            let dimsIndex = Int(file.le(e + 24, as: UInt32.self))
            let rank = Int(file[e + 28])
            let dtypeCode = file[e + 29]
            let layoutCode = file[e + 30]
            let flags = file[e + 31]
            let crc = file.le(e + 32, as: UInt32.self)
            let label = "#\(i)"
            guard nameLength > 0, nameLength <= SWMLayout.maxNameLength, nameOffset + nameLength <= stringsSize else {
                throw SWMError.invalidTensor(name: label, detail: "name range \(nameOffset)+\(nameLength) is outside the string table")
            }
            let nameBytes = UnsafeRawBufferPointer(rebasing: file[(stringsStart + nameOffset)..<(stringsStart + nameOffset + nameLength)])
            guard let name = String(validating: nameBytes, as: UTF8.self) else {
                throw SWMError.invalidTensor(name: label, detail: "name is not valid UTF-8")
            }
            guard let dtype = DType(rawValue: dtypeCode) else {
                throw SWMError.invalidTensor(name: name, detail: "unknown dtype code \(dtypeCode)")
            }
            guard let layout = Layout(rawValue: layoutCode) else {
                throw SWMError.invalidTensor(name: name, detail: "unknown layout code \(layoutCode)")
            }
            guard flags & ~1 == 0, file.le(e + 36, as: UInt32.self) == 0, file.le(e + 40, as: UInt64.self) == 0 else {
                throw SWMError.invalidTensor(name: name, detail: "reserved bits are set")
            }
            guard rank <= SWMLayout.maxRank, dimsIndex <= dimsCount, rank <= dimsCount - dimsIndex else {
                throw SWMError.invalidTensor(name: name, detail: "rank \(rank) at dims index \(dimsIndex) is outside the dims table (\(dimsCount))")
            }
            var shape: [Int] = []
            var elements: UInt64 = 1
            for d in 0..<rank {
                let dim = file.le(dimsStart + 8 * (dimsIndex + d), as: UInt64.self)
                guard dim < SWMLayout.maxDim else { throw SWMError.invalidTensor(name: name, detail: "dimension \(dim) is too large") }
                let (p, o) = elements.multipliedReportingOverflow(by: dim)
                guard !o else { throw SWMError.invalidTensor(name: name, detail: "element count overflows") }
                elements = p
                shape.append(Int(dim))
            }
            let (bytes, o) = elements.multipliedReportingOverflow(by: UInt64(dtype.byteSize))
            guard !o, bytes == length else {
                throw SWMError.invalidTensor(name: name, detail: "byte length \(length) does not equal \(elements) elements × \(dtype.byteSize) bytes")
            }
            guard offset % UInt64(SWMLayout.tensorAlignment) == 0 else {
                throw SWMError.invalidTensor(name: name, detail: "data offset \(offset) is not 64-byte aligned")
            }
            guard offset <= UInt64(dataSize), length <= UInt64(dataSize) - offset else {
                throw SWMError.invalidTensor(name: name, detail: "bytes \(offset)..<\(offset &+ length) lie outside the \(dataSize)-byte data section")
            }
            entries.append(SWMTensorEntry(name: name, dtype: dtype, shape: shape, layout: layout, trainable: flags & 1 == 1,
                                          crc32: crc, fileOffset: dataOffset + Int(offset), byteLength: Int(length)))
        }
        var index: [String: Int] = [:]
        index.reserveCapacity(entries.count)
        for (i, entry) in entries.enumerated() where index.updateValue(i, forKey: entry.name) != nil {
            throw SWMError.invalidTensor(name: entry.name, detail: "duplicate name")
        }
        let sorted = entries.filter { $0.byteLength > 0 }.sorted { $0.fileOffset < $1.fileOffset }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.fileOffset + a.byteLength > b.fileOffset {
            throw SWMError.invalidTensor(name: b.name, detail: "its bytes overlap tensor '\(a.name)'")
        }
        return SWMHeader(majorVersion: major, minorVersion: minor, tensors: entries, dataOffset: dataOffset, dataSize: dataSize,
                         graphRange: graphStart..<(graphStart + graphSize), index: index)
    }
}
