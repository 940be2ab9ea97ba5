import Foundation

/// Checks for a file a command is about to write (`predict --output`): it must name a
/// file, not be one of the command's inputs, even through a symbolic link, and have a
/// folder to go in. Refusals are `DataError`s, so the command exits with status 2 and
/// writes nothing.
public func checkOutputFile(_ output: String, inputs: [String]) throws {
    guard !output.isEmpty else { throw DataError("--output is empty; give a file name") }
    let fm = FileManager.default
    var isFolder: ObjCBool = false
    if fm.fileExists(atPath: output, isDirectory: &isFolder), isFolder.boolValue {
        throw DataError("\(output): is a folder; --output names the file to write")
    }
    let target = resolvedPath(output)
    for input in inputs where input != "-" && resolvedPath(input) == target {
        throw DataError("\(output): is an input of this command (\(input)); write the output elsewhere")
    }
    let parent = (target as NSString).deletingLastPathComponent
    if fm.fileExists(atPath: parent, isDirectory: &isFolder), !isFolder.boolValue {
        throw DataError("\(output): \(parent) is a file, not a folder")
    }
}

/// `path` absolute, with symbolic links followed (for the part of it that exists).
func resolvedPath(_ path: String) -> String {
    let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    if let real = realpath(absolute, nil) {
        defer { free(real) }
        return String(cString: real)
    }
    let url = URL(fileURLWithPath: absolute)
    return resolvedPath(url.deletingLastPathComponent().path) + "/" + url.lastPathComponent
}
