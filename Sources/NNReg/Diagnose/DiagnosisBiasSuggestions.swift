import Foundation

/// High bias: more capacity, less regularization, more or better training.
extension SuggestionRanking {
    func bias() -> [Suggestion] {
        // Penalties that dominate the loss, pull the weights towards 0 or have strong factors.
        let heavy =
            (history.penaltyShare ?? 0) >= 0.25 || (history.normGrowth ?? 1) < 0.5 || strongestPenalty >= 0.01
        return ranked([
            (1, biggerModel()),
            (heavy ? 0 : 2, lessWeightPenalty()),
            (3, lessDropout()),
            (4, lessNoise()),
            (0.5, moreEpochs()),
            (6, learningRate()),
            (7, optimizer()),
            (8, lessLabelSmoothing()),
        ])
    }

    func biggerModel() -> Suggestion? {
        if roles.hidden.isEmpty {
            guard let output = roles.output, roles.layers[output].type == "dense" else { return nil }
            return Suggestion(
                technique: "bigger_model",
                reason:
                    "the model has no hidden layer: one of 64 relu units before the output lets it fit more than a linear function",
                sets: [roles.inserting(["type": "dense", "units": 64, "activation": "relu"], before: [output])])
        }
        let narrow = roles.hidden.filter { roles.width($0)!.value < 4096 }
        guard !narrow.isEmpty else { return nil }
        return Suggestion(
            technique: "bigger_model",
            reason: "double the width of " + narrow.map { roles.name($0) }.joined(separator: ", ")
                + ": more capacity to fit the training data",
            sets: narrow.map { i in
                let (key, value) = roles.width(i)!
                return roles.set(i, key, JSON(min(4096, value * 2)))
            })
    }

    /// Every L1 and L2 factor of the layers' regularizers: (layer, "kernel_regularizer.l2", factor).
    var penaltyFactors: [(index: Int, key: String, factor: Double)] {
        roles.layers.indices.flatMap { i in
            roles.layers[i].options.keys.sorted().filter { $0.hasSuffix("_regularizer") }.flatMap { key in
                let factors = roles.layers[i].options[key]?.objectValue
                return ["l1", "l2"].compactMap { f in
                    factors?[f]?.doubleValue.flatMap { $0 > 0 ? (i, key + "." + f, $0) : nil }
                }
            }
        }
    }

    var strongestPenalty: Double { penaltyFactors.map(\.factor).max() ?? 0 }

    func lessWeightPenalty() -> Suggestion? {
        var sets = penaltyFactors.map { roles.set($0.index, $0.key, .number(rounded($0.factor / 10))) }
        let optimizer = facts.spec.resolvedJSON().objectValue?["training"]?.objectValue?["optimizer"]?.objectValue
        if let decay = optimizer?["weight_decay"]?.doubleValue, decay > 0 {
            sets.append("training.optimizer.weight_decay=\(JSON.number(rounded(decay / 10)).compact())")
        }
        guard !sets.isEmpty else { return nil }
        var why = "L1/L2 factors up to \(rounded(strongestPenalty)) pull the weights towards 0"
        if let share = history.penaltyShare, share >= 0.25 {
            why = "the penalty is \(Int((share * 100).rounded()))% of the training loss"
        } else if let growth = history.normGrowth, growth < 0.5 {
            why = "the weights' norm shrank to x\(String(format: "%.2f", growth)) of its start in training"
        }
        return Suggestion(
            technique: "less_weight_penalty",
            reason: why + ": lower the factors tenfold so that fitting the data counts for more", sets: sets)
    }

    func lessDropout() -> Suggestion? {
        let active = roles.dropRates.filter { $0.rate > 0 }
        guard !active.isEmpty else { return nil }
        return Suggestion(
            technique: "less_dropout",
            reason: "halve the drop rates of "
                + Set(active.map(\.index)).sorted().map { roles.name($0) }.joined(separator: ", ")
                + ": dropping units in training leaves the network less capacity than its size",
            sets: active.map { roles.set($0.index, $0.key, .number($0.rate <= 0.1 ? 0 : rounded($0.rate / 2))) })
    }

    func lessNoise() -> Suggestion? {
        let noisy = roles.noises.filter { $0.stddev > 0 }
        guard !noisy.isEmpty else { return nil }
        return Suggestion(
            technique: "less_noise",
            reason: "halve the Gaussian noise of " + noisy.map { roles.name($0.index) }.joined(separator: ", ")
                + ": the noise hides detail the model needs to fit",
            sets: noisy.map { roles.set($0.index, "stddev", .number($0.stddev <= 0.02 ? 0 : rounded($0.stddev / 2))) })
    }

    func lessLabelSmoothing() -> Suggestion? {
        let smoothing = Double(facts.spec.training.loss.labelSmoothing)
        guard smoothing > 0 else { return nil }
        return Suggestion(
            technique: "less_label_smoothing",
            reason: "label smoothing (\(rounded(smoothing))) keeps the model from fitting the training labels exactly",
            sets: ["training.loss.label_smoothing=0"])
    }

    func moreEpochs() -> Suggestion? {
        guard history.ranToLimit, history.stillImproving else { return nil }
        let epochs = facts.spec.training.epochs
        return Suggestion(
            technique: "more_epochs",
            reason:
                "training stopped at the epoch limit (\(epochs)) with the training loss still falling: train for \(epochs * 2)",
            sets: ["training.epochs=\(epochs * 2)"])
    }

    /// Lower when the training loss rose between late epochs, higher when it was still
    /// falling steadily at the epoch limit.
    func learningRate() -> Suggestion? {
        let optimizer = facts.spec.resolvedJSON().objectValue?["training"]?.objectValue?["optimizer"]?.objectValue
        guard let lr = optimizer?["learning_rate"]?.doubleValue else { return nil }
        func set(_ v: Double) -> [String] { ["training.optimizer.learning_rate=\(JSON.number(rounded(v)).compact())"] }
        if history.lossRose {
            return Suggestion(
                technique: "learning_rate",
                reason:
                    "the training loss rose between late epochs: smaller steps (learning rate / 3) let it settle lower",
                sets: set(lr / 3))
        }
        guard history.ranToLimit && history.stillImproving && lr < 0.1 else { return nil }
        return Suggestion(
            technique: "learning_rate",
            reason:
                "the training loss was still falling steadily at the end: larger steps (learning rate x 3) get further in the same epochs",
            sets: set(min(0.1, lr * 3)))
    }

    func optimizer() -> Suggestion? {
        let config = facts.spec.training.optimizer
        guard (config.type == "sgd" && config.momentum == 0) || config.type == "adagrad" else { return nil }
        return Suggestion(
            technique: "optimizer",
            reason:
                "\(config.type)\(config.type == "sgd" ? " without momentum" : "") fits slowly; Adam adapts each weight's step size",
            sets: [#"training.optimizer={"type": "adam", "learning_rate": 0.001}"#])
    }
}
