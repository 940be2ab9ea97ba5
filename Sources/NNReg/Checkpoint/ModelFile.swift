import Foundation

/// Model weights (and, for --resume, optimizer state) in a safetensors file.
///
/// Tensor names: parameters as `Sequential.namedParameters` ("layers.0.dense.kernel"),
/// optimizer slots "optimizer.<parameter>.<slot>", featurewise statistics
/// "normalization.mean" / "normalization.std". `__metadata__` holds the resolved spec
/// and everything else needed to use the file on its own (`ModelFile.Key`).
public enum ModelFile {
    /// Metadata keys.
    public enum Key {
        public static let format = "format"  // "nnreg/1"
        public static let spec = "spec"  // resolved spec, compact JSON
        public static let classes = "classes"  // JSON array of class names, or absent
        public static let rescale = "rescale"
        public static let normalization = "normalization"  // none / featurewise / samplewise
        public static let inputShape = "input_shape"  // JSON array
        public static let epochs = "epochs_completed"
        public static let iterations = "optimizer.iterations"
        public static let learningRate = "optimizer.learning_rate"
        public static let optimizerScalars = "optimizer.scalars"  // JSON object
        public static let callbacks = "callbacks"  // JSON object of objects of numbers
        public static let sequence = "sequence"  // SequenceScaler.metadataJSON for time-series models
        public static let members = "ensemble_members"  // N when tensors are prefixed "members.k."
        public static let columns = "columns"  // ModelColumns.json: a CSV model's column names
    }
    public static let format = "nnreg/1"

    /// The statistics a weights file carries beside the weights: featurewise normalization
    /// ("normalization.mean", ".std") and the augmenter's standardization ("augmentation.mean",
    /// ".std", ".zca").
    public static func statistics(normalizer: Normalizer?, augmenter: Augmenter?) -> [(name: String, tensor: Tensor)] {
        var out: [(name: String, tensor: Tensor)] = []
        func add(_ name: String, _ values: [Float]) {
            if !values.isEmpty { out.append((name, Tensor(shape: [values.count], values: values))) }
        }
        if let normalizer, normalizer.mode == .featurewise {
            add("normalization.mean", normalizer.mean)
            add("normalization.std", normalizer.std)
        }
        if let stats = augmenter?.statistics {
            add("augmentation.mean", stats.mean)
            add("augmentation.std", stats.std)
            add("augmentation.zca", stats.zca)
        }
        return out
    }

    /// The optimizer's slot tensors, named after their parameters.
    public static func optimizerTensors(model: Sequential, optimizer: Optimizer) -> [(name: String, tensor: Tensor)] {
        let trainable = model.namedParameters.filter(\.parameter.trainable)
        return trainable.enumerated().flatMap { index, named in
            optimizer.slots(of: index).map { ("optimizer.\(named.name).\($0.name)", $0.tensor) }
        }
    }

    /// Copies the file's tensors into `model`'s parameters; every parameter must be
    /// present with its shape.
    public static func loadWeights(_ file: SafeTensorsFile, into model: Sequential, path: String, prefix: String = "")
        throws
    {
        for (name, p) in model.namedParameters {
            guard let t = file[prefix + name] else {
                throw SafeTensorsError(
                    path: path,
                    problem: "no tensor \"\(prefix + name)\" for this model (was it written for another spec?)")
            }
            guard t.shape == p.value.shape else {
                throw SafeTensorsError(
                    path: path,
                    problem: "tensor \"\(prefix + name)\" has shape \(t.shape), the model needs \(p.value.shape)")
            }
            p.value.copy(from: t)
        }
    }

    /// Restores optimizer slots and scalars written by `optimizerTensors`.
    public static func loadOptimizer(
        _ file: SafeTensorsFile, into optimizer: Optimizer, model: Sequential, path: String
    ) throws {
        let trainable = model.namedParameters.filter(\.parameter.trainable)
        for (index, named) in trainable.enumerated() {
            for slot in optimizer.slots(of: index) {
                let name = "optimizer.\(named.name).\(slot.name)"
                guard let t = file[name], t.shape == slot.tensor.shape else {
                    throw SafeTensorsError(
                        path: path, problem: "optimizer state \"\(name)\" is missing or has the wrong shape")
                }
                slot.tensor.copy(from: t)
            }
        }
        let meta = file.metadata
        optimizer.iterations = Int(meta[Key.iterations] ?? "0") ?? 0
        if let lr = meta[Key.learningRate].flatMap(Float.init) { optimizer.learningRate = lr }
        if let scalars = meta[Key.optimizerScalars], let obj = try? JSON.parse(scalars).objectValue {
            var s: [String: Double] = [:]
            for (k, v) in obj { if let d = v.doubleValue { s[k] = d } }
            optimizer.scalars = s
        }
    }

    /// Metadata for the optimizer's scalar state.
    public static func optimizerMetadata(_ optimizer: Optimizer) -> [String: String] {
        let scalars = JSON.object(
            .init(optimizer.scalars.sorted { $0.key < $1.key }.map { ($0.key, JSON.number($0.value)) }))
        return [
            Key.iterations: String(optimizer.iterations),
            Key.learningRate: "\(optimizer.learningRate)",
            Key.optimizerScalars: scalars.compact(),
        ]
    }
}
