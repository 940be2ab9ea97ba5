import XCTest
@testable import NNReg

/// Oracle: Keras 3.15.1 (Fixtures/regularizers.json, made by tools/reference/regularizers.py).
/// Tolerance: 1e-5 relative (Float32 sums of 12 terms).
final class RegularizerTests: XCTestCase {
    struct Fixture: Decodable {
        struct Reg: Decodable {
            let name: String
            let l1: Float
            let l2: Float
            let penalty: Float
            let gradient: [Float]
        }
        struct Con: Decodable {
            struct Args: Decodable {
                let max_norm: Float?
                let axis: [Int]?
                let min_max_norm: [Float]?
                let non_neg: Bool?
                let unit_norm: Bool?
            }
            let name: String
            let args: Args
            let shape: [Int]
            let input: [Float]
            let output: [Float]
        }
        let weights: [Float]
        let regularizers: [Reg]
        let constraints: [Con]
    }

    func load() throws -> Fixture {
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: "regularizers", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    func testPenaltiesAndGradientsMatchKeras() throws {
        let f = try load()
        XCTAssertEqual(f.regularizers.count, 5)
        for r in f.regularizers {
            let reg = Regularizer(l1: r.l1, l2: r.l2)
            let w = Tensor(shape: [4, 3], values: f.weights)
            XCTAssertEqual(reg.penalty(w), r.penalty, accuracy: 1e-5 * abs(r.penalty), r.name)
            let g = Tensor(shape: [4, 3])
            reg.addGradient(w, into: g)
            for i in 0..<12 {
                XCTAssertEqual(g[i], r.gradient[i], accuracy: 1e-6 + 1e-5 * abs(r.gradient[i]), "\(r.name)[\(i)]")
            }
        }
    }

    func testConstraintsMatchKeras() throws {
        let f = try load()
        XCTAssertEqual(f.constraints.count, 6)
        for c in f.constraints {
            let axes = c.args.axis ?? [0]
            let constraint: Constraint
            if let v = c.args.max_norm {
                constraint = .maxNorm(maxValue: v, axes: axes)
            } else if let m = c.args.min_max_norm {
                constraint = .minMaxNorm(minValue: m[0], maxValue: m[1], rate: m[2], axes: axes)
            } else if c.args.unit_norm == true {
                constraint = .unitNorm(axes: axes)
            } else {
                constraint = .nonNeg
            }
            let w = Tensor(shape: c.shape, values: c.input)
            constraint.apply(w)
            for i in 0..<w.count {
                XCTAssertEqual(w[i], c.output[i], accuracy: 1e-6 + 1e-5 * abs(c.output[i]), "\(c.name)[\(i)]")
            }
        }
    }
}
