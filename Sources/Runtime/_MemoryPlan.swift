import ModelIR

/// Where every value lives for one set of input shapes and requested outputs.
///
/// Liveness-based reuse: values are assigned to *storages* (regions of one arena) that are recycled
/// once the last reader of their value has run, so a chain of layers needs about two activation
/// buffers, not one per layer. Views (Flatten, Reshape, Dropout) share their input's storage;
/// element-wise ops write over their first input when it dies at that step. Only the steps a
/// requested output depends on are planned and run.
struct _MemoryPlan {
    /// Step indices to run, in order.
    let steps: [Int]
    /// Concrete shape of every planned value (nil for values not needed).
    let shapes: [[Int]?]
    /// Float offset of every planned value in the arena (-1 for values not needed).
    let offsets: [Int]
    /// Floats of arena the plan needs.
    let arenaCount: Int
    /// Floats of per-kernel scratch (im2col chunks, separable intermediates), shared by all steps.
    let scratchCount: Int
    /// Floats all planned values would need without reuse (for reports).
    let unsharedCount: Int

    /// - Parameters:
    ///   - inputShapes: shapes of graph inputs by value id; every input a requested output depends
    ///     on must be present.
    ///   - outputs: value ids to keep alive to the end.
    /// - Throws: `RuntimeError.missingInput`, `.shapeMismatch`, `.tooLarge`.
    init(program: _Program, inputShapes: [Int: [Int]], outputs: [Int]) throws {
        let valueCount = program.valueNames.count
        var needed = [Bool](repeating: false, count: valueCount)
        for v in outputs { needed[v] = true }
        var runSteps: [Int] = []
        for (i, step) in program.steps.enumerated().reversed() where needed[step.output] {
            runSteps.append(i)
            for v in step.inputs { needed[v] = true }
        }
        runSteps.reverse()

        var shapes = [[Int]?](repeating: nil, count: valueCount)
        var counts = [Int](repeating: 0, count: valueCount)
        func record(_ v: Int, _ shape: [Int]) throws {
            guard let n = Shape.elementCount(shape), n <= Int.max / 64 else {
                throw RuntimeError.tooLarge(value: program.valueNames[v], shape: shape)
            }
            shapes[v] = shape
            counts[v] = n
        }
        for v in program.graphInputs where needed[v] {
            guard let shape = inputShapes[v] else { throw RuntimeError.missingInput(program.valueNames[v]) }
            try record(v, shape)
        }
        for i in runSteps {
            let step = program.steps[i]
            let inShapes = step.inputs.compactMap { shapes[$0] }
            let out: [Int]
            do {
                out = try ShapeInference.outputShape(of: step.node, inputs: inShapes, weights: step.weightShapes)
            } catch let e as ModelIRError {
                throw RuntimeError.shapeMismatch(e)
            }
            guard out.allSatisfy({ $0 >= 0 }) else {
                throw RuntimeError.shapeMismatch(.shapeMismatch(node: step.node.name, detail: "output shape \(out) is not fully known"))
            }
            try record(step.output, out)
        }

        // Position in `runSteps` of each value's last reader; requested outputs live to the end.
        let end = Int.max
        var lastUse = [Int](repeating: -1, count: valueCount)
        for (t, i) in runSteps.enumerated() {
            for v in program.steps[i].inputs { lastUse[v] = t }
        }
        for v in outputs { lastUse[v] = end }

        struct Storage { var capacity: Int; var lastUse: Int; var free: Bool }
        var storages: [Storage] = []
        var storageOf = [Int](repeating: -1, count: valueCount)
        func rounded(_ n: Int) -> Int { (n + 15) / 16 * 16 }  // 64-byte aligned offsets
        func allocate(_ count: Int, until last: Int) -> Int {
            let size = rounded(count)
            var best: Int? = nil, largest: Int? = nil
            for (s, st) in storages.enumerated() where st.free {
                if st.capacity >= size, best.map({ storages[$0].capacity > st.capacity }) ?? true { best = s }
                if largest.map({ storages[$0].capacity < st.capacity }) ?? true { largest = s }
            }
            let s: Int
            if let best { s = best } else if let largest { s = largest; storages[s].capacity = size } else {
                storages.append(Storage(capacity: size, lastUse: last, free: false))
                return storages.count - 1
            }
            storages[s].free = false
            storages[s].lastUse = last
            return s
        }
        for v in program.graphInputs where needed[v] {
            storageOf[v] = allocate(counts[v], until: lastUse[v])
        }
        for (t, i) in runSteps.enumerated() {
            let step = program.steps[i]
            let out = step.output
            if lastUse[out] < t { lastUse[out] = t }  // computed but unread: free right after
            let first = step.inputs.first.map { storageOf[$0] } ?? -1
            switch step.kernel.bufferUse {
            case .view where first >= 0:
                storageOf[out] = first
                storages[first].lastUse = max(storages[first].lastUse, lastUse[out])
            case .inPlace where first >= 0 && storages[first].lastUse == t && counts[step.inputs[0]] == counts[out]:
                storageOf[out] = first
                storages[first].lastUse = lastUse[out]
            default:
                storageOf[out] = allocate(counts[out], until: lastUse[out])
            }
            for s in Set(step.inputs.map { storageOf[$0] } + [storageOf[out]]) where storages[s].lastUse <= t {
                storages[s].free = true
            }
        }

        var storageOffset = [Int](repeating: 0, count: storages.count)
        var total = 0
        for (s, st) in storages.enumerated() {
            storageOffset[s] = total
            let (sum, overflow) = total.addingReportingOverflow(st.capacity)
            guard !overflow, sum <= Int.max / 64 else {
                throw RuntimeError.tooLarge(value: program.valueNames[storageOf.firstIndex(of: s) ?? 0], shape: [])
            }
            total = sum
        }
        var offsets = [Int](repeating: -1, count: valueCount)
        for v in 0..<valueCount where storageOf[v] >= 0 { offsets[v] = storageOffset[storageOf[v]] }

        var scratch = 0
        for i in runSteps {
            let step = program.steps[i]
            guard let out = shapes[step.output], counts[step.output] > 0 else { continue }
            scratch = max(scratch, step.kernel.scratchCount(inputShapes: step.inputs.compactMap { shapes[$0] }, outputShape: out))
        }

        self.steps = runSteps
        self.shapes = shapes
        self.offsets = offsets
        self.arenaCount = total
        self.scratchCount = scratch
        self.unsharedCount = zip(needed, counts).reduce(0) { $0 + ($1.0 ? rounded($1.1) : 0) }
    }
}
