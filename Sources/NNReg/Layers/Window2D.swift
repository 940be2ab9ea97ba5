/// Sliding windows (conv kernels, pools) over (H, W) inputs: padding, output sizes, offsets.

/// Keras/TF padding of a sliding window.
public enum Padding: String, Sendable, CaseIterable {
    /// No padding: only windows that fit entirely inside the input.
    case valid
    /// Zero padding so that out = ceil(in / stride).
    case same
    /// Zero padding before only, so output t reads no input after t (Keras Conv1D "causal").
    case causal
}

/// Where a sliding window (a conv kernel or a pool) falls on an (H, W) input, with
/// TF's output sizes and padding (tensorflow/core/framework/kernel_shape_util.cc,
/// GetWindowedOutputSizeVerbose):
/// - extent E = (K - 1) * D + 1 (the dilated kernel);
/// - "valid": OH = (H - E) / S + 1, no padding; an error when E > H;
/// - "same": OH = ceil(H / S), pad_total = max((OH - 1) * S + E - H, 0), of which
///   pad_total / 2 (rounded down) goes before (top, left) and the rest after.
///   (Checked against TF 2.21: a 4x4 "same" kernel on 5 rows pads 1 above, 2 below.)
/// - "causal" (Keras Conv1D): E - 1 before, nothing after, then "valid":
///   OH = (H - 1) / S + 1. (On a unit axis with a unit window it pads nothing.)
/// Output (oh, ow) reads input rows oh * SH - padTop + i * DH, i in 0..<KH; likewise columns.
struct Window2D: Equatable {
    let inH, inW: Int
    let kh, kw: Int
    let sh, sw: Int
    let dh, dw: Int
    let outH, outW: Int
    let padTop, padLeft: Int

    /// `layer` names the window in errors ("conv2d kernel", "max_pooling2d pool"), `axes`
    /// its axes ("length" for the 1-D layers' width).
    init(
        input: (h: Int, w: Int), window: (h: Int, w: Int), strides: (h: Int, w: Int),
        dilation: (h: Int, w: Int) = (1, 1), padding: Padding, layer: String,
        axes: (h: String, w: String) = ("height", "width")
    ) throws {
        func axis(_ n: Int, _ k: Int, _ s: Int, _ d: Int, _ name: String) throws -> (out: Int, padBefore: Int) {
            let extent = (k - 1) * d + 1
            switch padding {
            case .valid:
                guard extent <= n else {
                    let dilated = d > 1 ? " (dilated to \(extent))" : ""
                    throw ShapeError(
                        "\(layer) \(name) \(k)\(dilated) is larger than the input \(name) \(n) with padding \"valid\"; "
                            + "use padding \"same\" or a smaller window")
                }
                return ((n - extent) / s + 1, 0)
            case .same:
                let out = (n + s - 1) / s
                return (out, max((out - 1) * s + extent - n, 0) / 2)
            case .causal:
                return ((n - 1) / s + 1, extent - 1)
            }
        }
        guard input.h > 0, input.w > 0 else {
            throw ShapeError("\(layer) needs a non-empty input, got height \(input.h), width \(input.w)")
        }
        let rows = try axis(input.h, window.h, strides.h, dilation.h, axes.h)
        let cols = try axis(input.w, window.w, strides.w, dilation.w, axes.w)
        (inH, inW, kh, kw, sh, sw, dh, dw) = (
            input.h, input.w, window.h, window.w, strides.h, strides.w, dilation.h, dilation.w
        )
        (outH, outW, padTop, padLeft) = (rows.out, cols.out, rows.padBefore, cols.padBefore)
    }
}

/// (N, 1, W, ...) -> (N, W, ...): the same bytes without the unit height. The 1-D layers
/// run a 2-D layer on (N, 1, steps, C) and present its buffers this way (at build only).
func dropUnitHeight(_ t: Tensor) {
    precondition(t.shape.count >= 3 && t.shape[1] == 1, "no unit height to drop in \(t.shape)")
    t.reshape([t.shape[0]] + t.shape.dropFirst(2))
}

/// Checks a (height, width) option: both entries positive.
func checkPositive(_ v: (h: Int, w: Int), _ what: String) {
    precondition(v.h > 0 && v.w > 0, "\(what) must be positive, got (\(v.h), \(v.w))")
}
