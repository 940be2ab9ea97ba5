#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads from `fd` until `buffer` is full or the input ends, retrying interrupted reads.
/// Returns the bytes read and 0, or the bytes read before a failure and its errno.
/// (The one read loop of the CSV reader and the image decoder.)
func readFully(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> (filled: Int, errno: Int32) {
    guard let start = buffer.baseAddress else { return (0, 0) }
    let (filled, failure) = transferFully(fd, start, buffer.count, writing: false)
    return (filled, failure)
}

/// Writes all of `buffer` to `fd`, retrying interrupted and partial writes. Returns 0, or
/// the errno of the write that failed (`errno` still holds it; EIO if a write wrote nothing).
/// (The one write loop, for `writeAtomically`.)
func writeFully(_ fd: Int32, from buffer: UnsafeRawBufferPointer) -> Int32 {
    guard let start = buffer.baseAddress else { return 0 }
    let (written, failure) = transferFully(fd, UnsafeMutableRawPointer(mutating: start), buffer.count, writing: true)
    if failure == 0 && written < buffer.count {
        errno = EIO
        return EIO
    }
    return failure
}

/// The loop of both: read into (or write from) `start` until `count` bytes are done or a
/// call moves none; an interrupted call is retried. Returns the bytes done and 0, or those
/// done before a failure and its errno.
private func transferFully(
    _ fd: Int32, _ start: UnsafeMutableRawPointer, _ count: Int, writing: Bool
) -> (done: Int, errno: Int32) {
    var done = 0
    while done < count {
        #if canImport(Glibc)
            let n = writing ? Glibc.write(fd, start + done, count - done) : Glibc.read(fd, start + done, count - done)
        #elseif canImport(Musl)
            let n = writing ? Musl.write(fd, start + done, count - done) : Musl.read(fd, start + done, count - done)
        #else
            let n = writing ? Darwin.write(fd, start + done, count - done) : Darwin.read(fd, start + done, count - done)
        #endif
        if n > 0 {
            done += n
        } else if n == 0 {
            break
        } else if errno != EINTR {
            return (done, errno)
        }
    }
    return (done, 0)
}
