import Foundation

/// One line of a plot panel: a history value against epoch.
struct PlotCurve {
    /// The history name drawn ("val_loss"): the `data-series` attribute of its polylines.
    var key: String
    /// The run the line belongs to in an overlay of runs (the `data-run` attribute); nil in loss.svg.
    var run: String?
    var color: String
    var dashed: Bool
    /// The epochs that recorded `key`, with the value there; non-finite values leave gaps.
    var points: [(epoch: Int, value: Double)]

    /// `key` from every record that has it.
    init(_ records: [HistoryRecord], key: String, run: String? = nil, color: String, dashed: Bool = false) {
        self.key = key
        self.run = run
        self.color = color
        self.dashed = dashed
        points = records.compactMap { r in r[key].map { (r.epoch, $0) } }
    }

    /// Points given as they are (x need not be an epoch: see `PlotPanel.xLabel`).
    init(points: [(epoch: Int, value: Double)], key: String, color: String, dashed: Bool = false) {
        self.key = key
        self.color = color
        self.dashed = dashed
        self.points = points
    }
}

/// A legend line: its text beside a short stroke in a curve's colour and dash.
struct PlotLegendEntry {
    var label: String
    var color: String
    var dashed = false
}

/// One panel of a chart: a quantity (loss or a metric) against epoch, its curves, and the
/// legend drawn in the panel's emptiest corner (none when empty).
struct PlotPanel {
    var metric: String
    var curves: [PlotCurve]
    var legend: [PlotLegendEntry] = []
    /// What x counts, and its values when they are not the chart's epochs (a sweep's
    /// configurations by rank).
    var xLabel = "epoch"
    var xValues: [Int]? = nil
}

extension RunFiles {
    /// loss.svg: a self-contained SVG of the training and validation loss per epoch,
    /// with a second panel for the first metric (accuracy when recorded). Axes,
    /// ticks, grid, labels, legend and title are drawn; a loss spanning two or more
    /// decades gets a log scale. Non-finite values leave gaps (listed under the
    /// panel); a single epoch or a constant series still draws visible points.
    ///
    /// - Parameters:
    ///   - title: the heading, usually the spec's name.
    ///   - bestEpoch: marked with a dashed vertical line (e.g. the restored epoch).
    public static func lossSVG(_ records: [HistoryRecord], title: String, bestEpoch: Int? = nil) -> String {
        let panels = (["loss"] + (plottedMetric(records).map { [$0] } ?? [])).map { name -> PlotPanel in
            let series = [(name, "training", trainColor), ("val_" + name, "validation", valColor)]
                .map { (curve: PlotCurve(records, key: $0.0, color: $0.2), label: $0.1) }
                .filter { !$0.curve.points.isEmpty }
            return PlotPanel(
                metric: name, curves: series.map(\.curve),
                legend: series.map { PlotLegendEntry(label: $0.label, color: $0.curve.color) })
        }
        return chartSVG(title: title, panels: panels, epochs: records.map(\.epoch), bestEpoch: bestEpoch)
    }

    /// Writes `lossSVG` to `path` atomically.
    public static func writeLossSVG(
        _ records: [HistoryRecord], title: String, bestEpoch: Int? = nil, to path: String
    ) throws {
        try writeAtomically(lossSVG(records, title: title, bestEpoch: bestEpoch), to: path)
    }

    /// The metric plotted beside the loss: accuracy when recorded, else the first training
    /// value that is not the loss, the learning rate or the time; nil when there is none.
    static func plottedMetric(_ records: [HistoryRecord]) -> String? {
        if records.contains(where: { $0["accuracy"] != nil }) { return "accuracy" }
        return historyColumns(records).first {
            !$0.hasPrefix("val_") && !["loss", "learning_rate", "seconds"].contains($0)
        }
    }

    /// A self-contained SVG: `title` over `panels` side by side (480 wide each, at least
    /// 392 high), each drawn by `panel`, over the x axis of `epochs`; `sideLegend`, when
    /// given, is one legend to the right of the panels (for many curves).
    static func chartSVG(
        title: String, panels: [PlotPanel], epochs: [Int], bestEpoch: Int? = nil,
        sideLegend: [PlotLegendEntry] = []
    ) -> String {
        let panelWidth = 480.0
        let legend = legendSize(sideLegend)
        let height = max(392.0, 78 + legend.height + 24)
        let width = panelWidth * Double(panels.count) + (sideLegend.isEmpty ? 0 : legend.width + 16)
        var svg = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(width)) \(Int(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">
            <title>\(xml(title))</title>
            <rect width="100%" height="100%" fill="#ffffff"/>
            <text x="\(f(width / 2))" y="26" font-size="17" font-weight="bold" fill="#222222" \
            text-anchor="middle">\(xml(title))</text>

            """
        for (i, p) in panels.enumerated() {
            let frame = Frame(
                left: Double(i) * panelWidth + 72, right: Double(i + 1) * panelWidth - 24, top: 78, bottom: height - 62)
            svg += panel(p, epochs: p.xValues ?? epochs, frame: frame, bestEpoch: p.xValues == nil ? bestEpoch : nil)
        }
        if !sideLegend.isEmpty {
            svg += legendBox(sideLegend, x: panelWidth * Double(panels.count), y: 78, width: legend.width)
        }
        return svg + "</svg>\n"
    }

    private struct Frame {
        let left, right, top, bottom: Double
        var width: Double { right - left }
        var height: Double { bottom - top }
    }

    private static let trainColor = "#1f77b4", valColor = "#ff7f0e"

    /// One panel: its curves against epoch, within `frame`.
    private static func panel(_ panel: PlotPanel, epochs: [Int], frame: Frame, bestEpoch: Int?) -> String {
        let name = panel.metric
        let values = panel.curves.flatMap { $0.points.map(\.value) }
        let y = LossPlotAxis(values: values, allowLog: name == "loss")
        let x = LossPlotAxis(epochs: epochs)
        // Keep the end points off the axis lines.
        func px(_ e: Double) -> Double { frame.left + 10 + x.fraction(e) * (frame.width - 20) }
        func py(_ v: Double) -> Double { frame.bottom - y.fraction(v) * frame.height }

        let label =
            ["mae", "mse", "auc"].contains(name) ? name.uppercased() : name.replacingOccurrences(of: "_", with: " ")
        var out = "<g class=\"panel\" data-metric=\"\(xml(name))\">\n"
        out += text(
            frame.left + frame.width / 2, frame.top - 22, label.prefix(1).uppercased() + label.dropFirst(),
            size: 14, anchor: "middle", extra: " font-weight=\"bold\"")

        // Grid and y ticks.
        for v in y.minorTicks {
            out += line(frame.left, py(v), frame.right, py(v), color: "#f2f2f2")
        }
        for v in y.ticks {
            out += line(frame.left, py(v), frame.right, py(v), color: "#e0e0e0")
            out += line(frame.left - 5, py(v), frame.left, py(v), color: "#333333")
            out += text(frame.left - 8, py(v) + 4, y.label(v), size: 11, anchor: "end")
        }
        for e in epochs.isEmpty ? [] : x.ticks {
            out += line(px(e), frame.bottom, px(e), frame.bottom + 5, color: "#333333")
            out += text(px(e), frame.bottom + 19, x.label(e), size: 11, anchor: "middle")
        }
        out +=
            "<rect x=\"\(f(frame.left))\" y=\"\(f(frame.top))\" width=\"\(f(frame.width))\" "
            + "height=\"\(f(frame.height))\" fill=\"none\" stroke=\"#333333\" stroke-width=\"1\"/>\n"
        out += text(frame.left + frame.width / 2, frame.bottom + 40, panel.xLabel, size: 12, anchor: "middle")
        let yLabel = label + (y.isLog ? " (log scale)" : "")
        let cx = frame.left - 52
        let cy = frame.top + frame.height / 2
        out += text(cx, cy, yLabel, size: 12, anchor: "middle", extra: " transform=\"rotate(-90 \(f(cx)) \(f(cy)))\"")

        if epochs.isEmpty {
            out += text(frame.left + frame.width / 2, cy, "no epochs recorded", size: 13, anchor: "middle")
        }
        if let best = bestEpoch, epochs.contains(best) {
            let bx = px(Double(best))
            out +=
                "<line class=\"best\" x1=\"\(f(bx))\" y1=\"\(f(frame.top))\" x2=\"\(f(bx))\" "
                + "y2=\"\(f(frame.bottom))\" stroke=\"#666666\" stroke-width=\"1\" stroke-dasharray=\"4 3\"/>\n"
            // Above the frame, so neither the legend nor the curves can hide it.
            out += text(bx, frame.top - 5, "best (\(best))", size: 10, anchor: "middle", color: "#555555")
        }

        // Curves: one polyline per run of drawable values, markers when sparse.
        var points: [(Double, Double)] = []
        var missing: [Int] = []
        for curve in panel.curves {
            var segments: [[(Double, Double)]] = [[]]
            for (epoch, v) in curve.points {
                if v.isFinite && (!y.isLog || v > 0) {
                    segments[segments.count - 1].append((px(Double(epoch)), py(v)))
                } else {
                    if !segments[segments.count - 1].isEmpty { segments.append([]) }
                    missing.append(epoch)
                }
            }
            segments.removeAll { $0.isEmpty }
            let drawn = segments.flatMap { $0 }
            points += drawn
            let run = curve.run.map { " data-run=\"\(xml($0))\"" } ?? ""
            for s in segments {
                let coords = s.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ")
                out +=
                    "<polyline data-series=\"\(xml(curve.key))\"\(run) points=\"\(coords)\" fill=\"none\" "
                    + "stroke=\"\(curve.color)\" stroke-width=\"2\"\(dash(curve.dashed)) stroke-linejoin=\"round\" "
                    + "stroke-linecap=\"round\"/>\n"
            }
            for s in segments where drawn.count <= 60 || s.count == 1 {
                for p in s {
                    out += "<circle cx=\"\(f(p.0))\" cy=\"\(f(p.1))\" r=\"2.8\" fill=\"\(curve.color)\"/>\n"
                }
            }
        }
        if !missing.isEmpty {
            let list = Array(Set(missing)).sorted()
            let shown = list.prefix(6).map(String.init).joined(separator: ", ") + (list.count > 6 ? ", …" : "")
            out += text(
                frame.left, frame.bottom + 54,
                (y.isLog ? "not drawn (not finite or ≤ 0)" : "not drawn (not finite)") + " at epoch \(shown)",
                size: 10, anchor: "start", color: "#b03a2e")
        }
        out += legend(panel.legend, frame: frame, avoiding: points)
        return out + "</g>\n"
    }

    /// The stroke-dasharray attribute of a dashed line, else nothing.
    private static func dash(_ dashed: Bool) -> String { dashed ? " stroke-dasharray=\"6 4\"" : "" }

    /// A legend box in the plot corner holding the fewest data points.
    private static func legend(_ entries: [PlotLegendEntry], frame: Frame, avoiding points: [(Double, Double)])
        -> String
    {
        guard !entries.isEmpty else { return "" }
        let (w, h) = legendSize(entries)
        let m = 8.0
        let corners = [
            (frame.right - w - m, frame.top + m), (frame.right - w - m, frame.bottom - h - m),
            (frame.left + m, frame.top + m), (frame.left + m, frame.bottom - h - m),
        ]
        let (lx, ly) = corners.min { a, b in
            func hits(_ c: (Double, Double)) -> Int {
                points.filter { $0.0 >= c.0 - 4 && $0.0 <= c.0 + w + 4 && $0.1 >= c.1 - 4 && $0.1 <= c.1 + h + 4 }.count
            }
            return hits(a) < hits(b)
        }!
        return legendBox(entries, x: lx, y: ly, width: w)
    }

    /// The size of a legend box: 112 wide or as wide as its longest label needs, 18 per line.
    private static func legendSize(_ entries: [PlotLegendEntry]) -> (width: Double, height: Double) {
        guard !entries.isEmpty else { return (0, 0) }
        let longest = Double(entries.map(\.label.count).max() ?? 0)
        return (max(112, 44 + 6.6 * longest), 10 + 18 * Double(entries.count))
    }

    /// A legend box with its top-left corner at (`x`, `y`).
    private static func legendBox(_ entries: [PlotLegendEntry], x lx: Double, y ly: Double, width w: Double) -> String {
        var out =
            "<g class=\"legend\">\n<rect x=\"\(f(lx))\" y=\"\(f(ly))\" width=\"\(f(w))\" "
            + "height=\"\(f(legendSize(entries).height))\" "
            + "rx=\"3\" fill=\"#ffffff\" fill-opacity=\"0.9\" stroke=\"#bbbbbb\"/>\n"
        for (i, entry) in entries.enumerated() {
            let ey = ly + 14 + 18 * Double(i)
            out +=
                "<line x1=\"\(f(lx + 8))\" y1=\"\(f(ey))\" x2=\"\(f(lx + 32))\" y2=\"\(f(ey))\" "
                + "stroke=\"\(entry.color)\" stroke-width=\"2\"\(dash(entry.dashed))/>\n"
            out += "<circle cx=\"\(f(lx + 20))\" cy=\"\(f(ey))\" r=\"2.8\" fill=\"\(entry.color)\"/>\n"
            out += text(lx + 40, ey + 4, entry.label, size: 11, anchor: "start")
        }
        return out + "</g>\n"
    }

    private static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, color: String) -> String {
        "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" stroke=\"\(color)\" stroke-width=\"1\"/>\n"
    }

    private static func text(
        _ x: Double, _ y: Double, _ s: String, size: Int, anchor: String, color: String = "#222222", extra: String = ""
    ) -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" font-size=\"\(size)\" fill=\"\(color)\" text-anchor=\"\(anchor)\"\(extra)>"
            + xml(s) + "</text>\n"
    }

    /// A coordinate with one decimal.
    private static func f(_ x: Double) -> String { String(format: "%.1f", x) }

    static func xml(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case _ where c.value < 0x20 && c != "\t" && c != "\n" && c != "\r": out += "\u{FFFD}"  // not allowed in XML
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
