import Foundation

/// The processes a data-parallel run spans (`mpirun -np N`): what training needs from them
/// and nothing more. `SingleProcess` is the one-process case (no MPI), `OpenMPI` the ranks
/// of an Open MPI job.
///
/// Every call is collective: all ranks make the same calls in the same order, or the job
/// hangs. Sums come back identical on every rank, so every rank takes the same decisions.
public protocol Communicator: AnyObject {
    /// 0 ..< size; rank 0 writes the files and prints.
    var rank: Int { get }
    var size: Int { get }
    /// Sums `buffer` element-wise over the ranks, in place.
    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>)
    /// Sums `buffer` element-wise over the ranks, in place.
    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>)
    /// Copies rank `root`'s `buffer` into every rank's.
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int)
    /// Sends `bytes` to rank `destination` (point to point: a distributed sweep's messages).
    func send(_ bytes: [UInt8], to destination: Int)
    /// Whether a message from `source` (nil: any rank) is waiting; does not block.
    func hasMessage(from source: Int?) -> Bool
    /// Receives the next message from `source` (nil: any rank), waiting for it; returns its sender.
    func receive(from source: Int?) -> (source: Int, bytes: [UInt8])
    /// Ends every rank's process with exit status `code` (after a failure on this one).
    func abort(code: Int32) -> Never
    /// Leaves the job (after the last collective call).
    func finish()
}

extension Communicator {
    /// Rank 0: the rank that writes files and prints progress.
    public var isRoot: Bool { rank == 0 }

    /// This rank's share of the rows `range` (a global batch): consecutive, sizes differing
    /// by at most one, rank 0 first. A share can be empty when the range has fewer rows than ranks.
    public func share(of range: Range<Int>) -> Range<Int> {
        let n = range.count
        return (range.lowerBound + n * rank / size)..<(range.lowerBound + n * (rank + 1) / size)
    }

    /// Broadcasts rank `root`'s `values`.
    public func broadcast(_ values: Tensor, root: Int = 0) {
        broadcast(UnsafeMutableRawBufferPointer(start: values.data, count: values.count * 4), root: root)
    }

    /// Broadcasts rank `root`'s bytes (their count first); returns them on every rank.
    public func broadcast(bytes: [UInt8], root: Int = 0) -> [UInt8] {
        var bytes = bytes
        var count = bytes.count
        withUnsafeMutableBytes(of: &count) { broadcast($0, root: root) }
        if bytes.count != count { bytes = [UInt8](repeating: 0, count: count) }
        bytes.withUnsafeMutableBytes { broadcast($0, root: root) }
        return bytes
    }

    /// Broadcasts rank `root`'s string.
    public func broadcast(_ text: String, root: Int = 0) -> String {
        String(decoding: broadcast(bytes: Array(text.utf8), root: root), as: UTF8.self)
    }
}

/// One process, no MPI: sums and broadcasts leave the buffers as they are.
public final class SingleProcess: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) {}
    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) {}
    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) {}
    public func send(_ bytes: [UInt8], to destination: Int) {
        preconditionFailure("one process has no rank to send to")
    }
    public func hasMessage(from source: Int?) -> Bool { false }
    public func receive(from source: Int?) -> (source: Int, bytes: [UInt8]) {
        preconditionFailure("one process has no rank to receive from")
    }
    public func abort(code: Int32) -> Never { exit(code) }
    public func finish() {}
}
