import ModelIR

/// Where every value lives for one set of input shapes (and values of small integer inputs) and
/// requested outputs.
///
/// Float32 values that fast kernels produce, with shapes known before running, live in one arena
/// with liveness-based reuse: storages are recycled once the last reader of their value has run,
/// so a chain of layers needs about two activation buffers, not one per layer. Views (Flatten,
/// Reshape, a Transpose of size-1 axes) share their input's storage; element-wise kernels write
/// over their first input when it dies at that step. Everything else — the evaluator's results
/// (any dtype), values whose shape depends on data — is an owned tensor made at run time. Only
/// the steps a requested output depends on are planned and run.
struct _MemoryPlan {
    enum Storage: Equatable {
        /// Float offset in the arena.
        case arena(Int)
        case owned
    }

    /// Step indices to run, in order.
    let steps: [Int]
    /// Shape of every needed value when known before running (nil otherwise).
    let shapes: [[Int]?]
    /// Storage of every needed value (nil for values not needed).
    let storage: [Storage?]
    /// Steps whose output is a view of their first input (nothing to run).
    let views: Set<Int>
    /// Position in `steps` after which each value is no longer read (Int.max for requested outputs).
    let lastUse: [Int]
    /// Floats of arena the plan needs.
    let arenaCount: Int
    /// Floats of per-kernel scratch (im2col chunks, separable intermediates), shared by all steps.
    let scratchCount: Int
    /// Floats the arena values would need without reuse (for reports).
    let unsharedCount: Int

    /// - Parameters:
    ///   - known: inference's results for the program's graph with these inputs.
    ///   - outputs: value ids to keep alive to the end.
    /// - Throws: `RuntimeError.missingInput`, `.tooLarge`.
    init(program: _Program, known: [String: Operand_], givenInputs: Set<Int>, outputs: [Int]) throws {
        let valueCount = program.valueNames.count
        var needed = [Bool](repeating: false, count: valueCount)
        for v in outputs { needed[v] = true }
        var runSteps: [Int] = []
        for (i, step) in program.steps.enumerated().reversed() where step.outputs.contains(where: { $0 >= 0 && needed[$0] }) {
            runSteps.append(i)
            for case .value(let v) in step.operands { needed[v] = true }
        }
        runSteps.reverse()
        for v in program.graphInputs where needed[v] && !givenInputs.contains(v) {
            throw RuntimeError.missingInput(program.valueNames[v])
        }

        var shapes = [[Int]?](repeating: nil, count: valueCount)
        var counts = [Int](repeating: 0, count: valueCount)
        for v in 0..<valueCount where needed[v] {
            guard let shape = known[program.valueNames[v]]?.type.concreteShape else { continue }
            guard let n = Shape.elementCount(shape), n <= Int.max / 64 else {
                throw RuntimeError.tooLarge(value: program.valueNames[v], shape: shape)
            }
            shapes[v] = shape
            counts[v] = n
        }

        // Position in `runSteps` of each value's last reader; requested outputs live to the end.
        let end = Int.max
        var lastUse = [Int](repeating: -1, count: valueCount)
        for (t, i) in runSteps.enumerated() {
            for case .value(let v) in program.steps[i].operands { lastUse[v] = t }
        }
        for v in outputs { lastUse[v] = end }

        struct Region { var capacity: Int; var lastUse: Int; var free: Bool }
        var regions: [Region] = []
        var regionOf = [Int](repeating: -1, count: valueCount)
        var storage = [Storage?](repeating: nil, count: valueCount)
        func allocate(_ count: Int, until last: Int) -> Int {
            let size = _FloatBuffer.alignedCount(count)
            var best: Int? = nil, largest: Int? = nil
            for (s, r) in regions.enumerated() where r.free {
                if r.capacity >= size, best.map({ regions[$0].capacity > r.capacity }) ?? true { best = s }
                if largest.map({ regions[$0].capacity < r.capacity }) ?? true { largest = s }
            }
            let s: Int
            if let best { s = best } else if let largest { s = largest; regions[s].capacity = size } else {
                regions.append(Region(capacity: size, lastUse: last, free: false))
                return regions.count - 1
            }
            regions[s].free = false
            regions[s].lastUse = last
            return s
        }
        for v in program.graphInputs where needed[v] {
            if program.valueTypes[v] == .float32, shapes[v] != nil {
                regionOf[v] = allocate(counts[v], until: lastUse[v])
            }
            storage[v] = .owned
        }
        var views = Set<Int>()
        for (t, i) in runSteps.enumerated() {
            let step = program.steps[i]
            for out in step.outputs where out >= 0 && lastUse[out] < t { lastUse[out] = t }  // unread: free right after
            guard case .kernel(let kernel) = step.work, let out = step.outputs.first, out >= 0, shapes[out] != nil,
                  step.inputs.allSatisfy({ shapes[$0] != nil }) else {
                for out in step.outputs where out >= 0 { storage[out] = .owned }
                continue
            }
            let first = step.inputs.first.map { regionOf[$0] } ?? -1
            switch kernel.bufferUse(inputShapes: step.inputs.compactMap { shapes[$0] }) {
            case .view:
                views.insert(i)
                regionOf[out] = first
                if first >= 0 { regions[first].lastUse = max(regions[first].lastUse, lastUse[out]) }
            case .inPlace where first >= 0 && regions[first].lastUse == t && counts[step.inputs[0]] == counts[out]:
                regionOf[out] = first
                regions[first].lastUse = lastUse[out]
            default:
                regionOf[out] = allocate(counts[out], until: lastUse[out])
            }
            storage[out] = regionOf[out] >= 0 ? .arena(0) : .owned
            for r in Set(step.inputs.map { regionOf[$0] } + [regionOf[out]]) where r >= 0 && regions[r].lastUse <= t {
                regions[r].free = true
            }
        }

        var regionOffset = [Int](repeating: 0, count: regions.count)
        var total = 0
        for (r, region) in regions.enumerated() {
            regionOffset[r] = total
            let (sum, overflow) = total.addingReportingOverflow(region.capacity)
            guard !overflow, sum <= Int.max / 64 else {
                throw RuntimeError.tooLarge(value: program.valueNames[regionOf.firstIndex(of: r) ?? 0], shape: [])
            }
            total = sum
        }
        for v in 0..<valueCount where regionOf[v] >= 0 { storage[v] = .arena(regionOffset[regionOf[v]]) }

        var scratch = 0
        for i in runSteps where !views.contains(i) {
            let step = program.steps[i]
            guard case .kernel(let kernel) = step.work, let out = step.outputs.first, out >= 0, let shape = shapes[out],
                  counts[out] > 0 else { continue }
            scratch = max(scratch, kernel.scratchCount(inputShapes: step.inputs.compactMap { shapes[$0] }, outputShape: shape))
        }

        self.steps = runSteps
        self.shapes = shapes
        self.storage = storage
        self.views = views
        self.lastUse = lastUse
        self.arenaCount = total
        self.scratchCount = scratch
        self.unsharedCount = (0..<valueCount).reduce(0) { $0 + (regionOf[$1] >= 0 ? _FloatBuffer.alignedCount(counts[$1]) : 0) }
    }
}
