import Glibc

/// Writes every byte to `fd` at its current position, retrying short writes and EINTR: the one
/// write loop of `AtomicOutput` and `ResumableOutput`.
/// - Throws: ``FileError/system(path:operation:errno:)`` naming `path`.
func writeFully(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
    guard var base = bytes.baseAddress else { return }
    var remaining = bytes.count
    while remaining > 0 {
        let n = Glibc.write(fd, base, remaining)
        if n < 0 {
            if errno == EINTR { continue }
            throw FileError.system(path: path, operation: .write, errno: errno)
        }
        base += n
        remaining -= n
    }
}
