import Dispatch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A folder of class subfolders of images, as Keras' `image_dataset_from_directory` reads it.
///
/// ```
/// root/0_cat/001.png, root/0_cat/002.jpg, root/1_dog/more/003.jpeg ...
/// ```
/// Each subfolder of `root` is a class; sorted by name (Unicode code points, as Python's
/// `sorted`), their positions are the label ids, unless `class_names` fixes the order.
/// A class's images are its .jpg, .jpeg and .png files (any case) at any depth, in
/// Keras' order: folders sorted by path, files sorted by name within each. Hidden files
/// and folders (names starting with ".") and other files are ignored, and so are files
/// directly in `root`. Symbolic links to class folders are followed; inside a class
/// folder, links to folders are not (as Keras' `follow_links=False`).
public enum ImageFolder {
    /// data.color_mode: the channels images are converted to.
    public enum ColorMode: String, CaseIterable, Sendable {
        case grayscale, rgb
        public var channels: Int { self == .grayscale ? 1 : 3 }
    }

    /// data.on_bad_file: what a file that cannot be decoded does.
    public enum BadFilePolicy: String, CaseIterable, Sendable { case error, skip }

    /// Whether `path` is a folder (so a data path names an image folder, not a CSV file).
    public static func isFolder(_ path: String) -> Bool { isDirectory(path) }

    /// The first image `scan` lists, reading only the first class folder (for shapes).
    public static func firstImage(_ root: String, classNames: [String]?) throws -> String {
        let classes = try classFolders(root, classNames: classNames)
        guard let first = try imagesUnder(join(root, classes[0])).first else {
            throw DataError("\(root): class folder \"\(classes[0])\" holds no .jpg, .jpeg or .png images")
        }
        return first
    }

    /// The class folders `scan` reads, in label order.
    private static func classFolders(_ root: String, classNames: [String]?) throws -> [String] {
        guard isDirectory(root) else {
            throw DataError(exists(root) ? "\(root): not a folder of class subfolders" : "\(root): no such folder")
        }
        let subfolders = try list(root).filter { !$0.hasPrefix(".") && isDirectory(join(root, $0)) }.sorted(
            by: codePointOrder)
        let classes: [String]
        if let classNames {
            var seen = Set<String>()
            for name in classNames where !seen.insert(name).inserted {
                throw DataError("\(root): class_names lists \"\(name)\" twice")
            }
            let present = Set(subfolders)
            for name in classNames where !present.contains(name) {
                throw DataError(
                    "\(root): class \"\(name)\" of class_names has no folder \(join(root, name)) "
                        + "(class folders: \(subfolders.isEmpty ? "none" : subfolders.joined(separator: ", ")))")
            }
            classes = classNames
        } else {
            classes = subfolders
        }
        guard !classes.isEmpty else {
            throw DataError(
                "\(root): no class subfolders (expected one folder per class holding its .jpg, .jpeg or .png images)")
        }
        return classes
    }

    /// The image files under `root` with their label ids, and the class names in id order.
    ///
    /// With `classNames`, only those subfolders are read, in that order (Keras allows a
    /// subset too); one with no folder is an error. Errors (`DataError`): `root` is not a
    /// folder, has no class subfolders, has no images, or a class folder has none.
    public static func scan(_ root: String, classNames: [String]?) throws -> (
        files: [(path: String, label: Int)], classNames: [String]
    ) {
        let classes = try classFolders(root, classNames: classNames)
        var files: [(path: String, label: Int)] = []
        var empty: [String] = []
        for (label, name) in classes.enumerated() {
            let images = try imagesUnder(join(root, name))
            if images.isEmpty { empty.append(name) }
            files += images.map { (path: $0, label: label) }
        }
        guard !files.isEmpty else {
            throw DataError(
                "\(root): no .jpg, .jpeg or .png images in its class folders (\(classes.joined(separator: ", ")))")
        }
        guard empty.isEmpty else {
            let list = empty.map { join(root, $0) }.joined(separator: ", ")
            let (folders, have) = empty.count > 1 ? ("folders", "have") : ("folder", "has")
            throw DataError("\(root): class \(folders) \(list) \(have) no .jpg, .jpeg or .png images")
        }
        return (files, classes)
    }

    /// Reads every image under `root` into one compact store, in `scan`'s order.
    ///
    /// - Parameters:
    ///   - imageSize: [height, width] every image is resized to (bilinear, as
    ///     `tf.image.resize`); nil: the size of the first image.
    ///   - colorMode: grayscale (1 channel) or rgb (3); files are converted
    ///     (`Image.converted(toChannels:)`).
    ///   - onBadFile: `.error` stops at the first file (in order) that cannot be decoded;
    ///     `.skip` leaves such files out and lists them in `skipped` with the reason.
    ///   - threads: files are decoded on this many threads.
    /// - Returns: x: (N, H, W, C), raw values 0...255: UInt8 when every decoded value is a
    ///   whole number (8-bit files that need no resizing or gray conversion), else Float32;
    ///   one label id per image.
    public static func load(
        _ root: String, imageSize: [Int]?, colorMode: ColorMode, classNames: [String]?, onBadFile: BadFilePolicy,
        threads: Int, maxPixels: Int = ImageCodec.defaultMaxPixels
    ) throws -> (x: SampleStore, labels: [Float], classNames: [String], skipped: [(path: String, reason: String)]) {
        let skip = onBadFile == .skip
        let (files, names) = try scan(root, classNames: classNames)
        let n = files.count
        let channels = colorMode.channels
        let (height, width, start, failures) = try sampleSize(
            files.map(\.path), root: root, imageSize: imageSize, onBadFile: onBadFile, maxPixels: maxPixels)
        var failed = failures
        // Bytes first; Float32 (a second pass) only if some image decodes to fractions.
        var x = SampleStore(shape: [n, height, width, channels], element: .uint8)
        if !decodeAll(
            files.map(\.path), into: x, from: start, failures: &failed, threads: threads, maxPixels: maxPixels)
        {
            x = SampleStore(shape: [n, height, width, channels], element: .float32)
            failed = failures
            _ = decodeAll(
                files.map(\.path), into: x, from: start, failures: &failed, threads: threads, maxPixels: maxPixels)
        }
        let bad = failed.indices.filter { failed[$0] != nil }
        guard !bad.isEmpty else { return (x, files.map { Float($0.label) }, names, []) }
        guard skip else { throw badFile(failed[bad[0]]!, others: bad.count - 1) }
        guard bad.count < n else { throw DataError("\(root): none of its \(n) image files could be read") }
        let keep = failed.indices.filter { failed[$0] == nil }
        let skipped = bad.map { (path: files[$0].path, reason: failed[$0]!.reason) }
        return (x.subset(keep), keep.map { Float(files[$0].label) }, names, skipped)
    }

    /// The (height, width) samples take: `imageSize`, else the first readable image's;
    /// with the index of the first file still to decode (0 when `imageSize` is given) and
    /// the failures met on the way (on_bad_file "skip"; "error" throws at the first).
    static func sampleSize(
        _ files: [String], root: String, imageSize: [Int]?, onBadFile: BadFilePolicy, maxPixels: Int
    ) throws -> (height: Int, width: Int, start: Int, failures: [ImageError?]) {
        if let imageSize, imageSize.count != 2 || imageSize.contains(where: { $0 <= 0 }) {
            throw DataError("image_size must be [height, width] of positive sizes, got \(imageSize)")
        }
        var failures = [ImageError?](repeating: nil, count: files.count)
        if let imageSize { return (imageSize[0], imageSize[1], 0, failures) }
        for i in files.indices {
            do {
                let first = try ImageCodec.read(files[i], maxPixels: maxPixels)
                // The first image is decoded again with the others: a read is cheap beside a data set.
                return (first.height, first.width, i, failures)
            } catch let error as ImageError {
                guard onBadFile == .skip else { throw badFile(error, others: 0) }
                failures[i] = error
            }
        }
        throw DataError("\(root): none of its \(files.count) image files could be read")
    }

    /// Decodes files[start...] into `x` on `threads` threads (contiguous chunks; each
    /// file's slot and failure entry written by one thread only). False, leaving `x`
    /// partly written, when `x` holds UInt8 and an image decoded to fractions.
    private static func decodeAll(
        _ files: [String], into x: SampleStore, from start: Int, failures: inout [ImageError?], threads: Int,
        maxPixels: Int
    ) -> Bool {
        let n = files.count
        let workers = max(1, min(threads, n - start))
        var exact = [Bool](repeating: true, count: workers)
        failures.withUnsafeMutableBufferPointer { failed in
            exact.withUnsafeMutableBufferPointer { exact in
                let (failed, exact) = (failed, exact)
                let work = { (w: Int) in
                    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(x.sampleSize, 1))
                    defer { scratch.deallocate() }
                    let lo = start + (n - start) * w / workers
                    let hi = start + (n - start) * (w + 1) / workers
                    for i in lo..<hi where exact[w] {
                        do {
                            try decode(files[i], into: scratch, shape: x.sampleShape, maxPixels: maxPixels)
                            if !x.writeIfExact(scratch, rows: i..<(i + 1)) { exact[w] = false }
                        } catch {
                            failed[i] = error as? ImageError ?? ImageError(path: files[i], reason: "\(error)")
                        }
                    }
                }
                if workers == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: work) }
            }
        }
        return !exact.contains(false)
    }

    /// Decodes the image file `path`, converted to the channels and resized to the
    /// (height, width) of `shape` [H, W, C], into `dst`: raw values 0...255.
    // file -> dst: (H, W, C)
    public static func decode(
        _ path: String, into dst: UnsafeMutablePointer<Float>, shape: [Int], maxPixels: Int
    ) throws {
        let image = try ImageCodec.read(path, maxPixels: maxPixels)
        image.converted(toChannels: shape[2]).resize(into: dst, height: shape[0], width: shape[1])
    }

    static func badFile(_ error: ImageError, others: Int) -> DataError {
        let more = others == 0 ? "" : "; \(others) more file\(others == 1 ? "" : "s") cannot be read either"
        return DataError("\(error)\(more) (data.on_bad_file: \"skip\" leaves such files out)")
    }

    // MARK: - Files

    /// Image files under `folder`, depth first in Keras' order (os.walk, folders sorted
    /// by path, files sorted within each).
    static func imagesUnder(_ folder: String) throws -> [String] {
        var byFolder: [(path: String, files: [String])] = []
        func walk(_ dir: String) throws {
            var images: [String] = []
            for name in try list(dir) where !name.hasPrefix(".") {
                let path = join(dir, name)
                var info = stat()
                guard lstat(path, &info) == 0 else { continue }
                var kind = info.st_mode & S_IFMT
                if kind == S_IFLNK {
                    // A link to a file counts; a link to a folder is not followed.
                    guard stat(path, &info) == 0 else { continue }
                    kind = info.st_mode & S_IFMT
                    if kind == S_IFDIR { continue }
                }
                if kind == S_IFDIR {
                    try walk(path)
                } else if kind == S_IFREG && imageExtensions.contains(ImageCodec.fileExtension(name)) {
                    images.append(name)
                }
            }
            byFolder.append((dir, images.sorted(by: codePointOrder)))
        }
        try walk(folder)
        return byFolder.sorted { codePointOrder($0.path, $1.path) }.flatMap { entry in
            entry.files.map { join(entry.path, $0) }
        }
    }

    static let imageExtensions: Set<String> = ["jpg", "jpeg", "png"]

    /// Python's string order (Unicode code points), which UTF-8 byte order equals.
    static func codePointOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    static func join(_ dir: String, _ name: String) -> String { dir.hasSuffix("/") ? dir + name : dir + "/" + name }

    private static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    private static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// The names in a folder, without "." and "..".
    private static func list(_ dir: String) throws -> [String] {
        guard let handle = opendir(dir) else {
            throw DataError("\(dir): cannot read folder (\(String(cString: strerror(errno))))")
        }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
