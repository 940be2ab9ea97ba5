import ArgumentParser
import Foundation
import NNReg

/// `nnreg bench ...`: the figures `make bench` prints beside the peers' (hidden from help).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Micro-benchmarks for make bench: sgemm peak, CSV loading, image decoding, augmentation.",
        shouldDisplay: false,
        subcommands: [Sgemm.self, CSVLoad.self, Augment.self, Decode.self])

    struct Sgemm: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "GFLOP/s of sgemm at 1024^3 and at the MLP's shapes.")
        @Option(help: "BLAS threads (default: all cores).") var threads: Int?

        func run() throws {
            BLAS.setThreads(threads ?? ProcessInfo.processInfo.activeProcessorCount)
            // (m, n, k): 1024^3, then the MLP's forward, dW and dx products at batch 128.
            let shapes = [(1024, 1024, 1024), (128, 256, 784), (784, 256, 128), (128, 128, 256), (256, 128, 128)]
            var rows: [(String, JSON)] = []
            for (m, n, k) in shapes {
                rows.append(("\(m)x\(n)x\(k)", .number(gflops(m: m, n: n, k: k))))
            }
            rows.append(("threads", JSON(BLAS.threads)))
            printOut(JSON.object(.init(rows)).pretty())
        }

        /// Best of 5 timings of repeated products lasting ~0.2 s each.
        func gflops(m: Int, n: Int, k: Int) -> Double {
            let a = Tensor(shape: [m, k]), b = Tensor(shape: [k, n]), c = Tensor(shape: [m, n])
            var rng = RNG(seed: 1)
            for i in 0..<a.count { a[i] = rng.normal() }
            for i in 0..<b.count { b[i] = rng.normal() }
            let flop = 2.0 * Double(m * n * k)
            let reps = max(1, Int(4e9 / flop))
            var best = Double.infinity
            for _ in 0..<5 {
                let t0 = DispatchTime.now().uptimeNanoseconds
                for _ in 0..<reps {
                    BLAS.sgemm(m: m, n: n, k: k, a: a.data, lda: k, b: b.data, ldb: n, c: c.data, ldc: n)
                }
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 / Double(reps))
            }
            return (flop / best / 1e9 * 10).rounded() / 10
        }
    }

    struct Augment: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Images/s of on-the-fly augmentation, 28x28x1, the augmentation experiment's options, one thread."
        )
        @Option(help: "Images to augment.") var images = 60_000

        func run() throws {
            let r = Augmenter.experiment(rescale: 1 / 255).benchmark(images: images)
            printOut(
                JSON.object(
                    .init([
                        ("images", JSON(r.images)), ("seconds", .number(r.seconds)),
                        ("images_per_second", .number(r.imagesPerSecond.rounded())),
                    ])
                ).pretty())
        }
    }

    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Images/s of decoding an image folder (all threads).")
        @Argument(help: "A folder of class subfolders.") var folder: String

        func run() throws {
            try runReporting {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let r = try ImageFolder.load(
                    folder, imageSize: nil, colorMode: .grayscale, classNames: nil, onBadFile: .error,
                    threads: ProcessInfo.processInfo.activeProcessorCount)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                let n = r.labels.count
                printOut(
                    JSON.object(
                        .init([
                            ("images", JSON(n)), ("seconds", .number(seconds)),
                            ("images_per_second", .number((Double(n) / seconds).rounded())),
                        ])
                    ).pretty())
            }
        }
    }

    struct CSVLoad: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "csv", abstract: "Seconds to load a labelled CSV (best of 3).")
        @Argument(help: "The CSV file.") var path: String

        func run() throws {
            try runReporting {
                let t = try CSV.timeLoad(path, repeats: 3)
                printOut(
                    JSON.object(
                        .init([("seconds", .number(t.seconds)), ("rows", JSON(t.rows)), ("columns", JSON(t.columns))])
                    ).pretty())
            }
        }
    }
}
