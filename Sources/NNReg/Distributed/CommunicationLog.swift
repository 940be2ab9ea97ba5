import Foundation

/// A communicator that counts what passes through it: all-reduce calls, their bytes and
/// the seconds spent in them (waiting for the slowest rank included). Training under
/// mpirun uses it to report the share of step time spent communicating (docs/scaling.md).
public final class CommunicationLog: Communicator {
    public let inner: Communicator
    public private(set) var calls = 0
    public private(set) var bytes = 0
    public private(set) var seconds = 0.0

    public init(_ inner: Communicator) { self.inner = inner }

    public var rank: Int { inner.rank }
    public var size: Int { inner.size }

    private func timed(_ count: Int, _ body: () -> Void) {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        seconds += Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        calls += 1
        bytes += count
    }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) {
        timed(buffer.count * 4) { inner.allreduceSum(buffer) }
    }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) {
        timed(buffer.count * 8) { inner.allreduceSum(buffer) }
    }

    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) { inner.broadcast(buffer, root: root) }
    public func send(_ bytes: [UInt8], to destination: Int) { inner.send(bytes, to: destination) }
    public func hasMessage(from source: Int?) -> Bool { inner.hasMessage(from: source) }
    public func receive(from source: Int?) -> (source: Int, bytes: [UInt8]) { inner.receive(from: source) }
    public func abort(code: Int32) -> Never { inner.abort(code: code) }
    public func finish() { inner.finish() }
}
