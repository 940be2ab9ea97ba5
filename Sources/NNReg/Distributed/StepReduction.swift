/// The one buffer a data-parallel training step all-reduces: every trainable parameter's
/// gradient, then the step's data-loss sum, its activity penalty and the ranks' stop votes.
///
/// Each rank's gradients are already its share of the global batch's mean (the trainer
/// scales the loss gradient by rows / global rows), so their sum is the gradient one
/// process would compute. Allocated once; with one process it copies nothing.
final class StepReduction {
    let communicator: Communicator
    private let parameters: [Parameter]
    private let buffer: UnsafeMutableBufferPointer<Float>
    /// Floats per step: the gradients and three sums.
    var count: Int { buffer.count }

    init(communicator: Communicator, parameters: [Parameter]) {
        self.communicator = communicator
        self.parameters = parameters
        let gradients = communicator.size > 1 ? parameters.reduce(0) { $0 + $1.grad.count } : 0
        buffer = .allocate(capacity: gradients + 3)
        buffer.initialize(repeating: 0)
    }

    deinit { buffer.deallocate() }

    /// Adds up the ranks' gradients (in place, in each parameter's grad) with this rank's
    /// data-loss sum (mean loss times its rows), activity penalty and stop vote; returns
    /// the sums, the same on every rank.
    func sum(dataLoss: Double, penalty: Double, stop: Bool) -> (dataLoss: Double, penalty: Double, stop: Bool) {
        guard communicator.size > 1, let base = buffer.baseAddress else { return (dataLoss, penalty, stop) }
        var offset = 0
        for p in parameters {
            (base + offset).update(from: p.grad.data, count: p.grad.count)
            offset += p.grad.count
        }
        (base[offset], base[offset + 1], base[offset + 2]) = (Float(dataLoss), Float(penalty), stop ? 1 : 0)
        communicator.allreduceSum(buffer)
        offset = 0
        for p in parameters {
            p.grad.data.update(from: base + offset, count: p.grad.count)
            offset += p.grad.count
        }
        return (Double(base[offset]), Double(base[offset + 1]), base[offset + 2] > 0)
    }

    /// Adds up the ranks' metric sums (once per epoch), so every rank reports the same.
    func sum(_ metrics: [Metric]) {
        guard communicator.size > 1 else { return }
        var all = metrics.flatMap(\.sums)
        all.withUnsafeMutableBufferPointer { communicator.allreduceSum($0) }
        var offset = 0
        for m in metrics {
            let n = m.sums.count
            m.sums = Array(all[offset..<(offset + n)])
            offset += n
        }
    }
}
