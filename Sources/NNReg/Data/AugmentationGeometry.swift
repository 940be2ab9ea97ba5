import Foundation

/// Geometric ops on one (H, W, C) image: the affine resampling, flips, crop, blur, fill.
struct ImageGeometry {
    let height: Int
    let width: Int
    let channels: Int

    // MARK: - Affine (Keras apply_affine_transform + scipy.ndimage.affine_transform, order 1)

    /// A 3 x 3 matrix, rows (a b c), (d e f), (g h i); products sum left to right like numpy's.
    struct Matrix3 {
        var a, b, c, d, e, f, g, h, i: Double
        static let identity = Matrix3(a: 1, b: 0, c: 0, d: 0, e: 1, f: 0, g: 0, h: 0, i: 1)
        static func * (x: Matrix3, y: Matrix3) -> Matrix3 {
            Matrix3(
                a: x.a * y.a + x.b * y.d + x.c * y.g, b: x.a * y.b + x.b * y.e + x.c * y.h,
                c: x.a * y.c + x.b * y.f + x.c * y.i,
                d: x.d * y.a + x.e * y.d + x.f * y.g, e: x.d * y.b + x.e * y.e + x.f * y.h,
                f: x.d * y.c + x.e * y.f + x.f * y.i,
                g: x.g * y.a + x.h * y.d + x.i * y.g, h: x.g * y.b + x.h * y.e + x.i * y.h,
                i: x.g * y.c + x.h * y.f + x.i * y.i)
        }
        static func translation(_ x: Double, _ y: Double) -> Matrix3 {
            Matrix3(a: 1, b: 0, c: x, d: 0, e: 1, f: y, g: 0, h: 0, i: 1)
        }
    }

    /// The map from an output pixel (x, y, 1) to the input point it samples, built as Keras
    /// builds it: the product of the non-identity factors R T Sh Z (in that order),
    /// conjugated by a translation to the centre ((W - 1)/2, (H - 1)/2).
    static func matrix(_ p: AugmentParameters, height: Int, width: Int) -> Matrix3 {
        var m: Matrix3? = nil
        func then(_ f: Matrix3) { m = m.map { $0 * f } ?? f }
        if p.theta != 0 {
            let t = p.theta * Double.pi / 180
            then(Matrix3(a: cos(t), b: -sin(t), c: 0, d: sin(t), e: cos(t), f: 0, g: 0, h: 0, i: 1))
        }
        if p.tx != 0 || p.ty != 0 { then(.translation(p.tx, p.ty)) }
        if p.shear != 0 {
            let s = p.shear * Double.pi / 180
            then(Matrix3(a: 1, b: -sin(s), c: 0, d: 0, e: cos(s), f: 0, g: 0, h: 0, i: 1))
        }
        if p.zx != 1 || p.zy != 1 { then(Matrix3(a: p.zx, b: 0, c: 0, d: 0, e: p.zy, f: 0, g: 0, h: 0, i: 1)) }
        let ox = Double(width) / 2 - 0.5, oy = Double(height) / 2 - 0.5
        return (.translation(ox, oy) * (m ?? .identity)) * .translation(-ox, -oy)
    }

    /// scipy.ndimage's map_coordinate: folds a coordinate outside [0, len - 1] back per
    /// mode; -1 for "constant" means outside. "reflect" is half-sample symmetric
    /// (d c b a | a b c d | d c b a); "wrap" is scipy's, with period len - 1 (the first and
    /// last samples coincide); `mirror` (whole-sample, d c b | a b c d | c b a) is what
    /// scipy uses for the neighbours of "constant" and "wrap" points.
    @inline(__always)
    static func mapCoordinate(_ x: Double, _ len: Int, _ mode: BoundaryMode) -> Double {
        var v = x
        if v < 0 {
            switch mode {
            case .mirror:
                if len <= 1 { return 0 }
                let sz2 = Double(2 * len - 2)
                v = sz2 * Double(Int(-v / sz2)) + v
                v = v <= Double(1 - len) ? v + sz2 : -v
            case .reflect:
                if len <= 1 { return 0 }
                let sz2 = Double(2 * len)
                if v < -sz2 { v = sz2 * Double(Int(-v / sz2)) + v }
                v = v < Double(-len) ? v + sz2 : (v > -1e-15 ? 1e-15 : -v) - 1
            case .wrap:
                if len <= 1 { return 0 }
                let sz = Double(len - 1)
                v += sz * Double(Int(-v / sz) + 1)
            case .nearest: v = 0
            case .constant: v = -1
            }
        } else if v > Double(len - 1) {
            switch mode {
            case .mirror:
                if len <= 1 { return 0 }
                let sz2 = Double(2 * len - 2)
                v -= sz2 * Double(Int(v / sz2))
                if v >= Double(len) { v = sz2 - v }
            case .reflect:
                if len <= 1 { return 0 }
                let sz2 = Double(2 * len)
                v -= sz2 * Double(Int(v / sz2))
                if v >= Double(len) { v = sz2 - v - 1 }
            case .wrap:
                if len <= 1 { return 0 }
                let sz = Double(len - 1)
                v -= sz * Double(Int(v / sz))
            case .nearest: v = Double(len - 1)
            case .constant: v = -1
            }
        }
        return v
    }

    /// scipy's modes, plus the whole-sample mirror it uses for interpolation neighbours.
    enum BoundaryMode {
        case nearest, constant, reflect, wrap, mirror
        init(_ fill: AugmentationSpec.FillMode) {
            switch fill {
            case .nearest: self = .nearest
            case .constant: self = .constant
            case .reflect: self = .reflect
            case .wrap: self = .wrap
            }
        }
        /// scipy _get_spline_boundary_mode.
        var neighbours: BoundaryMode { self == .constant || self == .wrap ? .mirror : self }
    }

    /// One axis of an order-1 sample: two indices and their weights; nil means cval.
    @inline(__always)
    static func locate(_ coordinate: Double, _ len: Int, _ mode: BoundaryMode)
        -> (i0: Int, i1: Int, w0: Double, w1: Double)?
    {
        if coordinate >= 0 && coordinate < Double(len - 1) {  // inside: no folding, no edge taps
            let f = coordinate.rounded(.down)
            let start = Int(f)
            let w0 = 1 - (coordinate - f)
            return (start, start + 1, w0, 1 - w0)
        }
        var c = coordinate
        if mode != .nearest { c = mapCoordinate(c, len, mode) }
        guard c > -1 || mode == .nearest else { return nil }
        if mode == .nearest { c = min(max(c, -2), Double(len) + 1) }  // same samples, no Int overflow
        let f = c.rounded(.down)
        let start = Int(f)
        let w0 = 1 - (c - f)  // scipy get_spline_interpolation_weights, order 1
        let w1 = 1 - w0
        if start >= 0 && start + 1 < len { return (start, start + 1, w0, w1) }
        let edge = mode.neighbours
        let i0 = Int(mapCoordinate(Double(start), len, edge))
        let i1 = Int(mapCoordinate(Double(start + 1), len, edge))
        return (i0, i1, w0, w1)
    }

    /// Resamples `src` into `dst` (both (H, W, C)) with `p`'s affine map: per output pixel
    /// and channel, scipy.ndimage.affine_transform(order=1, mode=fill, cval), summing the
    /// four taps in scipy's order in Double.
    func affine(
        _ p: AugmentParameters, fill: AugmentationSpec.FillMode, cval: Float,
        from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>
    ) {
        let a = ImageGeometry.matrix(p, height: height, width: width)
        // scipy works in (row, col) = (y, x): row' = f + i e + j d, col' = c + i b + j a.
        let mode = BoundaryMode(fill)
        let rowStride = width * channels
        for i in 0..<height {
            for j in 0..<width {
                let out = dst + i * rowStride + j * channels
                var yc = a.f
                yc += Double(i) * a.e
                yc += Double(j) * a.d
                var xc = a.c
                xc += Double(i) * a.b
                xc += Double(j) * a.a
                guard let ry = ImageGeometry.locate(yc, height, mode), let rx = ImageGeometry.locate(xc, width, mode)
                else {
                    for k in 0..<channels { out[k] = cval }
                    continue
                }
                let p00 = src + ry.i0 * rowStride + rx.i0 * channels, p01 = src + ry.i0 * rowStride + rx.i1 * channels
                let p10 = src + ry.i1 * rowStride + rx.i0 * channels, p11 = src + ry.i1 * rowStride + rx.i1 * channels
                for k in 0..<channels {
                    var t = Double(p00[k]) * ry.w0 * rx.w0
                    t += Double(p01[k]) * ry.w0 * rx.w1
                    t += Double(p10[k]) * ry.w1 * rx.w0
                    t += Double(p11[k]) * ry.w1 * rx.w1
                    out[k] = Float(t)
                }
            }
        }
    }

    // MARK: - Flips, crop, fill

    /// Reverses the columns (Keras flip_axis(x, col_axis)).
    func flipHorizontal(_ x: UnsafeMutablePointer<Float>) {
        for i in 0..<height {
            let row = x + i * width * channels
            var l = 0, r = width - 1
            while l < r {
                for k in 0..<channels { swap(&row[l * channels + k], &row[r * channels + k]) }
                l += 1
                r -= 1
            }
        }
    }

    /// Reverses the rows.
    func flipVertical(_ x: UnsafeMutablePointer<Float>) {
        let n = width * channels
        var t = 0, b = height - 1
        while t < b {
            let top = x + t * n, bottom = x + b * n
            for k in 0..<n { swap(&top[k], &bottom[k]) }
            t += 1
            b -= 1
        }
    }

    /// The index that padding by numpy.pad gives position `i` of a length-`len` axis:
    /// edge (nearest), symmetric (reflect), wrap (period len); -1 for constant.
    @inline(__always)
    static func padIndex(_ i: Int, _ len: Int, _ fill: AugmentationSpec.FillMode) -> Int {
        if i >= 0 && i < len { return i }
        switch fill {
        case .constant: return -1
        case .nearest: return i < 0 ? 0 : len - 1
        case .wrap: return ((i % len) + len) % len
        case .reflect:
            let period = 2 * len
            let m = ((i % period) + period) % period
            return m < len ? m : period - 1 - m
        }
    }

    /// random_crop: pads by `padding` (fill mode as numpy.pad: edge, constant, symmetric,
    /// wrap) and takes the (H, W) window whose top-left corner is (x, y) in the padded image.
    func crop(
        _ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, padding: Int, x: Int, y: Int,
        fill: AugmentationSpec.FillMode, cval: Float
    ) {
        for i in 0..<height {
            let si = ImageGeometry.padIndex(i + y - padding, height, fill)
            for j in 0..<width {
                let sj = ImageGeometry.padIndex(j + x - padding, width, fill)
                let out = dst + (i * width + j) * channels
                if si < 0 || sj < 0 {
                    for k in 0..<channels { out[k] = cval }
                } else {
                    out.update(from: src + (si * width + sj) * channels, count: channels)
                }
            }
        }
    }

    /// Writes `value` into every channel of the pixels in `box`.
    func fill(_ x: UnsafeMutablePointer<Float>, box: AugmentParameters.EraseBox, value: Float) {
        for i in box.y..<min(box.y + box.height, height) {
            (x + (i * width + box.x) * channels).update(
                repeating: value, count: min(box.width, width - box.x) * channels)
        }
    }

    // MARK: - Gaussian blur (scipy.ndimage.gaussian_filter over rows then columns)

    /// The taps of scipy's _gaussian_kernel1d: radius int(4 sigma + 0.5), exp(-x^2 / (2 sigma^2))
    /// normalised to sum 1.
    static func gaussianTaps(sigma: Double, into taps: UnsafeMutablePointer<Double>) -> Int {
        let radius = Int(4 * sigma + 0.5)
        var sum = 0.0
        for k in -radius...radius {
            let v = exp(-0.5 / (sigma * sigma) * Double(k * k))
            taps[k + radius] = v
            sum += v
        }
        for k in 0...(2 * radius) { taps[k] /= sum }
        return radius
    }

    /// Blurs each channel with a Gaussian of `sigma` pixels: scipy.ndimage.gaussian_filter
    /// (truncate 4, mode "reflect"), one pass down the rows and one along them, each
    /// rounded to Float as scipy's float32 output is.
    func gaussianBlur(_ x: UnsafeMutablePointer<Float>, sigma: Double, workspace: AugmentationWorkspace) {
        workspace.reserve(taps: 2 * Int(4 * sigma + 0.5) + 1)
        let taps = workspace.taps
        let radius = ImageGeometry.gaussianTaps(sigma: sigma, into: taps)
        if radius == 0 { return }
        let tmp = workspace.image2
        blurPass(x, into: tmp, taps: taps, radius: radius, alongColumns: true)  // axis 0, down the rows
        blurPass(tmp, into: x, taps: taps, radius: radius, alongColumns: false)  // axis 1, along the rows
    }

    /// One pass of the separable blur, dst[i, j, k] = Float(sum_d src[.., .., k] taps[d + radius])
    /// over d in -radius...radius along axis 0 (`alongColumns`: rows i + d) or axis 1
    /// (columns j + d), reflected at the edges; sums in Double.
    private func blurPass(
        _ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, taps: UnsafePointer<Double>, radius: Int,
        alongColumns: Bool
    ) {
        let c = channels, rowStride = width * channels
        let length = alongColumns ? height : width, step = alongColumns ? rowStride : c
        for i in 0..<height {
            for j in 0..<width {
                let at = alongColumns ? i : j, lineStart = i * rowStride + j * c - at * step
                for k in 0..<c {
                    var t = 0.0
                    for d in -radius...radius {
                        let s = ImageGeometry.padIndex(at + d, length, .reflect)
                        t += Double(src[lineStart + s * step + k]) * taps[d + radius]
                    }
                    dst[i * rowStride + j * c + k] = Float(t)
                }
            }
        }
    }
}
