import Foundation

/// What a layer of a spec will hold, worked out from its options and input shape before
/// anything is allocated, so a spec asking for more memory than the machine has is an
/// error naming the layer, never a failed allocation.
struct LayerSize {
    /// Output shape, no batch axis.
    var output: [Int]
    /// Trainable and stored parameters (Double: a spec's product can pass Int's range).
    var parameters: Double
    /// Floats per sample held for the layer's outputs and gradients (its own and nested ones').
    var activations: Double
    /// The option that sets the size ("units", "filters"), for the message.
    var key: String? = nil

    /// Shape-preserving and without parameters (dropout, activation, ...).
    static func same(_ input: [Int]) -> LayerSize { LayerSize(output: input, parameters: 0, activations: 0) }

    /// `output` with `parameters`; activations: the output's size.
    static func make(_ output: [Int], parameters: Double, key: String? = nil) -> LayerSize {
        LayerSize(output: output, parameters: parameters, activations: count(output), key: key)
    }

    static func count(_ shape: [Int]) -> Double { shape.reduce(1) { $0 * Double($1) } }
}

/// A layer type's size rule: (its validated spec, its input shape) -> what it will hold.
typealias SizeRule = @Sendable (LayerSpec, [Int]) throws -> LayerSize

/// How much memory a model needs, checked against the limit before it is built.
public enum MemoryLimit {
    /// The memory a model may take, in bytes: the machine's, unless --max-memory sets another.
    nonisolated(unsafe) public static var bytes: Double = physicalMemory

    public static var physicalMemory: Double {
        Double(sysconf(Int32(_SC_PHYS_PAGES))) * Double(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// "8G", "512M", "64K" or a number of bytes; nil when it is none of these.
    public static func parse(_ text: String) -> Double? {
        let units: [Character: Double] = ["K": 1024, "M": 1_048_576, "G": 1_073_741_824, "T": 1_099_511_627_776]
        let upper = text.uppercased().replacingOccurrences(of: "B", with: "").replacingOccurrences(of: "I", with: "")
        let scale = upper.last.flatMap { units[$0] } ?? 1
        let number = scale == 1 ? upper : String(upper.dropLast())
        guard let value = Double(number), value.isFinite, value > 0 else { return nil }
        return value * scale
    }

    /// Bytes of a model of `layers` for `input` at `batch`: 4 bytes per float for every
    /// parameter (value, gradient and up to two optimizer slots) and per activation
    /// (output and gradient, with a third for a layer's own workspace) of a batch.
    /// Throws a SpecError at the layer that takes the most when that exceeds the limit.
    static func check(_ layers: [LayerSpec], input: [Int], batch: Int) throws {
        var shape = input
        var total = 4 * Double(batch) * LayerSize.count(input) * 2
        if total > bytes {
            throw SpecError(
                path: "model.input_shape",
                message: "a batch of \(batch) samples of shape \(input) needs about \(format(total)) of memory, more "
                    + "than the \(format(bytes)) allowed (--max-memory sets another limit)")
        }
        var largest: (bytes: Double, spec: LayerSpec, key: String?)?
        for spec in layers {
            // Shapes past the memory are refused before a size rule multiplies them as Ints.
            if 4 * LayerSize.count(shape) > bytes, largest != nil { break }
            let size = try LayerRegistry.size(spec, input: shape)
            let bytes = 4 * (4 * size.parameters + 3 * Double(batch) * size.activations)
            total += bytes
            if bytes > largest?.bytes ?? -1 { largest = (bytes, spec, size.key) }
            shape = size.output
        }
        guard total > bytes, let largest else { return }
        throw SpecError(
            path: largest.key.map { specPath(largest.spec.path, $0) } ?? largest.spec.path,
            message: "the model needs about \(format(total)) of memory (its weights with their gradients and "
                + "optimizer state, and a batch of \(batch)), more than the \(format(bytes)) allowed; make it smaller "
                + "(--max-memory sets another limit)")
    }

    static func format(_ bytes: Double) -> String {
        guard bytes.isFinite else { return "more bytes than a Double counts" }
        if bytes >= 1e15 { return String(format: "%.3g TB", bytes / 1e12) }
        for (unit, size) in [("TB", 1e12), ("GB", 1e9), ("MB", 1e6)] where bytes >= size {
            return String(format: "%.1f %@", bytes / size, unit)
        }
        return "\(Int(bytes)) bytes"
    }
}
