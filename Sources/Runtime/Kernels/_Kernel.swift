/// How a kernel's output may share memory with its first input; the memory planner decides.
enum _BufferUse {
    /// The output needs its own buffer.
    case fresh
    /// The output may be written over the first input when that input dies here (element-wise ops:
    /// element `i` of the output depends only on element `i` of the inputs).
    case inPlace
    /// The output *is* the first input reinterpreted (Flatten, Reshape, Dropout): no work at all.
    case view
}

/// Pointers and shapes for one kernel execution. Pointers are valid only during `run`.
struct _KernelArguments {
    var inputs: [UnsafePointer<Float>]
    var inputShapes: [[Int]]
    var output: UnsafeMutablePointer<Float>
    var outputShape: [Int]
    /// `scratchCount(…)` floats the kernel may use freely; not preserved between calls.
    var scratch: UnsafeMutablePointer<Float>
    var parallel: _Parallel
}

/// One prepared operation: weights converted and bound, attributes resolved as far as they can be
/// without knowing the input size.
protocol _Kernel: Sendable {
    var bufferUse: _BufferUse { get }
    /// The buffer use for these input shapes (a Transpose that moves only size-1 axes is a view).
    func bufferUse(inputShapes: [[Int]]) -> _BufferUse
    /// Floats of scratch memory `run` needs for these shapes.
    func scratchCount(inputShapes: [[Int]], outputShape: [Int]) -> Int
    func run(_ arguments: _KernelArguments)
}

extension _Kernel {
    var bufferUse: _BufferUse { .fresh }
    func bufferUse(inputShapes: [[Int]]) -> _BufferUse { bufferUse }
    func scratchCount(inputShapes: [[Int]], outputShape: [Int]) -> Int { 0 }
}
