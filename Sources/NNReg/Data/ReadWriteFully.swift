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
    let (filled, failure) = transferFully(buffer.count) { done, left in
        #if canImport(Glibc)
            Glibc.read(fd, start + done, left)
        #elseif canImport(Musl)
            Musl.read(fd, start + done, left)
        #else
            Darwin.read(fd, start + done, left)
        #endif
    }
    return (filled, failure)
}

/// Writes all of `buffer` to `fd`, retrying interrupted and partial writes. Returns 0, or
/// the errno of the write that failed (`errno` still holds it; EIO if a write wrote nothing).
/// (The one write loop, for `writeAtomically`.)
func writeFully(_ fd: Int32, from buffer: UnsafeRawBufferPointer) -> Int32 {
    guard let start = buffer.baseAddress else { return 0 }
    let (written, failure) = transferFully(buffer.count) { done, left in
        #if canImport(Glibc)
            Glibc.write(fd, start + done, left)
        #elseif canImport(Musl)
            Musl.write(fd, start + done, left)
        #else
            Darwin.write(fd, start + done, left)
        #endif
    }
    if failure == 0 && written < buffer.count {
        errno = EIO
        return EIO
    }
    return failure
}

/// The loop of both: `io(done, left)` moves up to `left` more bytes (a read or write
/// system call's result) until `count` are done or it returns 0; an interrupted call is
/// retried. Returns the bytes done and 0, or those done before a failure and its errno.
@inline(__always)
private func transferFully(_ count: Int, _ io: (_ done: Int, _ left: Int) -> Int) -> (done: Int, errno: Int32) {
    var done = 0
    while done < count {
        let n = io(done, count - done)
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
