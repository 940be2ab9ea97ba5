/// Decimal text to `Float`, rounded exactly as `Float(String)` rounds it.
///
/// Integers of up to 19 digits (pixels, class ids) take `scanInteger`: `Float(UInt64)` is
/// correctly rounded. The fast path handles plain decimals (`-12`, `0.5`, `1.5e-3`: up to 19 significant
/// digits, decimal exponent within +-22) with one correctly rounded IEEE operation:
/// - mantissa <= 2^24 and |exponent| <= 10: both operands are exact Floats, so
///   `Float(m) * 10^e` (or `/`) is the correctly rounded result (Clinger 1990).
/// - mantissa < 2^53 and |exponent| <= 22: `Double(m) * 10^e` is the correctly rounded
///   Double; rounding that to Float is exact unless the Double lands exactly on the
///   midpoint between two Floats (every midpoint is a Double, so no other case can
///   round differently). Midpoints go to the slow path.
/// Everything else (more digits, larger exponents, `inf`, hex, malformed text) goes to
/// the slow path, `Float(String)` itself, which is also the reference the tests use.
enum DecimalFloat {
    /// The value of the bytes `[start, end)`, or nil where `Float(String)` gives nil.
    @inline(__always)
    static func parse(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Float? {
        let (outcome, stop) = scan(start, end)
        if case .value(let v) = outcome, stop == end { return v }
        return reference(start, end)
    }

    /// An optionally signed integer of 1 to 19 digits at `start`, leaving `stop` after
    /// it; nil otherwise. The byte after the digits must be readable (the CSV buffer ends
    /// with "\n"). `Float(UInt64)` rounds to nearest like `Float(String)`.
    @inline(__always)
    static func scanInteger(_ start: UnsafePointer<UInt8>, _ stop: inout UnsafePointer<UInt8>) -> Float? {
        var p = start
        let negative = p.pointee == UInt8(ascii: "-")
        if negative { p += 1 }
        let first = p
        var mantissa: UInt64 = 0
        while true {
            let d = p.pointee &- 48
            if d > 9 { break }
            mantissa = mantissa &* 10 &+ UInt64(d)
            p += 1
        }
        guard p > first && p - first <= 19 else { return nil }
        stop = p
        let v = Float(mantissa)
        return negative ? -v : v
    }

    /// The reference: Swift's own parser on a String of the bytes.
    static func reference(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Float? {
        Float(String(decoding: UnsafeBufferPointer(start: start, count: end - start), as: UTF8.self))
    }

    enum Outcome: Equatable {
        case value(Float)
        case slow
    }

    /// 10^e for e in 0...10, each exact in Float (5^10 < 2^24), so the conversion from
    /// the exact Double is exact.
    @inline(__always)
    private static func floatPower(_ e: Int) -> Float { Float(doublePower(e)) }

    /// 10^e for e in 0...22, each exact in Double (5^22 < 2^53).
    @inline(__always)
    private static func doublePower(_ e: Int) -> Double {
        switch e {
        case 0: return 1e0
        case 1: return 1e1
        case 2: return 1e2
        case 3: return 1e3
        case 4: return 1e4
        case 5: return 1e5
        case 6: return 1e6
        case 7: return 1e7
        case 8: return 1e8
        case 9: return 1e9
        case 10: return 1e10
        case 11: return 1e11
        case 12: return 1e12
        case 13: return 1e13
        case 14: return 1e14
        case 15: return 1e15
        case 16: return 1e16
        case 17: return 1e17
        case 18: return 1e18
        case 19: return 1e19
        case 20: return 1e20
        case 21: return 1e21
        default: return 1e22
        }
    }

    /// The fast path alone, on the longest decimal at `start` within `[start, end)`:
    /// its value and where it stopped, or `.slow` where it cannot be sure of the rounding
    /// or the syntax. The caller decides whether what follows may end a number.
    @inline(__always)
    static func scan(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> (Outcome, UnsafePointer<UInt8>) {
        var p = start
        guard p < end else { return (.slow, p) }
        var negative = false
        if p.pointee == UInt8(ascii: "-") {
            negative = true
            p += 1
        } else if p.pointee == UInt8(ascii: "+") {
            p += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0  // significant digits in mantissa (leading zeros skipped)
        var sawDigit = false
        var exponent = 0
        // The digits before and after one ".": each fraction digit lowers the exponent.
        var inFraction = false
        while p < end {
            let d = p.pointee &- 48
            if d > 9 {
                if inFraction || p.pointee != UInt8(ascii: ".") { break }
                inFraction = true
                p += 1
                continue
            }
            sawDigit = true
            if mantissa != 0 || d != 0 {
                if digits == 19 { return (.slow, p) }
                mantissa = mantissa &* 10 &+ UInt64(d)
                digits += 1
            }
            if inFraction { exponent -= 1 }
            p += 1
        }
        guard sawDigit else { return (.slow, p) }
        if p < end && p.pointee | 0x20 == UInt8(ascii: "e") {
            p += 1
            var negativeExponent = false
            if p < end && (p.pointee == UInt8(ascii: "-") || p.pointee == UInt8(ascii: "+")) {
                negativeExponent = p.pointee == UInt8(ascii: "-")
                p += 1
            }
            var e = 0
            let first = p
            while p < end {
                let d = p.pointee &- 48
                if d > 9 { break }
                if e < 100_000 { e = e * 10 + Int(d) }
                p += 1
            }
            guard p > first else { return (.slow, p) }
            exponent += negativeExponent ? -e : e
        }
        if mantissa == 0 { return (.value(negative ? -0.0 : 0.0), p) }

        if mantissa <= 1 << 24 && exponent >= -10 && exponent <= 10 {
            var v = Float(mantissa)
            v = exponent >= 0 ? v * floatPower(exponent) : v / floatPower(-exponent)
            return (.value(negative ? -v : v), p)
        }
        if mantissa < 1 << 53 && exponent >= -22 && exponent <= 22 {
            let d = exponent >= 0 ? Double(mantissa) * doublePower(exponent) : Double(mantissa) / doublePower(-exponent)
            // 1e-22 ... 9e37: always a normal Float, so the 29 bits below Float's
            // precision decide: exactly 1000...0 is a midpoint.
            if d.bitPattern & ((1 << 29) - 1) == 1 << 28 { return (.slow, p) }
            let v = Float(d)
            return (.value(negative ? -v : v), p)
        }
        return (.slow, p)
    }
}
