import Foundation

/// The shape of one input sample, from as little of the data as it takes (for `nnreg
/// summary`): the spec's model.input_shape; else data.image_size or the first image of an
/// image folder; else the CSV's header (and first row, for a series, to find its timestamp
/// column). Reading and checking all of the data is `Experiment`'s job.
public enum DataShape {
    public static func inputShape(of spec: Spec) throws -> [Int] {
        if let declared = spec.model.inputShape { return declared }
        let data = spec.data
        if data.train != "-" && ImageFolder.isFolder(data.train) {
            let channels = data.colorMode.channels
            if let size = data.imageSize { return size + [channels] }
            let image = try ImageCodec.read(
                try ImageFolder.firstImage(data.train, classNames: data.classNames), maxPixels: data.maxImagePixels)
            return [image.height, image.width, channels]
        }
        if data.train == "-" { return try Experiment(spec: spec).inputShape }  // standard input: read once, in full
        let lines = try firstLines(data.train, count: 2)
        let names = try SequenceBytes.header(lines, source: data.train)
        guard let sequence = data.sequence else {
            if let label = data.label {
                _ = try CSV.resolve(label, in: names, source: data.train)
            }
            return [names.count - 1]
        }
        let features: Int
        if let given = sequence.features {
            features = given.count
        } else {
            // Every column but the timestamp column: the first whose first cell is not a number.
            let first = try CSV.read(
                .bytes(lines, name: data.train),
                options: CSV.Options(missing: .drop, textColumns: names.indices.map(CSV.Column.index)))
            let timestamp = first.classNames.keys.sorted().first {
                first.classNames[$0]!.allSatisfy { Double($0) == nil }
            }
            features = names.count - (timestamp == nil ? 0 : 1)
        }
        return [sequence.window, features]
    }

    /// The first `count` lines of a file, ending with "\n". A folder or a device is an error
    /// (as for the whole CSV), and so are lines that run past `limit` bytes, found after
    /// reading `limit` bytes a chunk at a time.
    static func firstLines(_ path: String, count: Int, limit: Int = 16 << 20) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw DataError("\(path): cannot read") }
        defer { try? handle.close() }
        try FileBytes.refuseNonFile(handle.fileDescriptor, path: path)
        var bytes: [UInt8] = []
        var lines = 0
        while lines < count && bytes.count < limit {
            guard let chunk = try handle.read(upToCount: min(1 << 16, limit - bytes.count)), !chunk.isEmpty else {
                break
            }
            var end = chunk.endIndex
            var from = chunk.startIndex
            while let newline = chunk[from...].firstIndex(of: UInt8(ascii: "\n")) {
                lines += 1
                from = newline + 1
                if lines == count {
                    end = from
                    break
                }
            }
            bytes += chunk[chunk.startIndex..<end]
        }
        if lines < count && bytes.count >= limit {
            let what = count == 1 ? "its first line is" : "its first \(count) lines are"
            throw DataError("\(path): \(what) longer than \(limit >> 20) MiB; is it a CSV file?")
        }
        if bytes.last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
        return bytes
    }
}
