import Foundation

/// The input scaling `SavedModel.load` applies before the network, as graph nodes: the
/// Normalizer (rescale, then featurewise or samplewise normalization), then the
/// augmentation's standardization (`Augmenter.standardize`).
enum ONNXPreprocess {
    /// x: (batch, shape...) raw -> the network's input, same shape.
    static func apply(_ g: inout ONNXGraph, _ x: String, _ saved: SavedModel) -> String {
        var h = normalize(&g, x, saved.normalizer, shape: saved.inputShape)
        if let a = saved.augmenter, a.standardizes { h = standardize(&g, h, a, shape: saved.inputShape) }
        return h
    }

    /// x * rescale, then featurewise (x - mean_j) / (std_j + eps) or samplewise
    /// (x - mean) / (std + eps), as `Normalizer.apply` does.
    static func normalize(_ g: inout ONNXGraph, _ x: String, _ n: Normalizer, shape: [Int]) -> String {
        var h = x
        if n.rescale != 1 { h = g.node("Mul", [h, g.scalar(n.rescale)]) }
        switch n.mode {
        case .none:
            break
        case .featurewise:
            let mean = g.constant("normalization_mean", n.mean, shape: shape)
            let std = g.constant("normalization_std_eps", n.std.map { $0 + Normalizer.epsilon }, shape: shape)
            h = g.node("Div", [g.node("Sub", [h, mean]), std])
        case .samplewise:
            let (mean, std) = meanAndStd(&g, h, rank: shape.count)
            h = g.node("Div", [g.node("Sub", [h, mean]), g.node("Add", [std, g.scalar(Normalizer.epsilon)])])
        }
        return h
    }

    /// Each sample's mean and std = sqrt(max(E[x²] - E[x]², 0)), as `meanAndStd` computes
    /// them: (batch, 1, ...) each, for x: (batch, `rank` axes).
    static func meanAndStd(_ g: inout ONNXGraph, _ x: String, rank: Int) -> (mean: String, std: String) {
        let axes = Array(1...rank)
        let mean = g.reduce("ReduceMean", x, axes: axes, keepDims: true)
        let meanOfSquares = g.reduce("ReduceMean", g.node("Mul", [x, x]), axes: axes, keepDims: true)
        let variance = g.node("Relu", [g.node("Sub", [meanOfSquares, g.node("Mul", [mean, mean])])])
        return (mean, g.node("Sqrt", [variance]))
    }

    /// ImageDataGenerator's standardization in `Augmenter.standardize`'s order, on images
    /// x: (batch, H, W, C): samplewise center and std normalization, featurewise (per
    /// channel) center and std normalization, then ZCA (the flat image times W: (D, D)).
    static func standardize(_ g: inout ONNXGraph, _ x: String, _ a: Augmenter, shape: [Int]) -> String {
        var h = x
        let eps = g.scalar(Augmenter.stdEpsilon), stats = a.statistics, c = shape.last!
        if a.samplewiseCenter {
            h = g.node("Sub", [h, g.reduce("ReduceMean", h, axes: Array(1...shape.count), keepDims: true)])
        }
        if a.samplewiseStdNormalization {
            h = g.node("Div", [h, g.node("Add", [meanAndStd(&g, h, rank: shape.count).std, eps])])
        }
        if a.featurewiseCenter { h = g.node("Sub", [h, g.constant("augmentation_mean", stats.mean, shape: [c])]) }
        if a.featurewiseStdNormalization {
            let std = stats.std.map { $0 + Augmenter.stdEpsilon }
            h = g.node("Div", [h, g.constant("augmentation_std_eps", std, shape: [c])])
        }
        if a.zcaWhitening {
            let d = shape.reduce(1, *)
            let flat = g.node("Flatten", [h], [ONNXAttribute.int("axis", 1)])
            let white = g.node("MatMul", [flat, g.constant("zca", stats.zca, shape: [d, d])])
            h = g.reshape(white, [-1] + shape)
        }
        return h
    }
}
