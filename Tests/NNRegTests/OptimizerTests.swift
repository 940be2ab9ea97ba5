import Foundation
import XCTest

@testable import NNReg

final class OptimizerTests: XCTestCase {
    /// Oracle: Keras 3.15.1 on TensorFlow 2.21 (float32), `optimizer.apply(grads, vars)`
    /// for 5 fixed steps, from tools/reference/optimizers.py. Tolerance per weight and
    /// slot: |swift - keras| <= 2e-7 + 2e-6 * |keras|, a few float32 roundings (the
    /// largest difference seen is 6e-7 relative, from clipping's scale being rounded
    /// once rather than twice). The cases use learning rates large enough (mostly 0.1)
    /// that this is small against each step's change.
    func testEveryOptimizerMatchesKerasStepByStep() throws {
        let fixture = try OptimizerFixture.load()
        XCTAssertFalse(fixture.cases.isEmpty)
        for c in fixture.cases {
            let config = c.config.resolved()
            let params = fixture.freshParameters()
            let optimizer = makeOptimizer(config)
            optimizer.prepare(params)
            for step in fixture.gradients.indices {
                fixture.setGradients(step, params)
                optimizer.step()
                for (i, p) in params.enumerated() {
                    assertClose(p.value.array, c.weights[step][i], "\(c.name) step \(step + 1) \(p.name)")
                }
            }
            XCTAssertEqual(optimizer.iterations, c.iterations, c.name)
            for (i, p) in params.enumerated() {
                let slots = optimizer.slots(of: i)
                XCTAssertEqual(slots.map(\.name).sorted(), c.slots[i].keys.sorted(), "\(c.name) \(p.name) slot names")
                for (name, tensor) in slots {
                    XCTAssertEqual(tensor.shape, p.value.shape, "\(c.name) \(p.name)_\(name) shape")
                    assertClose(tensor.array, c.slots[i][name] ?? [], "\(c.name) \(p.name)_\(name)")
                }
            }
            XCTAssertEqual(optimizer.scalars.keys.sorted(), c.scalars.keys.sorted(), c.name)
            for (key, value) in c.scalars {
                XCTAssertEqual(optimizer.scalars[key] ?? .nan, value, accuracy: 1e-6 * abs(value), "\(c.name) \(key)")
            }
        }
    }

    /// Each optimizer minimises f(w) = 0.5 * sum(c_j * (w_j - target_j)^2) from w = 0.
    /// Oracle: the known minimum `target`; tolerance 0.01 per coordinate after 1000 steps
    /// (AdamW's default decay, 0.004, pulls its end point slightly toward 0, well inside that).
    /// Oracle: the scalar loop (count 1 per call) that the Keras fixture checks; the
    /// 8-lane fast path must give bit-identical weights and slots, with and without clipping.
    func testAdamVectorPathEqualsScalarPath() {
        var rng = RNG(seed: 3)
        let n = 37
        for clip in [GradientClip(), GradientClip(scale: 0.5, limit: 0.3)] {
            let w0 = (0..<n).map { _ in rng.normal() }, g = (0..<n).map { _ in rng.normal() }
            var (wa, ma, va) = (w0, [Float](repeating: 0.1, count: n), [Float](repeating: 0.2, count: n))
            var (wb, mb, vb) = (wa, ma, va)
            for _ in 0..<3 {
                Adam.step(
                    &wa, g, clip, m: &ma, v: &va, vHat: nil, count: n, alpha: 0.01, oneMinusBeta1: 0.1,
                    oneMinusBeta2: 0.001, epsilon: 1e-7)
                for j in 0..<n {
                    var (wj, mj, vj) = (wb[j], mb[j], vb[j])
                    Adam.step(
                        &wj, [g[j]], clip, m: &mj, v: &vj, vHat: nil, count: 1, alpha: 0.01, oneMinusBeta1: 0.1,
                        oneMinusBeta2: 0.001, epsilon: 1e-7)
                    (wb[j], mb[j], vb[j]) = (wj, mj, vj)
                }
            }
            XCTAssertEqual(wa, wb)
            XCTAssertEqual(ma, mb)
            XCTAssertEqual(va, vb)
        }
    }

    func testEveryOptimizerConvergesOnAQuadratic() {
        let target: [Float] = [1.5, -2, 0.5, 3]
        let curvature: [Float] = [1, 4, 0.5, 2]
        let configs: [OptimizerConfig] = [
            config("sgd") { $0.learningRate = 0.1 },
            config("sgd") {
                $0.learningRate = 0.05
                $0.momentum = 0.9
                $0.nesterov = true
            },
            config("rmsprop") {
                $0.learningRate = 0.01
                $0.momentum = 0.5
                $0.centered = true
            },
            config("adagrad") { $0.learningRate = 0.5 },
            config("adam") {
                $0.learningRate = 0.05
                $0.amsgrad = true
            },
            config("adamw") { $0.learningRate = 0.05 },
            config("nadam") { $0.learningRate = 0.05 },
        ]
        for cfg in configs {
            let w = Parameter(name: "w", shape: [4])
            let optimizer = makeOptimizer(cfg)
            optimizer.prepare([w])
            for _ in 0..<1000 {
                for j in 0..<4 { w.grad[j] = curvature[j] * (w.value[j] - target[j]) }
                optimizer.step()
            }
            for j in 0..<4 {
                XCTAssertEqual(w.value[j], target[j], accuracy: 0.01, "\(cfg.type) \(cfg) coordinate \(j)")
            }
        }
    }

    /// Saving slots, scalars and iterations after 2 steps and loading them into a new
    /// optimizer gives the same weights after 5 steps as running straight through.
    /// Oracle: the uninterrupted run; tolerance: exact equality.
    func testResumingFromSavedStateMatchesAnUninterruptedRun() throws {
        let fixture = try OptimizerFixture.load()
        for type in OptimizerConfig.types {
            var cfg = OptimizerConfig.defaults(for: type)
            cfg.momentum = type == "sgd" || type == "rmsprop" ? 0.5 : 0
            cfg.amsgrad = type == "adam"
            let straight = fixture.freshParameters(), resumed = fixture.freshParameters()
            let a = makeOptimizer(cfg)
            a.prepare(straight)
            let first = makeOptimizer(cfg)
            first.prepare(resumed)
            for step in 0..<2 {
                fixture.setGradients(step, straight)
                a.step()
                fixture.setGradients(step, resumed)
                first.step()
            }
            let second = makeOptimizer(cfg)
            second.prepare(resumed)
            second.iterations = first.iterations
            second.scalars = first.scalars
            for i in resumed.indices {
                for (saved, fresh) in zip(first.slots(of: i), second.slots(of: i)) {
                    fresh.tensor.copy(from: saved.tensor)
                }
            }
            for step in 2..<fixture.gradients.count {
                fixture.setGradients(step, straight)
                a.step()
                fixture.setGradients(step, resumed)
                second.step()
            }
            for (x, y) in zip(straight, resumed) { XCTAssertEqual(x.value.array, y.value.array, type) }
        }
    }

    /// A parameter large enough to be split across worker threads (100,003 elements, so
    /// the shards' boundaries fall inside 8-lane blocks) gets the same weights and slots
    /// in 2 and 3 shards as in 1, with weight decay and momentum on.
    /// Oracle: the 1-shard run; tolerance: exact equality.
    func testShardedUpdatesEqualOneShard() {
        let threads = Parallel.threads
        defer { Parallel.setThreads(threads) }
        for type in OptimizerConfig.types {
            var cfg = OptimizerConfig.defaults(for: type)
            cfg.momentum = type == "sgd" || type == "rmsprop" ? 0.5 : 0
            cfg.amsgrad = type == "adam"
            cfg.weightDecay = 0.01
            func run(shards: Int) -> [[Float]] {
                Parallel.setThreads(shards)
                var rng = RNG(seed: 5)
                let p = Parameter(name: "kernel", shape: [100_003])
                for j in 0..<p.value.count { p.value[j] = rng.normal() }
                let optimizer = makeOptimizer(cfg)
                optimizer.prepare([p])
                for _ in 0..<3 {
                    for j in 0..<p.grad.count { p.grad[j] = rng.normal() }
                    optimizer.step()
                }
                return [p.value.array] + optimizer.slots(of: 0).map(\.tensor.array)
            }
            let one = run(shards: 1)
            XCTAssertEqual(run(shards: 2), one, type)
            XCTAssertEqual(run(shards: 3), one, type)
        }
    }

    /// Non-trainable parameters (moving statistics) get no slots, no decay, no update.
    func testNonTrainableParametersAreLeftAlone() {
        let w = Parameter(name: "kernel", shape: [2])
        let stats = Parameter(name: "moving_mean", shape: [2], trainable: false)
        stats.value.fill(3)
        w.grad.fill(1)
        let optimizer = makeOptimizer(config("adamw") { $0.globalClipnorm = 1 })
        optimizer.prepare([w, stats])
        optimizer.step()
        XCTAssertEqual(stats.value.array, [3, 3])
        XCTAssertTrue(optimizer.slots(of: 1).isEmpty)
        XCTAssertEqual(optimizer.slots(of: 0).map(\.name), ["momentum", "velocity"])
        XCTAssertLessThan(w.value[0], 0)
    }

    func testInvalidOptimizersAreSpecErrorsNamingTheKey() {
        func error(_ optimizer: String) -> String? {
            specError(minimalSpec(training: #""loss": "mse", "optimizer": \#(optimizer)"#))
        }
        XCTAssertEqual(
            error(#"{"type": "sgd", "momentum": 1.5}"#), "training.optimizer.momentum: must be in [0, 1], got 1.5")
        XCTAssertEqual(
            error(#"{"type": "adam", "clipnorm": 1, "clipvalue": 0.5}"#),
            "training.optimizer.clipvalue: only one of clipnorm, clipvalue and global_clipnorm can be set (as in Keras)"
        )
        XCTAssertEqual(error(#"{"type": "nadam", "beta_1": 1}"#), "training.optimizer.beta_1: must be in [0, 1), got 1")
        XCTAssertEqual(
            error(#"{"type": "rmsprop", "momentum": -1}"#), "training.optimizer.momentum: must be in [0, 1], got -1")
        XCTAssertEqual(
            error(#"{"type": "rmsprop", "epsilon": 0}"#), "training.optimizer.epsilon: must be > 0, got 0")
        XCTAssertEqual(
            error(#""adadelta""#),
            #"training.optimizer: unknown optimizer "adadelta"; expected one of "sgd", "rmsprop", "adagrad", "adam", "#
                + #""adamw", "nadam""#)
        XCTAssertEqual(OptimizerConfig.defaults(for: "adamw").weightDecay, 0.004)
        XCTAssertEqual(OptimizerConfig.defaults(for: "sgd").learningRate, 0.01)
    }

    private func config(_ type: String, _ edit: (inout OptimizerConfig) -> Void) -> OptimizerConfig {
        var c = OptimizerConfig.defaults(for: type)
        edit(&c)
        return c
    }

    private func assertClose(
        _ actual: [Float], _ expected: [Float], _ message: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(actual.count, expected.count, message, file: file, line: line)
        for (j, (a, e)) in zip(actual, expected).enumerated() {
            XCTAssertEqual(a, e, accuracy: 2e-7 + 2e-6 * abs(e), "\(message) [\(j)]", file: file, line: line)
        }
    }
}

/// Tests/NNRegTests/Fixtures/optimizers.json, written by tools/reference/optimizers.py.
private struct OptimizerFixture: Decodable {
    struct Variable: Decodable {
        let name: String
        let shape: [Int]
        let initial: [Float]
    }

    struct Case: Decodable {
        let name: String
        let config: KerasArguments
        /// weights[step][variable]: flattened values after that step.
        let weights: [[[Float]]]
        /// slots[variable][slot name]: flattened values after the last step.
        let slots: [[String: [Float]]]
        let scalars: [String: Double]
        let iterations: Int
    }

    let keras: String
    let tensorflow: String
    let variables: [Variable]
    /// gradients[step][variable]: flattened.
    let gradients: [[[Float]]]
    let cases: [Case]

    static func load() throws -> OptimizerFixture {
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: "optimizers", withExtension: "json", subdirectory: "Fixtures"),
            "missing fixture; run tools/reference/optimizers.py")
        return try JSONDecoder().decode(OptimizerFixture.self, from: Data(contentsOf: url))
    }

    func freshParameters() -> [Parameter] {
        variables.map { v in
            let p = Parameter(name: v.name, shape: v.shape)
            p.value.copy(from: Tensor(shape: v.shape, values: v.initial))
            return p
        }
    }

    func setGradients(_ step: Int, _ params: [Parameter]) {
        for (p, g) in zip(params, gradients[step]) { p.grad.copy(from: Tensor(shape: p.grad.shape, values: g)) }
    }
}

/// A case's Keras constructor arguments; keys the fixture uses must all be known here.
private struct KerasArguments: Decodable {
    var type: String
    var values: [String: Double] = [:]
    var flags: [String: Bool] = [:]

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private static let numbers = [
        "learning_rate", "momentum", "rho", "beta_1", "beta_2", "epsilon", "initial_accumulator_value",
        "weight_decay", "clipnorm", "clipvalue", "global_clipnorm",
    ]
    private static let booleans = ["nesterov", "centered", "amsgrad"]

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        type = try c.decode(String.self, forKey: Key(stringValue: "type"))
        for key in c.allKeys where key.stringValue != "type" {
            if Self.numbers.contains(key.stringValue) {
                values[key.stringValue] = try c.decode(Double.self, forKey: key)
            } else if Self.booleans.contains(key.stringValue) {
                flags[key.stringValue] = try c.decode(Bool.self, forKey: key)
            } else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: c, debugDescription: "unknown optimizer argument \(key.stringValue)")
            }
        }
    }

    /// Keras defaults for `type`, overridden by the given arguments.
    func resolved() -> OptimizerConfig {
        var c = OptimizerConfig.defaults(for: type)
        func number(_ key: String) -> Float? { values[key].map(Float.init) }
        if let x = number("learning_rate") { c.learningRate = x }
        if let x = number("momentum") { c.momentum = x }
        if let x = number("rho") { c.rho = x }
        if let x = number("beta_1") { c.beta1 = x }
        if let x = number("beta_2") { c.beta2 = x }
        if let x = number("epsilon") { c.epsilon = x }
        if let x = number("initial_accumulator_value") { c.initialAccumulatorValue = x }
        if let x = number("weight_decay") { c.weightDecay = x }
        if let x = number("clipnorm") { c.clipnorm = x }
        if let x = number("clipvalue") { c.clipvalue = x }
        if let x = number("global_clipnorm") { c.globalClipnorm = x }
        if let b = flags["nesterov"] { c.nesterov = b }
        if let b = flags["centered"] { c.centered = b }
        if let b = flags["amsgrad"] { c.amsgrad = b }
        return c
    }
}
