/// An error the user fixes by changing the input: a spec, data, a flag, a file given.
/// Commands exit with status 2 for these and 1 for every other error (a failure while
/// running). Conform an error type here, once, and every command reports it that way.
public protocol UserError: Error {
    /// Whether this instance is the user's to fix; true unless a type says otherwise.
    var isUserError: Bool { get }
}

extension UserError {
    public var isUserError: Bool { true }
}

/// The exit status for `error`: 2 for bad usage, spec or data, 1 for failures while running.
public func exitStatus(for error: Error) -> Int32 {
    (error as? UserError)?.isUserError == true ? 2 : 1
}

extension SpecError: UserError {}
extension JSONSyntaxError: UserError {}
extension DataError: UserError {}
extension CSVError: UserError {}
extension ImageError: UserError {}
extension SafeTensorsError: UserError {}
extension HistoryFileError: UserError {}
extension RunRecordError: UserError {}
extension AugmentCommandError: UserError {
    /// Bad usage or input (folders, count, format, an unreadable source image) is the
    /// user's; an image that could not be written is not.
    public var isUserError: Bool { isUsage }
}
