// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "nnreg",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "NNReg", targets: ["NNReg"]),
        .executable(name: "nnreg", targets: ["nnreg"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CJPEG", pkgConfig: "libjpeg",
            providers: [.apt(["libjpeg-dev"])]),
        .systemLibrary(
            name: "CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),
        .target(name: "CKernels"),
        .target(
            name: "NNReg",
            dependencies: [
                "CBLAS", "CJPEG", "CKernels", "CPNG", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]),
        .executableTarget(
            name: "nnreg",
            dependencies: ["NNReg", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(name: "NNRegTests", dependencies: ["CKernels", "NNReg"], resources: [.copy("Fixtures")]),
        .testTarget(name: "CLITests", dependencies: []),
    ],
    swiftLanguageModes: [.v5]
)
