import ArgumentParser
import Foundation
import NNReg

@main
struct NNRegCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nnreg",
        abstract: "Train regularized neural networks from JSON spec files.",
        discussion: """
            Exit status: 0 success, 1 failure while running, 2 bad usage, spec or data.
            Spec files: `nnreg schema` prints their JSON Schema; docs/spec-reference.md
            lists every key.
            """,
        version: nnregVersion,
        subcommands: [
            Train.self, Evaluate.self, Diagnose.self, Predict.self, Summary.self, Validate.self, Compare.self,
            Augment.self, Sweep.self, SchemaCommand.self, Export.self,
            Bench.self,
        ])

    /// ArgumentParser's `main()`, except that usage errors exit with 2 (the contract's
    /// "bad usage") instead of EX_USAGE (64).
    static func main() {
        selectBLASKernels()
        Parallel.setThreads(ProcessInfo.processInfo.activeProcessorCount)  // a spec's training.threads overrides it
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                printErr(fullMessage(for: error))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// Sets OPENBLAS_CORETYPE for AVX-512 CPUs OpenBLAS misdetects, then re-executes so the
/// library (loaded before main) reads it; see `CPUFeatures`. NNREG_BLAS_SELECTED stops loops.
func selectBLASKernels() {
    #if os(Linux)
        guard getenv("OPENBLAS_CORETYPE") == nil, getenv("NNREG_BLAS_SELECTED") == nil,
            let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let core = CPUFeatures.openBLASCoreType(cpuinfo: info)
        else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv("NNREG_BLAS_SELECTED", "1", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)  // returns only on failure: carry on with the default kernels
    #endif
}

/// The trained model evaluate and predict use, and the data they read.
struct ModelAndData: ParsableArguments {
    @Option(help: "A run folder or a .safetensors model file.")
    var model: String

    @Option(help: "A CSV file with the training columns (matched by name), an image folder, or - for standard input.")
    var data: String

    func validate() throws {
        try requireValue(model, "--model")
        try requireValue(data, "--data")
    }
}

/// --max-memory: the memory a model may take (weights, optimizer state, a batch of
/// activations), checked before anything is allocated.
struct MemoryOption: ParsableArguments {
    @Option(help: "Memory a model may take, e.g. 8G or 512M (default: the machine's).")
    var maxMemory: String?

    func validate() throws {
        if let maxMemory {
            guard let bytes = MemoryLimit.parse(maxMemory) else {
                throw ValidationError("--max-memory must be a size such as 8G or 512M, got \(maxMemory)")
            }
            MemoryLimit.bytes = bytes
        }
    }
}

/// --set PATH=VALUE (repeatable): spec values overridden before validation.
struct SpecOverrides: ParsableArguments {
    @Option(
        name: .customLong("set"),
        help: ArgumentHelp(
            "Override one spec value: PATH=VALUE, e.g. training.epochs=5 or 'model.layers[1].rate=0.4' "
                + "(VALUE is JSON; a bare word is a string). Repeatable.", valueName: "path=value"))
    var sets: [String] = []

    /// The spec file with the overrides applied, validated.
    func load(_ path: String) throws -> Spec {
        try Spec.load(path: path, overrides: try sets.map(SpecOverride.init))
    }
}

/// An option given as "" is bad usage, named (exit status 2).
func requireValue(_ value: String, _ flag: String) throws {
    if value.isEmpty { throw ValidationError("\(flag) is empty; give a path") }
}

/// Options every command that prints a result shares.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON document on stdout; messages go to stderr.")
    var json = false
}

/// Runs a command body, mapping errors to messages on stderr and exit statuses:
/// 2 for bad usage, spec or data (the user can fix the input), 1 for failures while running.
func runReporting(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        let status = exitStatus(for: error)
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode(status)
    }
}

/// Writes a JSON document (or text) to stdout.
func printOut(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

func printErr(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// A flag value the command itself rejects is bad usage (exit status 2).
extension ValidationError: UserError {}
