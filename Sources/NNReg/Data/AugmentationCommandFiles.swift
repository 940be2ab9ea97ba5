import Foundation

/// The file-system side of `nnreg augment`: which files are images, and where a path
/// really is (so the output folder can be refused when it is inside the input).
extension AugmentCommand {
    /// Image paths relative to `root`, sorted, hidden files and folders skipped.
    static func imageFiles(under root: String) throws -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root) else {
            throw AugmentCommandError(message: "\(root): cannot list the folder", isUsage: false)
        }
        var found: [String] = []
        while let rel = walker.nextObject() as? String {
            let name = rel.split(separator: "/").last.map(String.init) ?? rel
            if name.hasPrefix(".") {
                walker.skipDescendants()
                continue
            }
            guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { continue }
            if imageExtensions.contains(name[name.index(after: dot)...].lowercased()) { found.append(rel) }
        }
        return found.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// An absolute, symlink-free form of `path`; a missing tail is appended to the real
    /// path of its nearest existing ancestor (the output folder may not exist yet).
    static func resolved(_ path: String) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var existing = absolute, tail: [String] = []
        while !FileManager.default.fileExists(atPath: existing) && existing != "/" {
            tail.insert((existing as NSString).lastPathComponent, at: 0)
            existing = (existing as NSString).deletingLastPathComponent
        }
        var real = existing
        if let r = realpath(existing, nil) {
            real = String(cString: r)
            free(r)
        }
        let joined = ([real == "/" ? "" : real] + tail).joined(separator: "/")
        return joined.isEmpty ? "/" : joined
    }

    /// True when `path` is `folder` or below it (both resolved).
    static func isInside(_ path: String, _ folder: String) -> Bool {
        path == folder || path.hasPrefix(folder == "/" ? "/" : folder + "/")
    }
}
