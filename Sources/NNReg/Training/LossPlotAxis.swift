import Foundation

/// An axis range with "nice" ticks (1, 2 or 5 times a power of ten; Heckbert,
/// Graphics Gems 1990), or decades on a log scale.
struct LossPlotAxis {
    private(set) var lo: Double
    private(set) var hi: Double
    private(set) var isLog = false
    private(set) var ticks: [Double] = []
    private(set) var minorTicks: [Double] = []
    private var step = 1.0

    /// A value axis over the finite `values`, padded by 5% so no point sits on the
    /// frame; log scale when allowed, all values are positive, and they span at
    /// least two decades.
    init(values: [Double], allowLog: Bool) {
        // Clamped so that ranges and tick indices stay finite and representable.
        let finite = values.filter(\.isFinite).map { min(max($0, -1e300), 1e300) }
        var lo = finite.min() ?? 0
        var hi = finite.max() ?? 1
        if allowLog && lo > 0 && hi / lo >= 100 {
            let a = log10(max(lo, 1e-300))
            let b = log10(hi)
            let pad = 0.05 * (b - a)
            isLog = true
            self.lo = max(a - pad, -300)
            self.hi = min(b + pad, 300)
            let first = Int(ceil(self.lo))
            let last = Int(floor(self.hi))
            let every = max(1, (last - first + 6) / 7)
            ticks = stride(from: first, through: last, by: every).map { pow(10, Double($0)) }
            if every == 1 {
                for k in (first - 1)...last {
                    minorTicks += (2...9).map { Double($0) * pow(10, Double(k)) }.filter {
                        log10($0) > self.lo && log10($0) < self.hi
                    }
                }
            }
            return
        }
        if hi - lo <= abs(hi) * 1e-12 {  // constant series: open a window around it
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad
            hi += pad
        }
        step = LossPlotAxis.nice((hi - lo) / 5)
        self.lo = lo - 0.05 * (hi - lo)
        self.hi = hi + 0.05 * (hi - lo)
        let first = Int(ceil(self.lo / step - 1e-9))
        let last = Int(floor(self.hi / step + 1e-9))
        ticks = (first...max(first, last)).map { Double($0) * step }
    }

    /// An epoch axis: integer ticks; a single epoch sits in the middle.
    init(epochs: [Int]) {
        let lo = Double(epochs.min() ?? 1)
        let hi = Double(epochs.max() ?? 1)
        if lo == hi {
            self.lo = lo - 0.5
            self.hi = hi + 0.5
            ticks = [lo]
            return
        }
        self.lo = lo
        self.hi = hi
        step = max(1, LossPlotAxis.nice((hi - lo) / 6).rounded())
        let first = ceil(lo / step) * step
        ticks = stride(from: first, through: hi, by: step).map { $0 }
        if first - lo >= step / 2 { ticks.insert(lo, at: 0) }  // label the first epoch too
    }

    /// The position of `v` along the axis, 0 at `lo` and 1 at `hi`.
    func fraction(_ v: Double) -> Double {
        let t = isLog ? log10(max(v, 1e-300)) : v
        return (t - lo) / (hi - lo)
    }

    /// The tick label for `v` (an exponent on a log axis).
    func label(_ v: Double) -> String {
        if isLog {
            let k = Int(log10(v).rounded())
            if (-3...4).contains(k) {
                return k < 0 ? String(format: "%.\(-k)f", pow(10, Double(k))) : "\(Int(pow(10, Double(k))))"
            }
            return "1e\(k)"
        }
        let v = abs(v) < step * 1e-6 ? 0 : v  // no "-0.0" from rounding
        let scale = max(abs(lo), abs(hi))
        if scale >= 1e6 || step < 1e-4 { return String(format: "%.3g", v) }
        let decimals = max(0, Int(-floor(log10(step) + 1e-9)))
        return String(format: "%.\(decimals)f", v)
    }

    /// 1, 2, 5 or 10 times a power of ten, close to `x`.
    static func nice(_ x: Double) -> Double {
        guard x > 0, x.isFinite else { return 1 }
        let p = pow(10, floor(log10(x)))
        let m = x / p
        return (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10) * p
    }
}
