import CKernels
import Foundation
import XCTest
@testable import NNReg

/// The C gate kernels (Sources/CKernels), baseline and AVX2 builds, against the Swift
/// `GateMath` kernels they stand for (`LSTM.fusedForward`, `LSTM.fusedBackward`,
/// `GRU.fusedForward`, `GRU.fusedBackward`): the same bits in every buffer, with units that
/// leave no tail, a tail, or only a tail (1, 5, 8, 13, 19, 50), over pre-activations from
/// -100 to 100 including the exp clamps (-87, 88) and zeros of both signs.
final class GateKernelTests: XCTestCase {
    let widths = [1, 5, 8, 13, 19, 50]
    let rows = 4

    /// The run-time choice agrees with the kernel's CPU flags (Linux).
    func testAVX2ChoiceMatchesTheCPU() throws {
        let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        guard let flags = info?.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
            throw XCTSkip("no /proc/cpuinfo")
        }
        XCTAssertEqual(nnreg_kernels_avx2() == 1, flags.split(separator: " ").contains("avx2"))
    }

    /// Pre-activations: normal with standard deviation 30, the first ones special values.
    func preActivations(_ count: Int, rng: inout RNG) -> [Float] {
        let special: [Float] = [-100, -88, -87.5, -87, 0, -0.0, 1e-8, -1e-8, 87.9, 88, 88.5, 100]
        return (0..<count).map { $0 < special.count ? special[$0] : rng.normal() * 30 }
    }

    func normals(_ count: Int, rng: inout RNG) -> [Float] { (0..<count).map { _ in rng.normal() } }

    /// Activations in (0, 1), as a sigmoid gives them.
    func sigmoids(_ count: Int, rng: inout RNG) -> [Float] {
        (0..<count).map { _ in 1 / (1 + Foundation.exp(-rng.normal() * 3)) }
    }

    /// Runs the Swift kernel row by row (`swift(buffers, row)`) and the C kernel on all rows
    /// (`c(buffers)`) in each variant, on fresh copies of `inputs` followed by zeroed
    /// buffers of `outputs` floats, and compares every buffer bit for bit.
    func compare(
        _ what: String, inputs: [[Float]], outputs: [Int], swift: ([UnsafeMutablePointer<Float>], Int) -> Void,
        c: ([UnsafeMutablePointer<Float>]) -> Void
    ) {
        func run(_ body: ([UnsafeMutablePointer<Float>]) -> Void) -> [[Float]] {
            let buffers =
                inputs.map { v in
                    let t = Tensor(shape: [v.count])
                    t.data.update(from: v, count: v.count)
                    return t
                } + outputs.map { Tensor(shape: [$0]) }
            body(buffers.map(\.data))
            return buffers.map(\.array)
        }
        let want = run { b in for s in 0..<rows { swift(b, s) } }
        defer { nnreg_kernels_force(-1) }
        for variant: Int32 in nnreg_kernels_avx2() == 1 ? [0, 1] : [0] {
            nnreg_kernels_force(variant)
            for (k, (got, expected)) in zip(run(c), want).enumerated() {
                let differ = zip(got, expected).filter { $0.bitPattern != $1.bitPattern }.count
                XCTAssertEqual(differ, 0, "\(what), buffer \(k), variant \(variant): \(differ) of \(got.count) differ")
            }
        }
    }

    func testLSTMKernelsMatchSwift() {
        var rng = RNG(seed: 11)
        for u in widths {
            let g = 4 * u, n = rows * u
            // z, cPrev | a, c, tc, h
            compare(
                "lstm forward, units \(u)", inputs: [preActivations(rows * g, rng: &rng), normals(n, rng: &rng)],
                outputs: [rows * g, n, n, n],
                swift: { b, s in
                    LSTM.fusedForward(
                        z: b[0] + s * g, a: b[2] + s * g, cPrev: b[1] + s * u, c: b[3] + s * u, tc: b[4] + s * u,
                        h: b[5] + s * u, units: u)
                },
                c: { b in nnreg_lstm_forward(b[0], b[2], b[1], b[3], b[4], b[5], rows, u) })
            // dh, a, cPrev, tc, dc | d
            let tc = normals(n, rng: &rng).map { Foundation.tanh($0) }
            compare(
                "lstm backward, units \(u)",
                inputs: [
                    normals(n, rng: &rng), sigmoids(rows * g, rng: &rng), normals(n, rng: &rng), tc,
                    normals(n, rng: &rng),
                ], outputs: [rows * g],
                swift: { b, s in
                    LSTM.fusedBackward(
                        dh: b[0] + s * u, a: b[1] + s * g, cPrev: b[2] + s * u, tc: b[3] + s * u, dc: b[4] + s * u,
                        d: b[5] + s * g, units: u)
                },
                c: { b in nnreg_lstm_backward(b[0], b[1], b[2], b[3], b[4], b[5], rows, u) })
        }
    }

    func testGRUKernelsMatchSwift() {
        var rng = RNG(seed: 12)
        for u in widths {
            let g = 3 * u, n = rows * u
            // z, rec, hPrev | a, h
            compare(
                "gru forward, units \(u)",
                inputs: [
                    preActivations(rows * g, rng: &rng), preActivations(rows * g, rng: &rng), normals(n, rng: &rng),
                ],
                outputs: [rows * g, n],
                swift: { b, s in
                    GRU.fusedForward(
                        z: b[0] + s * g, a: b[3] + s * g, rec: b[1] + s * g, hPrev: b[2] + s * u, h: b[4] + s * u,
                        units: u)
                },
                c: { b in nnreg_gru_forward(b[0], b[3], b[1], b[2], b[4], rows, u) })
            // dh, hPrev, a, rec | d, drec, dhPrev
            compare(
                "gru backward, units \(u)",
                inputs: [
                    normals(n, rng: &rng), normals(n, rng: &rng), sigmoids(rows * g, rng: &rng),
                    normals(rows * g, rng: &rng),
                ], outputs: [rows * g, rows * g, n],
                swift: { b, s in
                    GRU.fusedBackward(
                        dh: b[0] + s * u, hPrev: b[1] + s * u, a: b[2] + s * g, rec: b[3] + s * g, d: b[4] + s * g,
                        drec: b[5] + s * g, dhPrev: b[6] + s * u, units: u)
                },
                c: { b in nnreg_gru_backward(b[0], b[1], b[2], b[3], b[4], b[5], b[6], rows, u) })
        }
    }
}
