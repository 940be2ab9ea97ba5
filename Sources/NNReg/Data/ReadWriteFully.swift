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
    let count = buffer.count
    var filled = 0
    while filled < count {
        #if canImport(Glibc)
            let n = Glibc.read(fd, start + filled, count - filled)
        #elseif canImport(Musl)
            let n = Musl.read(fd, start + filled, count - filled)
        #else
            let n = Darwin.read(fd, start + filled, count - filled)
        #endif
        if n > 0 {
            filled += n
        } else if n == 0 {
            break
        } else if errno != EINTR {
            return (filled, errno)
        }
    }
    return (filled, 0)
}

/// Writes all of `buffer` to `fd`, retrying interrupted and partial writes. Returns 0, or
/// the errno of the write that failed (`errno` still holds it).
/// (The one write loop, for `writeAtomically`.)
func writeFully(_ fd: Int32, from buffer: UnsafeRawBufferPointer) -> Int32 {
    guard let start = buffer.baseAddress else { return 0 }
    let count = buffer.count
    var done = 0
    while done < count {
        #if canImport(Glibc)
            let n = Glibc.write(fd, start + done, count - done)
        #elseif canImport(Musl)
            let n = Musl.write(fd, start + done, count - done)
        #else
            let n = Darwin.write(fd, start + done, count - done)
        #endif
        if n >= 0 {
            done += n
        } else if errno != EINTR {
            return errno
        }
    }
    return 0
}
