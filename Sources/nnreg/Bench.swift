import ArgumentParser
import Foundation
import NNReg

/// `nnreg bench ...`: the figures `make bench` prints beside the peers' (hidden from help).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Micro-benchmarks for make bench: sgemm peak, CSV loading, image decoding, augmentation; synthetic images.",
        shouldDisplay: false,
        subcommands: [Sgemm.self, CSVLoad.self, Augment.self, Decode.self, Images.self])

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
        static let configuration = CommandConfiguration(
            abstract: "Images/s of decoding an image folder's files (all threads; nothing kept).")
        @Argument(help: "A folder of class subfolders.") var folder: String
        @Option(help: "grayscale or rgb: the channels images are converted to.") var colorMode = "grayscale"

        func run() throws {
            guard let mode = ImageFolder.ColorMode(rawValue: colorMode) else {
                throw ValidationError("--color-mode must be grayscale or rgb, got \(colorMode)")
            }
            try runReporting {
                let files = try ImageFolder.scan(folder, classNames: nil).files.map(\.path)
                let t0 = DispatchTime.now().uptimeNanoseconds
                let workers = ProcessInfo.processInfo.activeProcessorCount
                let failed = NSLock()
                var failure: Error?
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    do {
                        for i in stride(from: w, to: files.count, by: workers) {
                            _ = try ImageCodec.read(files[i]).converted(toChannels: mode.channels)
                        }
                    } catch {
                        failed.withLock { failure = failure ?? error }
                    }
                }
                if let failure { throw failure }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                printOut(
                    JSON.object(
                        .init([
                            ("images", JSON(files.count)), ("seconds", .number(seconds)),
                            ("images_per_second", .number((Double(files.count) / seconds).rounded())),
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

    struct Images: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Writes a seeded folder of synthetic JPEGs in class subfolders (the streaming benchmark's data).")
        @Argument(help: "The folder to create (must not exist).") var folder: String
        @Option(help: "Images to write.") var count = 100_000
        @Option(help: "Height and width of every image.") var size = 160
        @Option(help: "Classes (stripe orientations).") var classes = 2
        @Option(help: "Seed of the images.") var seed: UInt64 = 1

        func validate() throws {
            guard count > 0, size > 0, classes > 0 else {
                throw ValidationError("--count, --size and --classes must be positive")
            }
        }

        func run() throws {
            try runReporting {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let bytes = try SyntheticImages.write(
                    to: folder, count: count, height: size, width: size, classes: classes, seed: seed)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                printOut(
                    JSON.object(
                        .init([
                            ("images", JSON(count)), ("bytes", JSON(bytes)), ("seconds", .number(seconds)),
                        ])
                    ).pretty())
            }
        }
    }
}
