import Foundation

/// An ONNX graph under construction: nodes in topological order, float and int64
/// initializers, and names unique within the graph.
///
/// Tensors are float32 throughout; shapes in comments are ONNX's, the batch axis first.
struct ONNXGraph {
    /// The default opset domain's version the nodes are written for (17...21).
    let opset: Int
    private(set) var nodes: [Onnx_NodeProto] = []
    private(set) var initializers: [Onnx_TensorProto] = []
    private var counter = 0

    init(opset: Int) { self.opset = opset }

    /// A name not used before, from `hint` ("dense" -> "dense_7").
    mutating func fresh(_ hint: String) -> String {
        counter += 1
        return "\(hint)_\(counter)"
    }

    /// A float initializer of `shape` (row-major `values`; shape [] is a scalar).
    mutating func constant(_ hint: String, _ values: [Float], shape: [Int]) -> String {
        precondition(values.count == shape.reduce(1, *), "\(hint): \(values.count) values for shape \(shape)")
        var t = Onnx_TensorProto()
        t.name = fresh(hint)
        t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        t.dims = shape.map(Int64.init)
        t.rawData = values.withUnsafeBufferPointer { Data(buffer: $0) }
        initializers.append(t)
        return t.name
    }

    /// A float scalar initializer.
    mutating func scalar(_ value: Float) -> String { constant("c", [value], shape: []) }

    /// An int64 initializer of shape (count) (axes, target shapes).
    mutating func int64s(_ hint: String, _ values: [Int]) -> String {
        var t = Onnx_TensorProto()
        t.name = fresh(hint)
        t.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        t.dims = [Int64(values.count)]
        t.int64Data = values.map(Int64.init)
        initializers.append(t)
        return t.name
    }

    /// Appends a node of `op` and returns its (single) output's name: `output` or a fresh one.
    @discardableResult
    mutating func node(
        _ op: String, _ inputs: [String], _ attributes: [Onnx_AttributeProto] = [], output: String? = nil
    ) -> String {
        node(op, inputs, attributes, outputs: [output ?? fresh(op.lowercased())])[0]
    }

    /// Appends a node of `op` with `outputs` ("" for an optional output left out); returns them.
    mutating func node(_ op: String, _ inputs: [String], _ attributes: [Onnx_AttributeProto], outputs: [String])
        -> [String]
    {
        var n = Onnx_NodeProto()
        n.opType = op
        n.name = fresh(op)
        n.input = inputs
        n.output = outputs
        n.attribute = attributes
        nodes.append(n)
        return outputs
    }

    /// ReduceMean, ReduceMax, ... over `axes`: an attribute before opset 18, an input since.
    mutating func reduce(_ op: String, _ x: String, axes: [Int], keepDims: Bool) -> String {
        let keep = ONNXAttribute.int("keepdims", keepDims ? 1 : 0)
        if opset >= 18 { return node(op, [x, int64s("axes", axes)], [keep]) }
        return node(op, [x], [ONNXAttribute.ints("axes", axes), keep])
    }

    /// x with its axes permuted (ONNX Transpose).
    mutating func transpose(_ x: String, _ perm: [Int]) -> String {
        node("Transpose", [x], [ONNXAttribute.ints("perm", perm)])
    }

    /// x reshaped to `shape` (0 keeps that axis's size, -1 infers it).
    mutating func reshape(_ x: String, _ shape: [Int]) -> String {
        node("Reshape", [x, int64s("shape", shape)])
    }
}

/// Node attributes.
enum ONNXAttribute {
    static func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .int
        a.i = Int64(value)
        return a
    }

    static func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .ints
        a.ints = values.map(Int64.init)
        return a
    }

    static func strings(_ name: String, _ values: [String]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .strings
        a.strings = values.map { Data($0.utf8) }
        return a
    }

    static func float(_ name: String, _ value: Float) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .float
        a.f = value
        return a
    }
}

/// A float tensor's type with a symbolic batch axis: ("batch", dims...).
func onnxValueInfo(_ name: String, batchOf dims: [Int]) -> Onnx_ValueInfoProto {
    var shape = Onnx_TensorShapeProto()
    var batch = Onnx_TensorShapeProto.Dimension()
    batch.dimParam = "batch"
    shape.dim =
        [batch]
        + dims.map {
            var d = Onnx_TensorShapeProto.Dimension()
            d.dimValue = Int64($0)
            return d
        }
    var tensor = Onnx_TypeProto.Tensor()
    tensor.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
    tensor.shape = shape
    var type = Onnx_TypeProto()
    type.tensorType = tensor
    var info = Onnx_ValueInfoProto()
    info.name = name
    info.type = type
    return info
}
