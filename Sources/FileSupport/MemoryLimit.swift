#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The memory this process may use when a control group limits it: cgroup v2's `memory.max`
/// (`/sys/fs/cgroup/memory.max` from inside a container), nil when there is no limit ("max") or
/// no such file.
public enum MemoryLimit {
    public static func cgroupBytes(path: String = "/sys/fs/cgroup/memory.max") -> Int? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return parse(String(decoding: buffer[0..<count], as: UTF8.self))
    }

    /// `memory.max`'s text: a byte count, or "max" for none.
    public static func parse(_ text: String) -> Int? {
        let value = text.trimmingWhitespace
        guard value != "max", let bytes = Int(value), bytes > 0 else { return nil }
        return bytes
    }
}

private extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
