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

    /// True when `path` is `folder` or below it (both resolved).
    static func isInside(_ path: String, _ folder: String) -> Bool {
        path == folder || path.hasPrefix(folder == "/" ? "/" : folder + "/")
    }
}
