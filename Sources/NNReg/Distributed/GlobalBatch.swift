/// The global batch of a data-parallel training step: its rows over all ranks, and the
/// communicator that adds up the ranks' sums. Set by the trainer before each step.
///
/// Layers whose training statistics span the batch (`GlobalBatchLayer`: batch
/// normalization) all-reduce their sums through it, so N ranks compute the statistics one
/// process would; the activity penalties divide by its rows.
public final class GlobalBatch {
    public let communicator: Communicator
    /// Rows of the current batch, all ranks' shares together.
    public var rows = 0

    public init(communicator: Communicator) { self.communicator = communicator }
}

/// A layer whose training statistics span the batch: it is given the `GlobalBatch`.
public protocol GlobalBatchLayer: AnyObject {
    var globalBatch: GlobalBatch? { get set }
}

extension Sequential {
    /// Gives `batch` to every layer that needs it, inside residual blocks too.
    public func attach(_ batch: GlobalBatch) {
        globalBatch = batch
        func visit(_ layers: [Layer]) {
            for layer in layers {
                if let l = layer as? GlobalBatchLayer { l.globalBatch = batch }
                if let r = layer as? Residual { visit(r.layers) }
            }
        }
        visit(layers)
    }
}
