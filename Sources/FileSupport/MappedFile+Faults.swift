import CSystemShim
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A mapped file that another process truncates while wtool reads it makes the next access past
/// its new end raise SIGBUS, which would kill the process with no word and leave its temporary
/// files. `MappedFile` records each live mapping in a fixed table that a SIGBUS handler can search
/// without allocating or locking; the handler names the file in one line, removes the temporary
/// outputs in flight and exits with status 1.
enum _MappingTable {
    struct Slot {
        var start: UInt
        var end: UInt
        var path: UnsafeMutablePointer<CChar>?
    }

    static let capacity = 1024
    nonisolated(unsafe) static let slots: UnsafeMutablePointer<Slot> = {
        let slots = UnsafeMutablePointer<Slot>.allocate(capacity: capacity)
        slots.initialize(repeating: Slot(start: 0, end: 0, path: nil), count: capacity)
        return slots
    }()
    static let lock = NSLock()

    /// Records a mapping; returns its slot, or -1 when the table is full (the mapping works, a
    /// fault in it is reported without its name).
    static func add(_ bytes: UnsafeRawBufferPointer, path: String) -> Int {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return -1 }
        return lock.withLock {
            for i in 0..<capacity where slots[i].end == 0 {
                slots[i].path = strdup(path)
                slots[i].start = UInt(bitPattern: base)
                slots[i].end = UInt(bitPattern: base) + UInt(bytes.count)
                return i
            }
            return -1
        }
    }

    static func remove(_ slot: Int) {
        guard slot >= 0 else { return }
        lock.withLock {
            slots[slot].end = 0
            slots[slot].start = 0
            free(slots[slot].path)
            slots[slot].path = nil
        }
    }

    /// The path of the mapping holding `address` (signal handler: no locks, no allocation).
    static func path(containing address: UInt) -> UnsafeMutablePointer<CChar>? {
        for i in 0..<capacity {
            let slot = slots[i]
            if slot.end != 0, address >= slot.start, address < slot.end { return slot.path }
        }
        return nil
    }
}

/// Writes a C string to stderr from a signal handler.
private func _writeToStderr(_ text: UnsafePointer<CChar>) {
    _ = Glibc.write(2, text, strlen(text))
}

private let _faultHandler: @convention(c) (Int32, UnsafeMutablePointer<siginfo_t>?, UnsafeMutableRawPointer?) -> Void = { signal, info, _ in
    guard let info, let path = _MappingTable.path(containing: csystem_fault_address(info)) else {
        // Not a mapped file: the default action (a crash the parent or shell reports).
        Glibc.signal(signal, SIG_DFL)
        return
    }
    _writeToStderr("error: ")
    _writeToStderr(path)
    _writeToStderr(": the file shrank while it was being read (another process truncated or rewrote it in place)\n")
    TemporaryFiles.shared.removeAll()
    _exit(1)
}

extension MappedFile {
    /// Turns a SIGBUS in a mapped file (truncated by another process while mapped) into the line
    /// `error: <file>: the file shrank while it was being read …`, removes every temporary output
    /// in flight (`TemporaryFiles`) and exits with status 1. Any other SIGBUS keeps its default
    /// action. Call once, early, in a program (wtool's `main` does).
    public static func installTruncationHandler() {
        _ = _MappingTable.slots
        _ = csystem_install_siginfo_handler(SIGBUS, _faultHandler)
    }
}
