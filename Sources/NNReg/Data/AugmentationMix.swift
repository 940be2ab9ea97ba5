import Foundation

/// What `Augmenter.mix` did to a batch.
public struct MixRecord: Equatable, Sendable {
    public enum Kind: String, Sendable { case mixup, cutmix }
    public var kind: Kind
    /// The weight of each row's own target: y_i = lambda y_i + (1 - lambda) y_perm(i).
    /// For cutmix, 1 - box area / image area (the box's pixels come from row perm(i)).
    public var lambda: Double
    /// The cutmix box, columns x..<x+width and rows y..<y+height; nil for mixup.
    public var box: AugmentParameters.EraseBox?
}

extension Augmenter {
    /// Mixes a batch's inputs x (N, ...) and targets y (N, K) in place with a random
    /// pairing (row i with row permutation[i], a Fisher-Yates permutation left in
    /// `workspace.permutation`). Targets must be one-hot or soft: a caller with sparse class
    /// ids converts them first. One lambda per batch:
    /// - mixup (Zhang et al. 2018): lambda ~ Beta(a, a); x = lambda x + (1 - lambda) x[perm],
    ///   same for y.
    /// - cutmix (Yun et al. 2019, the authors' rand_bbox): lambda ~ Beta(a, a); a box of
    ///   int(W sqrt(1 - lambda)) x int(H sqrt(1 - lambda)) centred at a uniform pixel,
    ///   clipped to the image, is copied from x[perm]; y mixes by the kept area.
    /// With both on, each batch picks one with a fair coin (timm's Mixup, switch_prob 0.5).
    /// Draw order: coin (both on), lambda, permutation, box centre (x, then y).
    /// Returns nil (and changes nothing) when both are off or the batch has one row.
    /// Flat rows (N, D) are read as images of `imageShape` [H, W, C] (cutmix needs it).
    @discardableResult
    public func mix(
        x: Tensor, y: Tensor, imageShape: [Int]? = nil, rng: inout RNG,
        workspace: AugmentationWorkspace
    ) -> MixRecord? {
        let n = x.shape[0]
        precondition(y.shape[0] == n, "\(n) inputs but \(y.shape[0]) targets")
        guard mixes, n > 1 else { return nil }
        var kind: MixRecord.Kind = mixup > 0 ? .mixup : .cutmix
        if mixup > 0 && cutmix > 0 { kind = rng.uniformDouble() < 0.5 ? .mixup : .cutmix }
        let alpha = kind == .mixup ? mixup : cutmix
        var lambda = Augmenter.beta(alpha, alpha, &rng)
        workspace.reserve(rows: n)
        for i in 0..<n { workspace.permutation[i] = Int32(i) }
        rng.shuffle(&workspace.permutation)

        let dx = x.sampleSize, dy = y.sampleSize
        workspace.reserve(batchX: n * dx, batchY: n * dy)
        let x0 = workspace.batchX, y0 = workspace.batchY
        x0.update(from: x.data, count: n * dx)
        y0.update(from: y.data, count: n * dy)
        var box: AugmentParameters.EraseBox? = nil
        switch kind {
        case .mixup:
            let a = Float(lambda), b = Float(1 - lambda)
            for i in 0..<n {
                let row = x.data + i * dx, other = x0 + Int(workspace.permutation[i]) * dx
                for j in 0..<dx { row[j] = a * row[j] + b * other[j] }
            }
        case .cutmix:
            let (h, w, c) = Augmenter.imageShape(x, imageShape)
            let cut = (1 - lambda).squareRoot()
            let cutW = Int(Double(w) * cut), cutH = Int(Double(h) * cut)
            let cx = rng.int(below: w), cy = rng.int(below: h)
            let x1 = min(max(cx - cutW / 2, 0), w), x2 = min(max(cx + cutW / 2, 0), w)
            let y1 = min(max(cy - cutH / 2, 0), h), y2 = min(max(cy + cutH / 2, 0), h)
            let b = AugmentParameters.EraseBox(x: x1, y: y1, width: x2 - x1, height: y2 - y1)
            box = b
            lambda = 1 - Double(b.width * b.height) / Double(w * h)
            if b.width > 0 {
                for i in 0..<n {
                    let row = x.data + i * dx, other = x0 + Int(workspace.permutation[i]) * dx
                    for r in b.y..<(b.y + b.height) {
                        let offset = (r * w + b.x) * c
                        (row + offset).update(from: other + offset, count: b.width * c)
                    }
                }
            }
        }
        let a = Float(lambda), bw = Float(1 - lambda)
        for i in 0..<n {
            let row = y.data + i * dy, other = y0 + Int(workspace.permutation[i]) * dy
            for j in 0..<dy { row[j] = a * row[j] + bw * other[j] }
        }
        return MixRecord(kind: kind, lambda: lambda, box: box)
    }

    /// Beta(a, b) as Ga / (Ga + Gb).
    static func beta(_ a: Double, _ b: Double, _ rng: inout RNG) -> Double {
        let x = gamma(a, &rng), y = gamma(b, &rng)
        return x + y > 0 ? x / (x + y) : 0.5
    }

    /// Gamma(shape, 1): Marsaglia & Tsang (2000), with the U^(1/a) boost for a < 1.
    static func gamma(_ shape: Double, _ rng: inout RNG) -> Double {
        if shape < 1 {
            var u = rng.uniformDouble()
            while u <= 0 { u = rng.uniformDouble() }
            return gamma(shape + 1, &rng) * pow(u, 1 / shape)
        }
        let d = shape - 1.0 / 3.0, c = 1 / (9 * d).squareRoot()
        while true {
            var z: Double, v: Double
            repeat {
                z = standardNormal(&rng)
                v = 1 + c * z
            } while v <= 0
            v = v * v * v
            let u = rng.uniformDouble()
            if u < 1 - 0.0331 * z * z * z * z { return d * v }
            if log(u) < 0.5 * z * z + d * (1 - v + log(v)) { return d * v }
        }
    }

    /// Standard normal in Double (Box-Muller).
    static func standardNormal(_ rng: inout RNG) -> Double {
        var u1 = rng.uniformDouble()
        while u1 <= 0 { u1 = rng.uniformDouble() }
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * rng.uniformDouble())
    }
}
