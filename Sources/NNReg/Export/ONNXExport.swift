import Foundation
import SwiftProtobuf

/// A model the ONNX export cannot write as the same computation: the layer or option it
/// names is not supported (yet). Exit status 2: the user picks another model or format.
public struct ONNXExportError: Error, CustomStringConvertible, UserError {
    public let description: String
    init(_ message: String) { description = "nnreg export: " + message }

    /// "layer model.layers[2] (lstm) is not supported by the ONNX export yet".
    static func unsupported(_ path: String, _ kind: String, _ detail: String = "") -> ONNXExportError {
        ONNXExportError(
            "layer \(path) (\(kind))\(detail.isEmpty ? "" : " with " + detail) is not supported by the ONNX export yet")
    }
}

/// The inference graph of a trained model as an ONNX model (`nnreg export --format onnx`).
///
/// Graph: input "input": (batch, input_shape...), raw values as predict reads them (CSV
/// columns, pixels (H, W, C), or a series' window of rows); then the model's rescale,
/// normalization and the augmentation's standardization (ONNXPreprocess), each member's
/// layers (training-only layers left out), the output activation, the members' mean, and
/// for a series the forecast in target units; output "probabilities" (classifiers) or
/// "values": (batch, outputs...).
public enum ONNXExport {
    public static let defaultOpset = 17
    public static let opsets = 17...21

    /// The serialized ModelProto of `saved`, for opset `opset` of the default domain.
    public static func export(_ saved: SavedModel, opset: Int = defaultOpset) throws -> Data {
        guard opsets.contains(opset) else {
            throw ONNXExportError("--opset \(opset) is not supported; use \(opsets.lowerBound)...\(opsets.upperBound)")
        }
        if let scaler = saved.sequenceScaler {
            // The scaling the graph reproduces: Normalizer's on the windows (tiled statistics)
            // and `unscaleTarget` on the output; any other (a newer scaler's) is refused.
            var known = SequenceScaler(
                rescale: scaler.rescale, mode: scaler.mode, featureNames: scaler.featureNames,
                targetName: scaler.targetName)
            (known.mean, known.std, known.targetMean, known.targetStd) = (
                scaler.mean, scaler.std, scaler.targetMean, scaler.targetStd
            )
            (known.levelMean, known.levelStd) = (scaler.targetMean, scaler.targetStd)
            guard scaler.transform == .none else {
                throw ONNXExportError(
                    "data.sequence.target_transform \"\(scaler.transform.rawValue)\" is not supported by the ONNX export yet"
                )
            }
            guard known == scaler else {
                throw ONNXExportError("this time-series model's scaling is not supported by the ONNX export yet")
            }
        }
        var graph = ONNXGraph(opset: opset)
        let input = "input"
        let x = ONNXPreprocess.apply(&graph, input, saved)
        var outputs: [String] = []
        for member in saved.ensemble.members {
            var builder = ONNXLayerBuilder(graph: graph)
            var h = ONNXValue(name: x, shape: saved.inputShape)
            for (spec, layer) in zip(saved.spec.model.layers, member.network.layers) {
                h = try builder.emit(layer, h, path: spec.path, spec: spec)
            }
            h = builder.keras(h)
            outputs.append(builder.activation(member.network.outputActivation, h).name)
            graph = builder.graph
        }
        var y = outputs[0]
        if outputs.count > 1 {
            y = graph.node("Div", [graph.node("Sum", outputs), graph.scalar(Float(outputs.count))])
        }
        if let scaler = saved.sequenceScaler { y = unscaleTarget(&graph, y, scaler) }
        let outputName = saved.isClassifier ? "probabilities" : "values"
        graph.node("Identity", [y], output: outputName)
        return try model(
            graph, saved, input: onnxValueInfo(input, batchOf: saved.inputShape),
            output: onnxValueInfo(outputName, batchOf: saved.ensemble.members[0].outputShape)
        ).serializedData()
    }

    /// Forecasts back in target units, as `SequenceScaler.unscaleTarget`:
    /// featurewise v * (std + eps) + mean, then / rescale.
    static func unscaleTarget(_ g: inout ONNXGraph, _ y: String, _ s: SequenceScaler) -> String {
        var h = y
        if s.mode == .featurewise {
            h = g.node(
                "Add", [g.node("Mul", [h, g.scalar(s.targetStd + Normalizer.epsilon)]), g.scalar(s.targetMean)])
        }
        return s.rescale == 1 ? h : g.node("Div", [h, g.scalar(s.rescale)])
    }

    /// The ModelProto around `graph`, with nnreg's metadata (version, spec name, class names).
    static func model(
        _ graph: ONNXGraph, _ saved: SavedModel, input: Onnx_ValueInfoProto, output: Onnx_ValueInfoProto
    ) -> Onnx_ModelProto {
        var g = Onnx_GraphProto()
        g.name = saved.spec.name.isEmpty ? "nnreg" : saved.spec.name
        g.node = graph.nodes
        g.initializer = graph.initializers
        g.input = [input]
        g.output = [output]
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = Int64(graph.opset)
        var m = Onnx_ModelProto()
        // The IR version of the ONNX release that brought the opset: 8 (opsets 17, 18),
        // 9 (19, 20), 10 (21).
        m.irVersion = graph.opset >= 21 ? 10 : graph.opset >= 19 ? 9 : 8
        m.producerName = "nnreg"
        m.producerVersion = nnregVersion
        m.opsetImport = [opset]
        m.graph = g
        var props = [("nnreg_version", nnregVersion), ("spec_name", saved.spec.name)]
        if saved.isClassifier {  // predict's names: the data's, else the class ids
            let names = saved.classNames ?? (0..<max(saved.outputWidth, 2)).map(String.init)
            props.append(("class_names", JSON.array(names.map { JSON.string($0) }).compact()))
        }
        props.append(("members", String(saved.ensemble.members.count)))
        m.metadataProps = props.map {
            var e = Onnx_StringStringEntryProto()
            e.key = $0.0
            e.value = $0.1
            return e
        }
        return m
    }
}
