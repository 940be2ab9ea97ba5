import Foundation

/// A run folder, and the files in it that nnreg can prove it wrote.
///
/// nnreg writes only names it knows (`isRunFile`: spec.json, history.csv, checkpoints/epoch-NNNN.safetensors,
/// members/k/..., and their temporary files) and lists every one it creates in the folder's manifest,
/// `.nnreg-files`, before creating it. So:
/// - a fresh run starts only in a new or empty folder, or in an earlier run's folder with `--overwrite`
///   (without it when that run finished no epoch); then it deletes the files the manifest lists and
///   nothing else;
/// - a folder holding files nnreg did not write is refused, unless `--overwrite`, and even then
///   those files stay as they are, and one whose name nnreg would write is refused outright;
/// - `--resume` needs the manifest.
/// While a run writes, it holds an exclusive lock on `.nnreg.lock` (flock): a second process
/// is refused, and the kernel drops the lock when the process ends, however it ends, so a
/// killed run leaves no stale lock.
///
/// A sweep folder (`Kind.sweep`) follows the same rules with its own names (sweep.json,
/// trials.csv, ...) and lists each trial as its folder "trials/<id>/": a run folder with a
/// manifest of its own, which `--overwrite` of the sweep deletes the same way (`remove`).
public final class RunFolder {
    /// What a folder holds: one run, or a sweep (its tables, and its trials' run folders).
    public enum Kind: Sendable {
        case run, sweep

        /// Whether nnreg may write `name` (relative to the folder) in this kind of folder.
        /// A sweep lists each trial as its folder "trials/<id>/", a run folder of its own.
        func allows(_ name: String) -> Bool {
            switch self {
            case .run: return RunFolder.isRunFile(name)
            case .sweep:
                let parts = name.split(separator: "/", omittingEmptySubsequences: false)
                if parts.count == 3, parts[0] == "trials", !parts[1].isEmpty, parts[1] != ".", parts[1] != "..",
                    parts[2].isEmpty
                {
                    return true
                }
                return parts.count == 1 && RunFolder.sweepNames.contains(name)
            }
        }

        /// The file `--resume` continues from.
        var resumeFile: String { self == .run ? "last.safetensors" : "sweep.json" }

        /// Whether the file `name` shows the folder holds finished work, which only
        /// `--overwrite` replaces.
        func marksWork(_ name: String) -> Bool {
            self == .run ? name.hasSuffix("last.safetensors") || name == "metrics.json" : name == "sweep.json"
        }
    }

    public let path: String
    public let kind: Kind
    private var listed: [String]
    private var lockDescriptor: Int32 = -1

    static let manifest = ".nnreg-files"
    static let lock = ".nnreg.lock"
    /// The files a run (or an ensemble member's folder) may write, besides checkpoints.
    static let fixedNames: Set<String> = [
        "spec.json", "classes.json", "split.csv", "skipped_files.csv", "history.csv", "history.json", "loss.svg",
        "forecast.svg",
        "model.safetensors", "last.safetensors", "metrics.json", manifest, lock,
    ]
    /// The files of a sweep folder besides its trials.
    static let sweepNames: Set<String> = [
        "sweep.json", "trials.csv", "summary.csv", "best.json", "sweep.svg", "report.md", manifest, lock,
    ]

    /// Opens `path` for a run: checks what the folder holds (`check`), then creates it if
    /// needed, takes its lock and, for a fresh run, deletes an earlier run's files.
    public static func open(_ path: String, resume: Bool, overwrite: Bool, kind: Kind = .run) throws -> RunFolder {
        let (listed, present) = try check(path, resume: resume, overwrite: overwrite, kind: kind)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let folder = RunFolder(path: path, kind: kind, listed: listed)
        try folder.takeLock()
        if !resume { try folder.deleteListed(present: present) }
        return folder
    }

    /// Whether a run may use `path` (see the type's rules), touching nothing; returns the
    /// files the manifest lists and the files present. Refusals are `DataError`s.
    @discardableResult
    public static func check(_ path: String, resume: Bool, overwrite: Bool, kind: Kind = .run) throws -> (
        listed: [String], present: [String]
    ) {
        let fm = FileManager.default
        guard !path.isEmpty else { throw DataError("--output is empty; give the run folder's path") }
        var isFolder: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue {
            throw DataError("\(path): is a file, not a run folder; choose another --output")
        }
        let resolved = resolvedPath(path)
        // A folder to be created must not go under a file.
        if let file = fileAncestor(of: resolved) {
            throw DataError("\(path): \(file) is a file, not a folder")
        }
        // A symbolic link is followed: the folder it names is the one checked and written.
        let present = fm.fileExists(atPath: path) ? try files(under: resolved) : []
        let listed = try readManifest(path, kind: kind)
        let ours = Set(listed).union(present.contains(manifest) ? [manifest, lock] : [])
        let trials = listed.filter { $0.hasSuffix("/") }  // a sweep's trial folders check their own files
        let foreign = present.filter { name in
            !ours.contains(name) && !isTemporary(name, of: ours) && !trials.contains(where: name.hasPrefix)
        }
        func some(_ names: [String]) -> String {
            names.prefix(3).joined(separator: ", ") + (names.count > 3 ? " and \(names.count - 3) more" : "")
        }
        if resume {
            let file = kind.resumeFile
            // An ensemble's members resume from their own members/k/last.safetensors.
            guard ours.contains(where: { ($0 == file || $0.hasSuffix("/" + file)) && present.contains($0) }) else {
                throw DataError("\(path): nothing to resume (no \(file)); run without --resume to start")
            }
        } else {
            let clashing = foreign.filter(kind.allows)
            if !clashing.isEmpty {
                throw DataError(
                    "\(path) holds \(some(clashing)), which nnreg did not write but would replace; "
                        + "move them or choose another --output")
            }
            // A run that finished no epoch kept nothing worth protecting: its files just go.
            let holdsRun = present.contains { ours.contains($0) && kind.marksWork($0) }
            if holdsRun && !overwrite {
                throw DataError(
                    "\(path) already holds a \(kind); pass --resume to continue it, --overwrite to replace it, "
                        + "or --output DIR")
            }
            if !foreign.isEmpty && !overwrite {
                throw DataError(
                    "\(path) holds files nnreg did not write (\(some(foreign))); choose an empty --output folder, "
                        + "or pass --overwrite to write beside them (they are kept)")
            }
        }
        return (listed, present)
    }

    private init(path: String, kind: Kind, listed: [String]) {
        self.path = path
        self.kind = kind
        self.listed = listed
    }

    deinit {
        if lockDescriptor >= 0 { close(lockDescriptor) }  // releases the flock
    }

    /// Records that nnreg writes `name` (relative to the folder) before it is written.
    public func claim(_ name: String) throws {
        precondition(kind.allows(name), "\(name) is not a name nnreg writes in a \(kind) folder")
        guard !listed.contains(name) else { return }
        listed.append(name)
        try saveManifest()
    }

    /// Writes `listed` to the manifest, replacing it atomically.
    private func saveManifest() throws {
        try writeAtomically(listed.joined(separator: "\n") + "\n", to: path + "/" + RunFolder.manifest)
    }

    /// The claimed names that start with `prefix`.
    public func claimed(startingWith prefix: String) -> [String] { listed.filter { $0.hasPrefix(prefix) } }

    /// Claims `name` and writes `text` to it atomically.
    public func write(_ text: String, to name: String) throws {
        try claim(name)
        try writeAtomically(text, to: path + "/" + name)
    }

    /// Names nnreg writes in a run folder: the fixed ones, checkpoints, TensorBoard's event
    /// files (tensorboard/{train,validation}/events.out.tfevents.nnreg), and the same inside
    /// an ensemble member's folder members/k/.
    static func isRunFile(_ name: String) -> Bool {
        var parts = name.split(separator: "/").map(String.init)
        if parts.count >= 3, parts[0] == "members", Int(parts[1]) != nil { parts.removeFirst(2) }
        switch parts.count {
        case 1: return fixedNames.contains(parts[0])
        case 2:
            return parts[0] == "checkpoints" && parts[1].hasPrefix("epoch-") && parts[1].hasSuffix(".safetensors")
        case 3:
            return parts[0] == "tensorboard" && ["train", "validation"].contains(parts[1]) && parts[2] == EventFile.name
        default: return false
        }
    }

    /// `.history.csv.tmp-<pid>-<tag>`: what `writeAtomically` leaves when killed mid-write.
    private static func isTemporary(_ name: String, of ours: Set<String>) -> Bool {
        let slash = name.lastIndex(of: "/")
        let folder = slash.map { String(name[...$0]) } ?? ""
        let base = slash.map { String(name[name.index(after: $0)...]) } ?? name
        guard base.hasPrefix("."), let tmp = base.range(of: ".tmp-") else { return false }
        return ours.contains(folder + String(base[base.index(after: base.startIndex)..<tmp.lowerBound]))
    }

    /// Waits until no process holds the lock of the run folder `path` (one a killed sweep
    /// left running finishes its batch and exits).
    static func waitForLock(_ path: String) {
        let descriptor = Foundation.open(path + "/" + lock, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_EX)
        close(descriptor)
    }

    private func takeLock() throws {
        try claim(RunFolder.lock)
        let lockPath = path + "/" + RunFolder.lock
        lockDescriptor = Foundation.open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lockDescriptor >= 0 else {
            throw FileIOError(path: lockPath, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        guard flock(lockDescriptor, LOCK_EX | LOCK_NB) == 0 else {
            throw DataError("\(path) is in use by another nnreg process; wait for it, or choose another --output")
        }
    }

    /// A fresh run: the files an earlier run listed (and their temporary files) go, and
    /// a sweep's trial folders with theirs; the manifest keeps only itself and the lock.
    private func deleteListed(present: [String]) throws {
        let keep: Set<String> = [RunFolder.manifest, RunFolder.lock]
        let ours = Set(listed)
        for name in present where !keep.contains(name) && (ours.contains(name) || RunFolder.isTemporary(name, of: ours))
        {
            try FileManager.default.removeItem(atPath: path + "/" + name)
        }
        for trial in listed where trial.hasSuffix("/") { try RunFolder.remove(path + "/" + trial.dropLast()) }
        for folder in ["checkpoints", "tensorboard", "members", "trials"] { removeEmptyFolders(path + "/" + folder) }
        listed = listed.filter(keep.contains)
        try saveManifest()
    }

    /// Deletes the run in `path`: the files its manifest lists, then the manifest and the
    /// lock, and the folder when nothing else is left in it. Files nnreg did not write stay.
    public static func remove(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path + "/" + manifest) else { return }
        let folder = try open(path, resume: false, overwrite: true)
        for name in [manifest, lock] { try FileManager.default.removeItem(atPath: path + "/" + name) }
        folder.removeEmptyFolders(path)
    }

    /// Removes `folder` and the folders under it that are (then) empty.
    private func removeEmptyFolders(_ folder: String) {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: folder)) ?? [] { removeEmptyFolders(folder + "/" + name) }
        if (try? fm.contentsOfDirectory(atPath: folder))?.isEmpty == true { try? fm.removeItem(atPath: folder) }
    }

    /// Every file below `root` (folders are not listed), relative to it.
    private static func files(under root: String) throws -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var out: [String] = []
        while let name = walker.nextObject() as? String {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + name, isDirectory: &isFolder), !isFolder.boolValue {
                out.append(name)
            }
        }
        return out.sorted()
    }

    private static func readManifest(_ folder: String, kind: Kind) throws -> [String] {
        let file = folder + "/" + manifest
        guard FileManager.default.fileExists(atPath: file) else { return [] }
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw DataError("\(file): cannot be read as nnreg's list of the files it wrote")
        }
        let names = text.split(separator: "\n").map(String.init)
        if let bad = names.first(where: { !kind.allows($0) }) {
            throw DataError("\(file): lists \"\(bad)\", not a file nnreg writes; the folder's list is damaged")
        }
        return names
    }
}
