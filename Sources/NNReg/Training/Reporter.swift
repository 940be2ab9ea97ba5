import Foundation

/// Where training progress goes: a live bar on a terminal, one plain line per epoch
/// otherwise, nothing with --quiet. Progress never goes to stdout when stdout carries JSON.
public final class Reporter {
    public enum Style { case live, lines, quiet }
    public let style: Style
    private let fd: Int32
    private var lastDraw = 0.0
    private var barShown = false

    /// `json`: stdout is reserved for the result document, so progress goes to stderr.
    public init(quiet: Bool, json: Bool) {
        fd = json ? STDERR_FILENO : STDOUT_FILENO
        if quiet { style = .quiet } else { style = isatty(fd) == 1 ? .live : .lines }
    }

    public func message(_ text: String) {
        guard style != .quiet else { return }
        write(text + "\n")
    }

    /// Something the user should know about their input (a clamped batch size, skipped
    /// files): on stderr, "note: ...", even with --quiet.
    public func note(_ text: String) {
        var line = "note: " + text + "\n"
        line.withUTF8 { _ = writeFully(STDERR_FILENO, from: UnsafeRawBufferPointer($0)) }
    }

    /// Redraws the bar (at most 10 times a second) on a terminal.
    public func batch(epoch: Int, epochs: Int, batch: Int, batches: Int, loss: Double, started: Double) {
        guard style == .live else { return }
        let now = Date().timeIntervalSince1970
        guard now - lastDraw > 0.1 || batch + 1 == batches else { return }
        lastDraw = now
        barShown = true
        let width = 30
        let done = (batch + 1) * width / max(batches, 1)
        let bar =
            String(repeating: "=", count: done) + (done < width ? ">" : "")
            + String(repeating: ".", count: max(width - done - 1, 0))
        let elapsed = now - started
        let eta = elapsed / Double(batch + 1) * Double(batches - batch - 1)
        write(
            "\r\u{1B}[2Kepoch \(epoch + 1)/\(epochs) [\(bar)] \(batch + 1)/\(batches) - loss: \(Reporter.format(loss)) - eta \(String(format: "%.0f", eta))s"
        )
    }

    /// Ends a bar left on the screen (before an error message).
    public func endBar() {
        if barShown { write("\n") }
        barShown = false
    }

    /// The epoch's summary line (replacing the bar on a terminal).
    public func epoch(_ epoch: Int, epochs: Int, values: [(String, Double)], note: String) {
        guard style != .quiet else { return }
        var parts = ["epoch \(epoch + 1)/\(epochs)"]
        for (k, v) in values where k != "epoch" {
            parts.append(k == "seconds" ? String(format: "%.1fs", v) : "\(k): \(Reporter.format(v))")
        }
        let line = parts.joined(separator: " - ") + (note.isEmpty ? "" : " | " + note)
        write((style == .live ? "\r\u{1B}[2K" : "") + line + "\n")
        barShown = false
    }

    /// A value as nnreg's text output shows it: 4 decimals, or 4 significant digits below 0.001.
    static func format(_ v: Double) -> String {
        if v.isNaN { return "nan" }
        return abs(v) >= 1e-3 || v == 0 ? String(format: "%.4f", v) : String(format: "%.3e", v)
    }

    private func write(_ s: String) {
        var s = s
        s.withUTF8 { buf in
            var off = 0
            while off < buf.count {
                let n = Foundation.write(fd, buf.baseAddress! + off, buf.count - off)
                if n <= 0 { break }
                off += n
            }
        }
    }
}

/// Progress as training goes: the live bar during an epoch, then the epoch's line with
/// what the other callbacks noted.
final class ProgressCallback: TrainingCallback {
    func epochBegin(_ epoch: Int, _ run: TrainingContext) {
        let started = Date().timeIntervalSince1970
        let (reporter, epochs) = (run.reporter, run.epochs)
        run.trainer.onBatch = { b, n, loss in
            reporter.batch(epoch: epoch, epochs: epochs, batch: b, batches: n, loss: loss, started: started)
        }
    }

    func epochEnd(_ epoch: Int, _ run: TrainingContext) throws -> Bool {
        run.reporter.epoch(
            epoch, epochs: run.epochs, values: run.record.values, note: run.notes.joined(separator: "; "))
        return false
    }
}
