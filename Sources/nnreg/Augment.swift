import ArgumentParser
import Foundation
import NNReg

extension Image: AugmentableImage {}

struct Augment: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write augmented copies of every image, keeping class subfolders.",
        discussion: """
            Options come from a spec's "augmentation" section (--spec) or from the flags below,
            or both (flags win). Each output is <class>/<name>_aug<k>.<png|jpg>; manifest.csv
            lists every file with the parameters drawn for it. The input is never written to.
            Batch-only options (featurewise/samplewise normalization, ZCA, mixup, cutmix) are
            ignored here, with a note.
            """)

    @Argument(help: "A folder of images, with or without class subfolders.")
    var images: String

    @Option(help: "Output folder (must not be inside the input).")
    var output: String

    @Option(help: "A spec file whose augmentation section to use.")
    var spec: String?

    @Option(help: "Augmented copies per image.")
    var count = 1

    @Option(help: "Seed of the augmentation draws.")
    var seed: UInt64 = 42

    @Option(help: "Output format: png or jpeg (default: each input's own).")
    var format: String?

    @Option(help: "Degrees of random rotation.") var rotationRange: Double?
    @Option(help: "Horizontal shift: a fraction of the width (< 1) or pixels.") var widthShiftRange: Double?
    @Option(help: "Vertical shift: a fraction of the height (< 1) or pixels.") var heightShiftRange: Double?
    @Option(help: "Shear angle in degrees.") var shearRange: Double?
    @Option(help: "Zoom: [1 - z, 1 + z].") var zoomRange: Double?
    @Option(help: "Brightness factor range, as LOW,HIGH.") var brightnessRange: String?
    @Option(help: "Random channel shift, in pixel values.") var channelShiftRange: Double?
    @Option(help: "nearest, constant, reflect or wrap.") var fillMode: String?
    @Option(help: "Fill value for fill-mode constant.") var cval: Double?
    @Flag(help: "Random horizontal flips.") var horizontalFlip = false
    @Flag(help: "Random vertical flips.") var verticalFlip = false

    /// The augmentation object: the spec's section, then the flags given.
    func options() throws -> JSON {
        var members: [(String, JSON)] = []
        if let spec {
            let s = try Spec.load(path: spec)
            guard let a = s.augmentation else {
                throw SpecError(path: "augmentation", message: "\(spec) has no augmentation section")
            }
            members = a.resolvedJSON.objectValue.map { Array($0.map { ($0.key, $0.value) }) } ?? []
        }
        func set(_ key: String, _ value: JSON?) {
            guard let value else { return }
            members.removeAll { $0.0 == key }
            members.append((key, value))
        }
        set("rotation_range", rotationRange.map(JSON.number))
        set("width_shift_range", widthShiftRange.map(JSON.number))
        set("height_shift_range", heightShiftRange.map(JSON.number))
        set("shear_range", shearRange.map(JSON.number))
        set("zoom_range", zoomRange.map(JSON.number))
        set("channel_shift_range", channelShiftRange.map(JSON.number))
        set("fill_mode", fillMode.map(JSON.string))
        set("cval", cval.map(JSON.number))
        if horizontalFlip { set("horizontal_flip", true) }
        if verticalFlip { set("vertical_flip", true) }
        if let b = brightnessRange {
            let parts = b.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 2 else { throw ValidationError("--brightness-range must be LOW,HIGH, got \(b)") }
            set("brightness_range", .array(parts.map(JSON.number)))
        }
        return .object(.init(members))
    }

    /// An error about a value given by flag names the flag ("--rotation-range"), not the
    /// augmentation key it was written to.
    func flagError(_ error: SpecError) -> SpecError {
        let parts = error.path.split(separator: ".", maxSplits: 2).map(String.init)
        guard parts.count >= 2, parts[0] == "augmentation" else { return error }
        let key = parts[1].split(separator: "[").first.map(String.init) ?? parts[1]
        let flag = "--" + key.replacingOccurrences(of: "_", with: "-")
        let flags = ["horizontal_flip": horizontalFlip, "vertical_flip": verticalFlip]
        let given: [String: Bool] = [
            "rotation_range": rotationRange != nil, "width_shift_range": widthShiftRange != nil,
            "height_shift_range": heightShiftRange != nil, "shear_range": shearRange != nil,
            "zoom_range": zoomRange != nil, "brightness_range": brightnessRange != nil,
            "channel_shift_range": channelShiftRange != nil, "fill_mode": fillMode != nil, "cval": cval != nil,
        ].merging(flags) { a, _ in a }
        guard given[key] == true else { return error }
        return SpecError(path: flag, message: error.message)
    }

    func run() throws {
        try runReporting {
            let augmenter: Augmenter
            do {
                augmenter = try Augmenter(json: try options())
            } catch let error as SpecError {
                throw flagError(error)
            }
            let manifest = try AugmentCommand.run(
                inputRoot: images, outputRoot: output, count: count, seed: seed, format: format, augmenter: augmenter,
                decode: { try ImageCodec.read($0) },
                encode: { image, format in
                    format == "jpeg" ? try ImageCodec.encodeJPEG(image) : try ImageCodec.encodePNG(image)
                })
            if !manifest.ignored.isEmpty {
                printErr("note: ignored batch-only options: \(manifest.ignored.joined(separator: ", "))")
            }
            printErr("wrote \(manifest.rows.count) images and manifest.csv to \(output)")
        }
    }
}
