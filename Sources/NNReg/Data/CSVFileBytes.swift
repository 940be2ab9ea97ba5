#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A whole source in memory, ending with "\n" as `CSVParser` needs: a regular file is
/// mapped (one byte longer when it does not end so); anything else is read into an array.
enum FileBytes {
    /// Calls `body` with the whole source in memory; a mapped file gives back the pages
    /// before p when `body` calls its `release(p)` (they are read again if touched later;
    /// a p behind the last one starts a new pass, whose pages are given back from the start).
    static func withContents<R>(
        of source: CSV.Source,
        releasing body: (UnsafeBufferPointer<UInt8>, _ release: (UnsafePointer<UInt8>) -> Void) throws -> R
    ) throws -> R {
        try contents(of: source) { try body($0, $1 ?? { _ in }) }
    }

    static func withContents<R>(of source: CSV.Source, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) throws -> R {
        try contents(of: source) { bytes, _ in try body(bytes) }
    }

    /// A folder or a device (/dev/zero) opened as `fd` is no CSV file: an error naming it.
    static func refuseNonFile(_ fd: Int32, path: String) throws {
        var info = stat()
        if fstat(fd, &info) == 0, [S_IFCHR, S_IFBLK, S_IFDIR].contains(info.st_mode & S_IFMT) {
            let what = (info.st_mode & S_IFMT) == S_IFDIR ? "a folder" : "a device"
            throw CSVError(source: path, .cannotRead("\(what), not a CSV file"))
        }
    }

    private static func contents<R>(
        of source: CSV.Source,
        _ body: (UnsafeBufferPointer<UInt8>, ((UnsafePointer<UInt8>) -> Void)?) throws -> R
    ) throws -> R {
        let plain = { (bytes: UnsafeBufferPointer<UInt8>) in try body(bytes, nil) }
        switch source {
        case .bytes(var bytes, _):
            if let last = bytes.last, last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
            return try bytes.withUnsafeBufferPointer(plain)
        case .fileDescriptor(let fd, let name):
            return try read(fd, name: name).withUnsafeBufferPointer(plain)
        case .path("-"):
            return try read(0, name: source.name).withUnsafeBufferPointer(plain)
        case .path(let path):
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else { throw CSVError(source: path, .cannotRead(String(cString: strerror(errno)))) }
            defer { close(fd) }
            try refuseNonFile(fd, path: path)
            guard let mapped = map(fd) else { return try read(fd, name: path).withUnsafeBufferPointer(plain) }
            defer { munmap(UnsafeMutableRawPointer(mutating: mapped.baseAddress!), mapped.count) }
            let base = UnsafeMutableRawPointer(mutating: mapped.baseAddress!)
            let page = Int(sysconf(Int32(_SC_PAGESIZE))), window = 16 << 20
            // The last page is never given back: it may hold the "\n" `map` added.
            let lastPage = (mapped.count - 1) / page * page
            var released = 0, populated = 0
            // Page tables filled a window ahead at a time (MADV_POPULATE_READ, Linux 5.14;
            // elsewhere pages fault in one by one), given back behind.
            func populate(upTo end: Int) {
                let end = min(end, mapped.count)
                guard end > populated else { return }
                _ = madvise(base + populated, end - populated, 22)  // MADV_POPULATE_READ
                populated = end
            }
            populate(upTo: window)
            return try body(mapped) { p in
                let at = UnsafeRawPointer(p) - UnsafeRawPointer(base), upTo = min(at / page * page, lastPage)
                if upTo < released { (released, populated) = (0, upTo) }  // a second pass from the start
                if upTo > released {
                    madvise(base + released, upTo - released, MADV_DONTNEED)
                    released = upTo
                }
                if populated < at + window / 2 { populate(upTo: at + window) }
            }
        }
    }

    /// The whole regular file `fd`, mapped, ending with "\n": a file that does not end so
    /// is mapped over the start of a private region one byte longer, whose last byte is
    /// set to "\n" (in the file's last page, or the region's own page after it). nil for
    /// anything else.
    private static func map(_ fd: Int32) -> UnsafeBufferPointer<UInt8>? {
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size > 0 else { return nil }
        let size = Int(info.st_size)
        // Small files are read in at once; large ones page in as they are parsed (and
        // out again behind the parser, `release`), so they are never resident as a whole.
        #if os(Linux)
            let flags = size <= 32 << 20 ? MAP_PRIVATE | MAP_POPULATE : MAP_PRIVATE
        #else
            let flags = MAP_PRIVATE
        #endif
        guard let address = mmap(nil, size, PROT_READ, flags, fd, 0), address != MAP_FAILED else { return nil }
        if address.load(fromByteOffset: size - 1, as: UInt8.self) == UInt8(ascii: "\n") {
            _ = madvise(address, size, MADV_SEQUENTIAL)
            return UnsafeBufferPointer(start: address.assumingMemoryBound(to: UInt8.self), count: size)
        }
        munmap(address, size)
        let writable = PROT_READ | PROT_WRITE
        guard let region = mmap(nil, size + 1, writable, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), region != MAP_FAILED
        else { return nil }
        guard mmap(region, size, writable, flags | MAP_FIXED, fd, 0) == region else {
            munmap(region, size + 1)
            return nil
        }
        region.storeBytes(of: UInt8(ascii: "\n"), toByteOffset: size, as: UInt8.self)
        _ = madvise(region, size, MADV_SEQUENTIAL)
        return UnsafeBufferPointer(start: region.assumingMemoryBound(to: UInt8.self), count: size + 1)
    }

    /// A stream (a pipe, standard input) longer than this is an error, not an endless read:
    /// half the machine's memory.
    static var streamLimit: Int { sysconf(Int32(_SC_PHYS_PAGES)) * sysconf(Int32(_SC_PAGESIZE)) / 2 }

    /// Everything left to read from `fd`, with a "\n" appended if it does not end with one.
    static func read(_ fd: Int32, name: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = 1 << 20
        while true {
            guard bytes.count <= streamLimit - chunk else {
                throw CSVError(
                    source: name,
                    .cannotRead("more than \(streamLimit >> 20) MiB (half the memory); save it to a file first"))
            }
            var failure: Int32 = 0
            let piece = [UInt8](unsafeUninitializedCapacity: chunk) { buffer, count in
                (count, failure) = readFully(fd, into: UnsafeMutableRawBufferPointer(buffer))
            }
            guard failure == 0 else { throw CSVError(source: name, .cannotRead(String(cString: strerror(failure)))) }
            bytes += piece
            if piece.count < chunk { break }
            chunk = max(chunk, bytes.count)
        }
        if let last = bytes.last, last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
        return bytes
    }
}
