/// The naive loop reference for `Conv2D`, the oracle its im2col + sgemm path is tested against.

extension Conv2D {
    /// z[s, oh, ow, f] = bias[f] + sum over (i, j, ch) of x[s, ih, iw, ch] * kernel[i, j, ch, f],
    /// by nested loops in Double, skipping padded (ih, iw). x: (N, H, W, C) -> z: (N, OH, OW, F).
    static func referencePreActivation(_ x: Tensor, kernel: Tensor, bias: Tensor?, window g: Window2D) -> [Double] {
        let n = x.shape[0], c = x.shape[3], f = kernel.shape[3]
        var z = [Double](repeating: 0, count: n * g.outH * g.outW * f)
        for s in 0..<n {
            for oh in 0..<g.outH {
                for ow in 0..<g.outW {
                    for k in 0..<f {
                        var sum = bias.map { Double($0[k]) } ?? 0
                        for i in 0..<g.kh {
                            for j in 0..<g.kw {
                                let ih = oh * g.sh - g.padTop + i * g.dh, iw = ow * g.sw - g.padLeft + j * g.dw
                                if ih < 0 || ih >= g.inH || iw < 0 || iw >= g.inW { continue }
                                for ch in 0..<c {
                                    sum +=
                                        Double(x[((s * g.inH + ih) * g.inW + iw) * c + ch])
                                        * Double(kernel[((i * g.kw + j) * c + ch) * f + k])
                                }
                            }
                        }
                        z[((s * g.outH + oh) * g.outW + ow) * f + k] = sum
                    }
                }
            }
        }
        return z
    }

    /// The naive forward: x: (N, H, W, C) -> y: (N, OH, OW, F) = activation(conv(x) + bias).
    static func referenceForward(
        _ x: Tensor, kernel: Tensor, bias: Tensor?, window g: Window2D, activation: Activation
    ) -> Tensor {
        let z = referencePreActivation(x, kernel: kernel, bias: bias, window: g)
        let zf = Tensor(shape: [x.shape[0], g.outH, g.outW, kernel.shape[3]], values: z.map { Float($0) })
        let y = Tensor(shape: zf.shape)
        activation.forward(zf.data, y.data, rows: y.count / kernel.shape[3], width: kernel.shape[3])
        return y
    }

    /// The naive backward for dy: (N, OH, OW, F): dz = dy * activation'(z), then by nested
    /// loops in Double dx[s, ih, iw, ch] = sum of dz * kernel over the outputs that read it,
    /// dkernel[i, j, ch, f] = sum over (s, oh, ow) of x * dz, dbias[f] = sum of dz.
    static func referenceBackward(
        _ x: Tensor, kernel: Tensor, bias: Tensor?, window g: Window2D, activation: Activation, dy: Tensor
    ) -> (dx: Tensor, dkernel: Tensor, dbias: Tensor?) {
        let n = x.shape[0], c = x.shape[3], f = kernel.shape[3]
        let zf = Tensor(
            shape: dy.shape, values: referencePreActivation(x, kernel: kernel, bias: bias, window: g).map { Float($0) })
        let y = Tensor(shape: dy.shape), dz = Tensor(shape: dy.shape)
        activation.forward(zf.data, y.data, rows: y.count / f, width: f)
        activation.backward(dy: dy.data, y: y.data, z: zf.data, dz: dz.data, rows: y.count / f, width: f)
        var dx = [Double](repeating: 0, count: x.count)
        var dkernel = [Double](repeating: 0, count: kernel.count)
        var dbias = [Double](repeating: 0, count: f)
        for s in 0..<n {
            for oh in 0..<g.outH {
                for ow in 0..<g.outW {
                    for k in 0..<f {
                        let d = Double(dz[((s * g.outH + oh) * g.outW + ow) * f + k])
                        dbias[k] += d
                        for i in 0..<g.kh {
                            for j in 0..<g.kw {
                                let ih = oh * g.sh - g.padTop + i * g.dh, iw = ow * g.sw - g.padLeft + j * g.dw
                                if ih < 0 || ih >= g.inH || iw < 0 || iw >= g.inW { continue }
                                for ch in 0..<c {
                                    let xi = ((s * g.inH + ih) * g.inW + iw) * c + ch
                                    let wi = ((i * g.kw + j) * c + ch) * f + k
                                    dx[xi] += d * Double(kernel[wi])
                                    dkernel[wi] += d * Double(x[xi])
                                }
                            }
                        }
                    }
                }
            }
        }
        return (
            Tensor(shape: x.shape, values: dx.map { Float($0) }),
            Tensor(shape: kernel.shape, values: dkernel.map { Float($0) }),
            bias.map { _ in Tensor(shape: [f], values: dbias.map { Float($0) }) }
        )
    }
}
