import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An error about one file, shown as "path: reason" (`FileIOError`, `SafeTensorsError`,
/// `ImageError`).
public protocol FileError: Error, CustomStringConvertible {
    /// The file the error is about.
    var path: String { get }
    /// What is wrong with it.
    var reason: String { get }
}

extension FileError {
    public var description: String { "\(path): \(reason)" }
}

extension FileError where Self: LocalizedError {
    public var errorDescription: String? { description }
}

/// A file that could not be written or read, with the operating system's reason.
public struct FileIOError: FileError, LocalizedError {
    /// The file the operation was about.
    public let path: String
    /// What went wrong, e.g. "cannot rename temporary file: Permission denied".
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

/// The text of the current `errno`.
private func osReason() -> String { String(cString: strerror(errno)) }

/// Writes `bytes` to `path` so that readers see the old file or the new one, never a
/// partial file: the bytes go to a uniquely named temporary file in the same
/// directory, which is flushed to disk (fsync), renamed over `path`, and the directory
/// is flushed so the rename survives a crash. Missing parent directories are created.
/// On failure the temporary file is removed and `FileIOError` names the path and the
/// operating system's reason.
public func writeAtomically(_ bytes: [UInt8], to path: String) throws {
    try bytes.withUnsafeBytes { try writeAtomically(buffer: $0, to: path) }
}

/// Writes `data` atomically to `path`; see `writeAtomically(_:to:)` for `[UInt8]`.
public func writeAtomically(_ data: Data, to path: String) throws {
    try data.withUnsafeBytes { try writeAtomically(buffer: $0, to: path) }
}

/// Writes `text` as UTF-8, atomically, to `path`; see `writeAtomically(_:to:)`.
public func writeAtomically(_ text: String, to path: String) throws {
    try writeAtomically(Array(text.utf8), to: path)
}

private func writeAtomically(buffer: UnsafeRawBufferPointer, to path: String) throws {
    guard !path.isEmpty, !path.hasSuffix("/") else {
        throw FileIOError(path: path, reason: "not a file path")
    }
    let slash = path.lastIndex(of: "/")
    let dir = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
    let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
    try makeDirectories(dir, for: path)

    // A unique temporary name: hidden, same directory (rename must not cross devices).
    var fd: Int32 = -1
    var temp = ""
    for _ in 0..<16 {
        let tag = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        temp = (dir == "/" ? "/" : dir + "/") + ".\(base).tmp-\(getpid())-\(tag)"
        fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        if fd >= 0 || errno != EEXIST { break }
    }
    guard fd >= 0 else {
        throw FileIOError(path: path, reason: "cannot create temporary file in \(dir): \(osReason())")
    }

    func fail(_ what: String) -> FileIOError {
        let error = FileIOError(path: path, reason: "\(what): \(osReason())")
        if fd >= 0 { close(fd) }
        unlink(temp)
        return error
    }

    if writeFully(fd, from: buffer) != 0 { throw fail("cannot write temporary file") }
    if fsync(fd) != 0 { throw fail("cannot flush temporary file to disk") }
    let closed = close(fd)
    fd = -1
    if closed != 0 { throw fail("cannot close temporary file") }
    if rename(temp, path) != 0 { throw fail("cannot rename temporary file over it") }

    // Flush the directory entry. Some file systems cannot fsync a directory (EINVAL);
    // the file is already in place then, so only real I/O errors are reported.
    let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if dfd >= 0 {
        let synced = fsync(dfd)
        let reason = osReason()
        let code = errno
        close(dfd)
        if synced != 0 && code == EIO {
            throw FileIOError(path: path, reason: "cannot flush directory \(dir) to disk: \(reason)")
        }
    }
}

/// `mkdir -p dir`, reporting failures against `path`.
private func makeDirectories(_ dir: String, for path: String) throws {
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) {
        if isDir.boolValue { return }
        throw FileIOError(path: path, reason: "\(dir) exists and is not a directory")
    }
    var prefix = dir.hasPrefix("/") ? "/" : ""
    for part in dir.split(separator: "/") {
        prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + part
        if mkdir(prefix, 0o777) != 0 && errno != EEXIST {
            throw FileIOError(path: path, reason: "cannot create directory \(prefix): \(osReason())")
        }
    }
    guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
        throw FileIOError(path: path, reason: "\(dir) exists and is not a directory")
    }
}

/// The whole contents of the file at `path`.
public func readFileBytes(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw FileIOError(path: path, reason: "cannot open: \(osReason())") }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw FileIOError(path: path, reason: "cannot stat: \(osReason())") }
    if (info.st_mode & S_IFMT) == S_IFDIR { throw FileIOError(path: path, reason: "is a directory") }
    guard (info.st_mode & S_IFMT) == S_IFREG else { throw FileIOError(path: path, reason: "not a regular file") }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(Int(info.st_size))
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw FileIOError(path: path, reason: "cannot read: \(osReason())")
        }
        if n == 0 { return bytes }
        bytes.append(contentsOf: chunk[0..<n])
    }
}
