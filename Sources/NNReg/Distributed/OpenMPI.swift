import Foundation

/// The ranks of an Open MPI job, with libmpi loaded at run time (dlopen), not linked.
///
/// Why at run time: nnreg must build and run where Open MPI is not installed (one machine,
/// no mpirun), so the package links no MPI library and needs no mpi.h. Under mpirun, the
/// library is Debian's libmpi.so.40 (libopenmpi3). Open MPI's handles (MPI_COMM_WORLD,
/// MPI_FLOAT, MPI_DOUBLE, MPI_BYTE, MPI_SUM) are macros for the addresses of global
/// objects (mpi.h: `OMPI_PREDEFINED_GLOBAL(MPI_Comm, ompi_mpi_comm_world)`), so dlsym of
/// those symbols gives the handles; MPI_IN_PLACE is `(void *) 1`. This ties the loader to
/// Open MPI's ABI (MPICH's handles are integers); `mpirun` is Open MPI's.
///
/// Errors of MPI calls are fatal (MPI_ERRORS_ARE_FATAL, the default): a rank that fails or
/// dies ends the job, never leaves it hanging.
public final class OpenMPI: Communicator {
    public let rank: Int
    public let size: Int

    private typealias Handle = UnsafeMutableRawPointer
    private typealias InitFunction = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Int32
    private typealias CommIntFunction = @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
    private typealias AllreduceFunction =
        @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle) -> Int32
    private typealias BcastFunction = @convention(c) (UnsafeMutableRawPointer?, Int32, Handle, Int32, Handle) -> Int32
    private typealias AbortFunction = @convention(c) (Handle, Int32) -> Int32
    private typealias SendFunction =
        @convention(c) (UnsafeRawPointer?, Int32, Handle, Int32, Int32, Handle) -> Int32
    private typealias RecvFunction =
        @convention(c) (UnsafeMutableRawPointer?, Int32, Handle, Int32, Int32, Handle, UnsafeMutableRawPointer) -> Int32
    private typealias IprobeFunction =
        @convention(c) (Int32, Int32, Handle, UnsafeMutablePointer<Int32>, UnsafeMutableRawPointer) -> Int32
    private typealias ProbeFunction = @convention(c) (Int32, Int32, Handle, UnsafeMutableRawPointer) -> Int32
    private typealias GetCountFunction =
        @convention(c) (UnsafeRawPointer, Handle, UnsafeMutablePointer<Int32>) -> Int32
    private typealias FinalizeFunction = @convention(c) () -> Int32

    private let world: Handle, float: Handle, double: Handle, byte: Handle, sum: Handle
    private let allreduce: AllreduceFunction
    private let bcast: BcastFunction
    private let abortJob: AbortFunction
    private let sendBytes: SendFunction, receiveBytes: RecvFunction, iprobe: IprobeFunction, probe: ProbeFunction
    private let getCount: GetCountFunction
    /// An MPI_Status (Open MPI's: MPI_SOURCE, MPI_TAG, MPI_ERROR, two private fields; 24 bytes).
    private let status = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 8)
    private let finalize: FinalizeFunction
    private var finished = false

    /// The library tried first; then the unversioned name (libopenmpi-dev's symlink).
    public static let libraries = ["libmpi.so.40", "libmpi.so"]

    /// The job this process is a rank of, when mpirun started it (OMPI_COMM_WORLD_SIZE is
    /// set); nil otherwise. Throws when the job's MPI library cannot be loaded.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> OpenMPI?
    {
        guard let size = environment["OMPI_COMM_WORLD_SIZE"] else { return nil }
        return try OpenMPI(expectedSize: Int(size))
    }

    init(expectedSize: Int?) throws {
        // RTLD_GLOBAL: Open MPI's plugins (mca_*.so) resolve libmpi's symbols from the global scope.
        var handle: UnsafeMutableRawPointer?
        var reasons: [String] = []
        for name in OpenMPI.libraries {
            handle = dlopen(name, RTLD_NOW | RTLD_GLOBAL)
            if handle != nil { break }
            reasons.append(dlerror().map { String(cString: $0) } ?? name)
        }
        guard let library = handle else {
            throw DistributedError(
                "running under mpirun (OMPI_COMM_WORLD_SIZE is set) but Open MPI's library could not be loaded: "
                    + reasons.joined(separator: "; ") + " (Debian: apt-get install libopenmpi3)")
        }
        func symbol(_ name: String) throws -> UnsafeMutableRawPointer {
            guard let p = dlsym(library, name) else {
                throw DistributedError("\(name) is missing from Open MPI's library (libmpi.so.40 is needed)")
            }
            return p
        }
        func function<F>(_ name: String, as type: F.Type) throws -> F { unsafeBitCast(try symbol(name), to: type) }
        world = try symbol("ompi_mpi_comm_world")
        float = try symbol("ompi_mpi_float")
        double = try symbol("ompi_mpi_double")
        byte = try symbol("ompi_mpi_byte")
        sum = try symbol("ompi_mpi_op_sum")
        allreduce = try function("MPI_Allreduce", as: AllreduceFunction.self)
        bcast = try function("MPI_Bcast", as: BcastFunction.self)
        abortJob = try function("MPI_Abort", as: AbortFunction.self)
        finalize = try function("MPI_Finalize", as: FinalizeFunction.self)
        sendBytes = try function("MPI_Send", as: SendFunction.self)
        receiveBytes = try function("MPI_Recv", as: RecvFunction.self)
        iprobe = try function("MPI_Iprobe", as: IprobeFunction.self)
        probe = try function("MPI_Probe", as: ProbeFunction.self)
        getCount = try function("MPI_Get_count", as: GetCountFunction.self)
        let initialize = try function("MPI_Init", as: InitFunction.self)
        let commRank = try function("MPI_Comm_rank", as: CommIntFunction.self)
        let commSize = try function("MPI_Comm_size", as: CommIntFunction.self)
        guard initialize(nil, nil) == 0 else { throw DistributedError("MPI_Init failed") }
        var value: Int32 = 0
        _ = commRank(world, &value)
        rank = Int(value)
        _ = commSize(world, &value)
        size = Int(value)
        if let expectedSize, expectedSize != size {
            throw DistributedError("OMPI_COMM_WORLD_SIZE is \(expectedSize) but MPI_COMM_WORLD has \(size) ranks")
        }
    }

    deinit { status.deallocate() }

    /// MPI counts are Int32: larger buffers go in chunks.
    private func chunks(_ count: Int, _ body: (_ offset: Int, _ count: Int32) -> Void) {
        var offset = 0
        while offset < count {
            let n = min(count - offset, Int(Int32.max))
            body(offset, Int32(n))
            offset += n
        }
    }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) {
        guard size > 1, let base = buffer.baseAddress else { return }
        chunks(buffer.count) { o, n in _ = allreduce(UnsafeRawPointer(bitPattern: 1), base + o, n, float, sum, world) }
    }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) {
        guard size > 1, let base = buffer.baseAddress else { return }
        chunks(buffer.count) { o, n in _ = allreduce(UnsafeRawPointer(bitPattern: 1), base + o, n, double, sum, world) }
    }

    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) {
        guard size > 1, let base = buffer.baseAddress else { return }
        chunks(buffer.count) { o, n in _ = bcast(base + o, n, byte, Int32(root), world) }
    }

    public func send(_ bytes: [UInt8], to destination: Int) {
        precondition(bytes.count < Int(Int32.max), "a message of \(bytes.count) bytes")
        bytes.withUnsafeBytes { _ = sendBytes($0.baseAddress, Int32(bytes.count), byte, Int32(destination), 0, world) }
    }

    public func hasMessage(from source: Int?) -> Bool {
        var flag: Int32 = 0
        _ = iprobe(Int32(source ?? -1), -1, world, &flag, status)  // -1: MPI_ANY_SOURCE, MPI_ANY_TAG
        return flag != 0
    }

    public func receive(from source: Int?) -> (source: Int, bytes: [UInt8]) {
        _ = probe(Int32(source ?? -1), -1, world, status)
        var count: Int32 = 0
        _ = getCount(status, byte, &count)
        let sender = status.load(as: Int32.self)  // MPI_SOURCE, the first field
        var bytes = [UInt8](repeating: 0, count: Int(count))
        bytes.withUnsafeMutableBytes { _ = receiveBytes($0.baseAddress, count, byte, sender, -1, world, status) }
        return (Int(sender), bytes)
    }

    public func abort(code: Int32) -> Never {
        _ = abortJob(world, code)
        exit(code)
    }

    public func finish() {
        guard !finished else { return }
        finished = true
        _ = finalize()
    }
}

/// MPI could not be used (the library is missing, or the job is not what it claims).
public struct DistributedError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The communicator of this process: Open MPI's ranks under mpirun, else one process.
public func currentCommunicator() throws -> Communicator {
    try OpenMPI.fromEnvironment() ?? SingleProcess()
}
