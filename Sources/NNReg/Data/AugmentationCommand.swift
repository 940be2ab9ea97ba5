import Foundation

/// An image `nnreg augment` can transform: (height, width, channels) and row-major
/// (H, W, C) pixels. The image codecs' `Image` conforms with an empty extension.
public protocol AugmentableImage {
    var height: Int { get }
    var width: Int { get }
    var channels: Int { get }
    var pixels: [Float] { get set }
}

/// A failure of `nnreg augment` that is the user's to fix (exit status 2) or an image
/// that could not be read or written (exit status 1).
public struct AugmentCommandError: Error, CustomStringConvertible, LocalizedError {
    public let message: String
    /// True for bad usage or input (folders, count, format, an unreadable source image):
    /// exit status 2.
    public let isUsage: Bool
    public var description: String { message }
    public var errorDescription: String? { message }
}

/// `nnreg augment IMAGES --output DIR`: N augmented copies of every image.
public enum AugmentCommand {
    /// What was written.
    public struct Manifest {
        /// manifest.csv's header: file, source, then `AugmentParameters.manifestColumns`.
        public var columns: [String]
        /// One row per written image, in the order written.
        public var rows: [[String]]
        /// Augmentation options that apply to training batches only and were ignored
        /// (featurewise/samplewise normalization, ZCA, mixup, cutmix).
        public var ignored: [String]
        /// manifest.csv's text.
        public var csv: String { ([columns] + rows).map { $0.map(csvField).joined(separator: ",") + "\n" }.joined() }
    }

    /// The image file extensions read (lowercased).
    public static let imageExtensions: Set<String> = ["jpg", "jpeg", "png"]

    /// Walks `inputRoot` (class subfolders, nested folders or a flat folder; hidden files
    /// skipped; sorted), and for each image writes `count` augmented copies as
    /// `<relative folder>/<stem>_aug<k>.<ext>` under `outputRoot`, then
    /// `outputRoot/manifest.csv` (file, source, every drawn parameter). Files are written
    /// atomically. Copy k of image `rel` uses `RNG(seed: seed, stream: hash(rel, k))`, so
    /// a copy depends only on its source, k and the seed.
    ///
    /// - format: "jpeg" or "png" for every output; nil keeps each source's format.
    /// - augmenter: built with the images' units (rescale 1 for 0...255 pixels). Only the
    ///   per-image ops apply; batch options are listed in `Manifest.ignored`.
    /// - Throws `AugmentCommandError` when the output folder is the input folder or inside
    ///   it, count < 1, the format is unknown or there are no images; decode, encode and
    ///   write errors propagate with the file named.
    @discardableResult
    public static func run<I: AugmentableImage>(
        inputRoot: String, outputRoot: String, count: Int, seed: UInt64, format: String?, augmenter: Augmenter,
        decode: (String) throws -> I, encode: (I, String) throws -> [UInt8]
    ) throws -> Manifest {
        guard count >= 1 else { throw usage("--count must be at least 1, got \(count)") }
        guard !outputRoot.isEmpty else { throw usage("--output is empty; give a new or empty folder") }
        let outFormat = try format.map(canonicalFormat)
        let input = resolvedPath(inputRoot), output = resolvedPath(outputRoot)
        try checkNewFolder(output, named: outputRoot)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: input, isDirectory: &isDir), isDir.boolValue else {
            throw usage("\(inputRoot): not a folder of images")
        }
        if isInside(output, input) {
            throw usage(
                "the output folder \(outputRoot) is inside the input folder \(inputRoot); choose a folder outside it")
        }
        let sources = try imageFiles(under: input)
        guard !sources.isEmpty else { throw usage("\(inputRoot): no .jpg, .jpeg or .png images found") }
        // With the input inside the output, a copy could land inside the input: refuse before writing.
        for rel in sources where isInside(output + "/" + rel, input) {
            throw usage(
                "copies of \(rel) would be written inside the input folder \(inputRoot); choose another output folder")
        }

        var ignored: [String] = []
        if augmenter.samplewiseCenter { ignored.append("samplewise_center") }
        if augmenter.samplewiseStdNormalization { ignored.append("samplewise_std_normalization") }
        if augmenter.featurewiseCenter { ignored.append("featurewise_center") }
        if augmenter.featurewiseStdNormalization { ignored.append("featurewise_std_normalization") }
        if augmenter.zcaWhitening { ignored.append("zca_whitening") }
        if augmenter.mixup > 0 { ignored.append("mixup") }
        if augmenter.cutmix > 0 { ignored.append("cutmix") }

        var manifest = Manifest(
            columns: ["file", "source"] + AugmentParameters.manifestColumns, rows: [], ignored: ignored)
        let workspace = AugmentationWorkspace()
        // Everything goes to a hidden sibling folder first, renamed to the output at the end:
        // a command that fails leaves no output behind.
        let staging =
            (output as NSString).deletingLastPathComponent + "/."
            + (output as NSString).lastPathComponent + ".tmp-\(getpid())"
        try? FileManager.default.removeItem(atPath: staging)
        var finished = false
        defer { if !finished { try? FileManager.default.removeItem(atPath: staging) } }
        for rel in sources {
            let sourcePath = input + "/" + rel
            let image: I
            do { image = try decode(sourcePath) } catch {
                throw fileError(sourcePath, "cannot read image", error, isInput: true)
            }
            guard image.height > 0, image.width > 0, image.channels > 0,
                image.pixels.count == image.height * image.width * image.channels
            else {
                throw AugmentCommandError(
                    message: "\(sourcePath): decoded \(image.pixels.count) values for "
                        + "\(image.height)x\(image.width)x\(image.channels)", isUsage: false)
            }
            let dot = rel.lastIndex(of: ".")!
            let stem = String(rel[..<dot]), sourceExt = String(rel[rel.index(after: dot)...]).lowercased()
            let fmt = outFormat ?? (sourceExt == "png" ? "png" : "jpeg")
            let ext = outFormat == nil ? sourceExt : (fmt == "png" ? "png" : "jpg")
            for k in 0..<count {
                var rng = RNG(seed: seed, stream: fnv1a("\(rel)\u{0}\(k)"))
                let p = augmenter.drawParameters(
                    height: image.height, width: image.width, channels: image.channels, rng: &rng)
                var copy = image
                copy.pixels.withUnsafeMutableBufferPointer {
                    augmenter.apply(
                        p, to: $0.baseAddress!, height: image.height, width: image.width,
                        channels: image.channels, workspace: workspace)
                }
                let file = "\(stem)_aug\(k).\(ext)"
                let path = staging + "/" + file
                let bytes: [UInt8]
                do { bytes = try encode(copy, fmt) } catch { throw fileError(path, "cannot encode image", error) }
                try writeAtomically(bytes, to: path)
                manifest.rows.append([file, rel] + p.manifestValues)
            }
        }
        try writeAtomically(manifest.csv, to: staging + "/manifest.csv")
        let fm = FileManager.default
        if fm.fileExists(atPath: output) { try fm.removeItem(atPath: output) }  // checked empty
        try fm.moveItem(atPath: staging, toPath: output)
        finished = true
        return manifest
    }

    /// The output must be a new folder, or an empty one (nothing of the user's is replaced,
    /// and "." or ".." holding the input are refused), and not go under a file.
    static func checkNewFolder(_ output: String, named name: String) throws {
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        if fm.fileExists(atPath: output, isDirectory: &isFolder) {
            guard isFolder.boolValue else { throw usage("\(name): is a file; --output names a new or empty folder") }
            let entries = try fm.contentsOfDirectory(atPath: output)
            guard entries.isEmpty else {
                let shown = entries.sorted().prefix(3).joined(separator: ", ")
                throw usage("\(name): holds files (\(shown)); --output names a new or empty folder")
            }
            return
        }
        if let file = fileAncestor(of: output) { throw usage("\(name): \(file) is a file, not a folder") }
    }

    /// "jpeg"/"jpg" -> "jpeg", "png" -> "png".
    static func canonicalFormat(_ f: String) throws -> String {
        switch f.lowercased() {
        case "jpeg", "jpg": return "jpeg"
        case "png": return "png"
        default: throw usage("--format must be jpeg or png, got \(f)")
        }
    }

    /// 64-bit FNV-1a of the UTF-8 bytes.
    static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return h
    }

    private static func usage(_ message: String) -> AugmentCommandError { .init(message: message, isUsage: true) }

    private static func fileError(
        _ path: String, _ what: String, _ error: Error, isInput: Bool = false
    ) -> AugmentCommandError {
        .init(message: "\(path): \(what): \(error)", isUsage: isInput)
    }
}
