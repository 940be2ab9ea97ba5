import Foundation

/// Checks for a file a command is about to write (`predict --output`, `compare --plot`):
/// it must name a file, not be one of the command's inputs, even through a symbolic link,
/// and have a folder to go in. Refusals are `DataError`s naming `flag`, so the command
/// exits with status 2 and writes nothing.
public func checkOutputFile(_ output: String, inputs: [String], flag: String = "--output") throws {
    guard !output.isEmpty else { throw DataError("\(flag) is empty; give a file name") }
    let fm = FileManager.default
    var isFolder: ObjCBool = false
    if fm.fileExists(atPath: output, isDirectory: &isFolder), isFolder.boolValue {
        throw DataError("\(output): is a folder; \(flag) names the file to write")
    }
    let target = resolvedPath(output)
    for input in inputs where input != "-" && resolvedPath(input) == target {
        throw DataError("\(output): is an input of this command (\(input)); write the output elsewhere")
    }
    if let file = fileAncestor(of: target) { throw DataError("\(output): \(file) is a file, not a folder") }
}

/// An absolute, symlink-free form of `path`; a missing tail is appended to the real path
/// of its nearest existing ancestor (an output may not exist yet).
func resolvedPath(_ path: String) -> String {
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

/// The nearest existing ancestor of `path` when it is a file, so nothing can be created at
/// `path`; nil when it is a folder.
func fileAncestor(of path: String) -> String? {
    let fm = FileManager.default
    var isFolder: ObjCBool = false
    var ancestor = (URL(fileURLWithPath: path).standardizedFileURL.path as NSString).deletingLastPathComponent
    while !fm.fileExists(atPath: ancestor, isDirectory: &isFolder) && ancestor.count > 1 {
        ancestor = (ancestor as NSString).deletingLastPathComponent
    }
    return isFolder.boolValue ? nil : ancestor
}
