import Foundation

/// The other ranks of `mpirun -np N nnreg sweep`, as rank 0 (the scheduler) sees them.
///
/// Rank 0 keeps the sweep: it picks the trials (halving rungs included), writes the sweep
/// folder, and trains `--jobs` trials itself; each other rank trains one trial at a time
/// as a child `nnreg train`, exactly the command rank 0 would run, writing the trial's run
/// folder (so the sweep folder must be on a file system every rank sees). A rank asks for
/// nothing: rank 0 sends it the next trial as soon as it reports the last one (dynamic
/// scheduling), so long and short trials even out.
///
/// Messages are JSON: {"arguments": [...]} to a rank, {"status": s, "message": m} back,
/// {"stop": true} at the end.
final class RemoteTrials {
    let communicator: Communicator
    private var idle: [Int]
    private var running: [Int: Trial] = [:]

    init(_ communicator: Communicator) {
        self.communicator = communicator
        idle = Array(1..<max(communicator.size, 1))
    }

    /// Whether a rank trains a trial now.
    var busy: Bool { !running.isEmpty }

    /// An idle rank, now reserved for a trial (nil when all are busy).
    func reserve() -> Int? { idle.isEmpty ? nil : idle.removeFirst() }

    /// Gives a reserved rank back unused.
    func release(_ rank: Int) { idle.insert(rank, at: 0) }

    /// Sends `trial` to the reserved `rank`.
    func start(_ trial: Trial, on rank: Int, arguments: [String]) {
        running[rank] = trial
        communicator.send(
            Array(JSON.object(.init([("arguments", .array(arguments.map(JSON.string)))])).compact().utf8), to: rank)
    }

    /// The trials the ranks have finished since the last call (does not wait).
    func finished() -> [(trial: Trial, rank: Int, result: TrainProcess.Result)] {
        var out: [(trial: Trial, rank: Int, result: TrainProcess.Result)] = []
        while communicator.hasMessage(from: nil) {
            let (rank, bytes) = communicator.receive(from: nil)
            guard let trial = running.removeValue(forKey: rank) else { continue }
            let reply = (try? JSON.parse(bytes: bytes))?.objectValue
            let result = TrainProcess.Result(
                status: Int32(reply?["status"]?.intValue ?? 1), message: reply?["message"]?.stringValue ?? "")
            out.append((trial, rank, result))
            idle.append(rank)
        }
        return out
    }

    /// Tells every other rank the sweep is over.
    func stop() {
        for rank in 1..<max(communicator.size, 1) {
            communicator.send(Array(JSON.object(.init([("stop", .bool(true))])).compact().utf8), to: rank)
        }
    }
}

/// A rank other than 0 of `mpirun nnreg sweep`: trains the trials rank 0 sends (each a
/// child `executable train ...`) and reports each one's exit status, until rank 0 says stop.
/// Waits by polling, so a waiting rank leaves its core to the trials.
public func serveSweepTrials(_ communicator: Communicator, executable: String) {
    let process = TrainProcess(executable: executable, spec: "", sets: [], threads: nil, name: "")
    while true {
        while !communicator.hasMessage(from: 0) { usleep(5000) }
        let message = (try? JSON.parse(bytes: communicator.receive(from: 0).bytes))?.objectValue
        guard let arguments = message?["arguments"]?.arrayValue?.compactMap(\.stringValue) else { return }
        let result = process.run(arguments) { _ in }
        let reply = JSON.object(.init([("status", JSON(Int(result.status))), ("message", .string(result.message))]))
        communicator.send(Array(reply.compact().utf8), to: 0)
    }
}
