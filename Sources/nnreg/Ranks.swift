import ArgumentParser
import Foundation
import NNReg

/// Runs a command's body on this process's rank of an mpirun job (or as the one process),
/// so that a failure ends the whole job with one message and exit status 1 (2 for bad
/// input), never a hang.
///
/// - An `ExitCode` is every rank's own decision, taken at the same step (a non-finite loss,
///   Ctrl-C on any rank: the ranks vote each step), so the ranks leave MPI together.
/// - Any other error may be this rank's alone (a file it cannot write, no memory): the
///   message goes to stderr and MPI_Abort ends every rank. A rank other than 0 waits a
///   moment first, so that an error all ranks meet (a bad spec) is reported once, by rank 0.
/// - SIGTERM, which mpirun sends every rank on Ctrl-C or when a rank dies, ends this rank
///   with status 1 (so mpirun's is 1), rank 0 saying what happened. Files are written
///   atomically, so the run folder keeps the last finished epoch for `--resume`.
func onRanks(_ communicator: Communicator, _ body: () throws -> Void) throws {
    guard communicator.size > 1 else {
        try body()
        return
    }
    if communicator.isRoot {
        terminationMessage = strdup(
            "error: the mpirun job was stopped (Ctrl-C, or a rank failed or was killed); the run folder keeps "
                + "the last finished epoch: run the same mpirun command with --resume to continue\n")
    }
    signal(SIGTERM) { _ in
        if let message = terminationMessage { _ = write(STDERR_FILENO, message, strlen(message)) }
        _exit(1)
    }
    do {
        try body()
    } catch let code as ExitCode {
        communicator.finish()
        throw code
    } catch {
        if !communicator.isRoot { usleep(2_000_000) }
        let prefix = communicator.isRoot ? "" : "rank \(communicator.rank): "
        printErr("error: " + prefix + "\(error)")
        communicator.abort(code: exitStatus(for: error))
    }
    communicator.finish()
}

/// What rank 0 prints on SIGTERM (made before the handler is installed: a signal handler
/// may only call async-signal-safe functions).
nonisolated(unsafe) private var terminationMessage: UnsafeMutablePointer<CChar>?
