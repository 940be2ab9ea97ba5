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

    /// Reads every image under `root` into one tensor, in `scan`'s order.
    ///
    /// - Parameters:
    ///   - imageSize: [height, width] every image is resized to (bilinear, as
    ///     `tf.image.resize`); nil: the size of the first image.
    ///   - colorMode: grayscale (1 channel) or rgb (3); files are converted
    ///     (`Image.converted(toChannels:)`).
    ///   - onBadFile: `.error` stops at the first file (in order) that cannot be decoded;
    ///     `.skip` leaves such files out and lists them in `skipped` with the reason.
    ///   - threads: files are decoded on this many threads.
    /// - Returns: x: (N, H, W, C), raw values 0...255; one label id per image.
    public static func load(
        _ root: String, imageSize: [Int]?, colorMode: ColorMode, classNames: [String]?, onBadFile: BadFilePolicy,
        threads: Int, maxPixels: Int = ImageCodec.defaultMaxPixels
    ) throws -> (x: Tensor, labels: [Float], classNames: [String], skipped: [(path: String, reason: String)]) {
        if let imageSize, imageSize.count != 2 || imageSize.contains(where: { $0 <= 0 }) {
            throw DataError("image_size must be [height, width] of positive sizes, got \(imageSize)")
        }
        let skip = onBadFile == .skip
        let (files, names) = try scan(root, classNames: classNames)
        let channels = colorMode.channels
        let n = files.count

        // The first readable image fixes the size when image_size is not given.
        var failures = [ImageError?](repeating: nil, count: n)
        var start = 0
        var size = imageSize.map { (height: $0[0], width: $0[1]) }
        var first: Image? = nil
        if size == nil {
            while start < n && first == nil {
                do {
                    first = try ImageCodec.read(files[start].path, maxPixels: maxPixels)
                } catch let error as ImageError {
                    guard skip else { throw badFile(error, others: 0) }
                    failures[start] = error
                }
                start += 1
            }
            guard let first else { throw DataError("\(root): none of its \(n) image files could be read") }
            size = (first.height, first.width)
        }
        let (height, width) = size!
        let per = height * width * channels
        let x = Tensor(shape: [n, height, width, channels])
        if let first {
            store(first, into: x.data + (start - 1) * per, height: height, width: width, channels: channels)
        }

        // The rest in parallel: contiguous chunks, one per thread; each file's slot and
        // failure entry are written by one thread only.
        let workers = max(1, min(threads, n - start))
        failures.withUnsafeMutableBufferPointer { failed in
            let failed = failed
            let work = { (w: Int) in
                let lo = start + (n - start) * w / workers
                let hi = start + (n - start) * (w + 1) / workers
                for i in lo..<hi {
                    do {
                        let image = try ImageCodec.read(files[i].path, maxPixels: maxPixels)
                        store(image, into: x.data + i * per, height: height, width: width, channels: channels)
                    } catch {
                        failed[i] = error as? ImageError ?? ImageError(path: files[i].path, reason: "\(error)")
                    }
                }
            }
            if workers == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: work) }
        }

        let bad = failures.indices.filter { failures[$0] != nil }
        guard !bad.isEmpty else { return (x, files.map { Float($0.label) }, names, []) }
        guard skip else { throw badFile(failures[bad[0]]!, others: bad.count - 1) }
        guard bad.count < n else { throw DataError("\(root): none of its \(n) image files could be read") }
        let keep = failures.indices.filter { failures[$0] == nil }
        let kept = Tensor(shape: [keep.count, height, width, channels])
        for (k, i) in keep.enumerated() { (kept.data + k * per).update(from: x.data + i * per, count: per) }
        let skipped = bad.map { (path: files[$0].path, reason: failures[$0]!.reason) }
        return (kept, keep.map { Float(files[$0].label) }, names, skipped)
    }

    /// Converts `image` to `channels` and resizes it into `dst` (height, width, channels).
    private static func store(
        _ image: Image, into dst: UnsafeMutablePointer<Float>, height: Int, width: Int, channels: Int
    ) {
        image.converted(toChannels: channels).resize(into: dst, height: height, width: width)
    }

    private static func badFile(_ error: ImageError, others: Int) -> DataError {
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
