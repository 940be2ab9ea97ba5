import Foundation

/// An ensemble under mpirun: its members are spread over the ranks, member k trained in
/// one process by rank k mod N (the members are independent, so this needs no all-reduce
/// and gives each member exactly its one-process result). Rank 0 still writes the whole
/// run folder: when every rank is done, each member's weights and state are broadcast from
/// the rank that trained it, and its folder members/k/ is copied into rank 0's.
///
/// A member that another rank was training when the job was killed has no files in the
/// run folder yet: `--resume` trains it again from the start (the same result, later).
extension TrainingRun {
    /// Whether the members are spread over the ranks (an ensemble under mpirun).
    var spreadsMembers: Bool { communicator.size > 1 && spec.training.ensembleMembers > 1 }

    /// The rank that trains member `k`.
    func owner(of k: Int) -> Int { spreadsMembers ? k % communicator.size : communicator.rank }

    /// The epoch member `k` starts from: 0, or the epochs a resume restored. Data parallel,
    /// every rank restores and then takes rank 0's weights and epoch; spread, the member's
    /// rank restores it when the run folder has its last.safetensors.
    func start(_ loop: TrainingLoop, member k: Int) throws -> Int {
        // An ensemble interrupted during member k has no files of the members after it:
        // those start from the beginning.
        let saved = FileManager.default.fileExists(atPath: loop.run.resumeFolder + "/last.safetensors")
        guard spreadsMembers else {
            let start = options.resume && saved ? try loop.restore() : 0
            for p in loop.run.network.namedParameters { communicator.broadcast(p.parameter.value) }
            guard communicator.broadcast(String(start)) == String(start) else {
                throw DataError("rank \(communicator.rank) would resume after epoch \(start), rank 0 elsewhere")
            }
            return start
        }
        return owner(of: k) == communicator.rank && options.resume && saved ? try loop.restore() : 0
    }

    /// After the spread members trained: every member's weights, best epoch and stop reason
    /// reach every rank, and the files of those trained elsewhere reach rank 0's folder.
    func gatherMembers(_ loops: [TrainingLoop], _ files: RunFolder) throws {
        for (k, loop) in loops.enumerated() {
            let owner = owner(of: k), mine = owner == communicator.rank, run = loop.run
            for p in run.network.namedParameters { communicator.broadcast(p.parameter.value, root: owner) }
            let state: JSON = [
                "best_epoch": run.bestEpoch.map { JSON($0) } ?? .null, "stop_reason": .string(run.stopReason),
            ]
            let received = try JSON.parse(communicator.broadcast(mine ? state.compact() : "", root: owner)).objectValue
            run.bestEpoch = received?["best_epoch"]?.intValue
            run.stopReason = received?["stop_reason"]?.stringValue ?? ""
            guard owner != 0 else { continue }
            let names = mine ? memberFiles(run.folder) : []
            let list = communicator.broadcast(JSON.array(names.map(JSON.string)).compact(), root: owner)
            for name in (try JSON.parse(list)).arrayValue?.compactMap(\.stringValue) ?? [] {
                let bytes = communicator.broadcast(
                    bytes: mine ? try readFileBytes(run.folder + "/" + name) : [], root: owner)
                if communicator.isRoot { try writeAtomically(bytes, to: try run.claim(name)) }
            }
            if communicator.isRoot { run.history = try RunFiles.readHistory(run.folder + "/history.json") }
            reporter.message("member \(k + 1)/\(loops.count) (seed \(spec.seed &+ UInt64(k))) trained on rank \(owner)")
        }
    }

    /// The files a member's training wrote in `folder` (relative names, checkpoints too).
    private func memberFiles(_ folder: String) -> [String] {
        let all = (try? FileManager.default.subpathsOfDirectory(atPath: folder)) ?? []
        return all.filter { RunFolder.isRunFile($0) && !$0.hasPrefix(".") && !$0.contains("/.") }.sorted()
    }
}

extension TrainingRun {
    /// Where a rank other than 0 writes the files rank 0 keeps: a folder of its own in the
    /// temporary directory, deleted at the end. Those that ranks killed by mpirun left
    /// behind (their process is gone) are deleted first.
    static func scratchFolder(rank: Int) -> String {
        let temporary = NSTemporaryDirectory(), prefix = "nnreg-rank\(rank)-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? [] where name.hasPrefix(prefix)
        {
            if let pid = Int32(name.dropFirst(prefix.count)), kill(pid, 0) != 0, errno == ESRCH {
                try? FileManager.default.removeItem(atPath: temporary + "/" + name)
            }
        }
        return temporary + "/" + prefix + String(getpid())
    }
}
