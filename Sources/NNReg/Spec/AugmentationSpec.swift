/// "augmentation": random transforms of training images (Keras ImageDataGenerator's
/// arguments and defaults, then nnreg's additions). Every key has a default that leaves
/// images unchanged. Angles are degrees; shift ranges < 1 are fractions of the size,
/// >= 1 pixels (as in Keras).
public struct AugmentationSpec: SpecSection, Equatable, Sendable {
    public var path: String { "augmentation" }
    public var options: [String: JSON]

    public enum FillMode: String, CaseIterable, Sendable { case nearest, constant, reflect, wrap }

    public var rotationRange: Double { double("rotation_range") }
    public var widthShiftRange: Double { double("width_shift_range") }
    public var heightShiftRange: Double { double("height_shift_range") }
    public var shearRange: Double { double("shear_range") }
    /// Scale factors drawn from this range; a spec's zoom_range z is [1 - z, 1 + z] (Keras).
    public var zoomRange: ClosedRange<Double> { range("zoom_range")! }
    /// Brightness factors; nil: unchanged.
    public var brightnessRange: ClosedRange<Double>? { range("brightness_range") }
    public var channelShiftRange: Double { double("channel_shift_range") }
    public var fillMode: FillMode { choice("fill_mode") }
    /// The fill value for fill_mode "constant".
    public var cval: Double { double("cval") }
    public var horizontalFlip: Bool { bool("horizontal_flip") }
    public var verticalFlip: Bool { bool("vertical_flip") }
    public var featurewiseCenter: Bool { bool("featurewise_center") }
    public var samplewiseCenter: Bool { bool("samplewise_center") }
    public var featurewiseStdNormalization: Bool { bool("featurewise_std_normalization") }
    public var samplewiseStdNormalization: Bool { bool("samplewise_std_normalization") }
    public var zcaWhitening: Bool { bool("zca_whitening") }
    public var zcaEpsilon: Double { double("zca_epsilon") }
    /// Contrast factors (distance from the image mean is scaled); a spec's f is [1 - f, 1 + f].
    public var contrastRange: ClosedRange<Double>? { range("contrast_range") }
    /// Saturation factors, as contrast_range.
    public var saturationRange: ClosedRange<Double>? { range("saturation_range") }
    /// Largest hue shift as a fraction of the colour wheel, in [0, 0.5] (tf.image.random_hue).
    public var hueShiftRange: Double { double("hue_shift_range") }
    /// Standard deviation of additive Gaussian noise, in rescaled input units.
    public var gaussianNoise: Double { double("gaussian_noise") }
    /// Largest Gaussian blur sigma in pixels; each image's sigma is uniform in [0, this].
    public var gaussianBlur: Double { double("gaussian_blur") }
    /// Pixels of padding (fill_mode) around the image before a random crop back to its size.
    public var randomCrop: Int { int("random_crop") }
    public var randomErasing: RandomErasing? {
        isNull("random_erasing")
            ? nil : RandomErasing(OptionsView(value("random_erasing"), at: specPath(path, "random_erasing")))
    }
    /// Beta(alpha, alpha) of mixup; 0: off.
    public var mixup: Double { double("mixup") }
    /// Beta(alpha, alpha) of cutmix; 0: off.
    public var cutmix: Double { double("cutmix") }

    /// random_erasing (cutout; torchvision RandomErasing's arguments and defaults).
    public struct RandomErasing: Equatable, Sendable {
        /// Chance that an image gets a rectangle erased.
        public var probability: Double
        /// The rectangle's area as a fraction of the image.
        public var scale: ClosedRange<Double>
        /// The rectangle's aspect ratio (width / height).
        public var ratio: ClosedRange<Double>
        /// The value written into it.
        public var value: Double
    }

    init(options: [String: JSON]) { self.options = options }

    /// Validates an augmentation object on its own (as `nnreg augment` builds one from
    /// flags), with the same rules, defaults and messages as in a spec.
    public init(json: JSON) throws {
        let context = SpecContext(baseDirectory: "/", defaultName: "")
        options = try AugmentationSpec.schema.validate(json, at: "augmentation", context).dictionary
    }

    private func range(_ key: String) -> ClosedRange<Double>? { AugmentationSpec.closedRange(value(key)) }

    /// Ranges that keep every transform finite and every pixel index representable: shifts up
    /// to 100,000 pixels, factors up to 1,000, pixel values within ±1,000,000.
    static let pixels = Interval(lower: 0, upper: 100_000)
    static let factor = Interval(lower: 0, upper: 1000)
    static let values = Interval(lower: 0, upper: 1_000_000)
    static let signedValues = Interval(lower: -1_000_000, upper: 1_000_000)

    static let schema = Schema(
        "augmentation",
        [
            Option(
                "rotation_range", .number(Interval(lower: 0, upper: 360)), default: 0,
                doc: "largest random rotation, in degrees"),
            Option(
                "width_shift_range", .number(AugmentationSpec.pixels), default: 0,
                doc: "largest horizontal shift: a fraction of the width if < 1, else pixels"),
            Option(
                "height_shift_range", .number(AugmentationSpec.pixels), default: 0,
                doc: "largest vertical shift: a fraction of the height if < 1, else pixels"),
            Option(
                "shear_range", .number(Interval(lower: 0, upper: 360)), default: 0,
                doc: "largest shear angle, counter-clockwise, in degrees"),
            Option(
                "zoom_range", factorRange(scalar: .fraction, pair: Interval(lower: 0, lowerClosed: false, upper: 1000)),
                default: 0,
                doc: "zoom factors: z means [1 - z, 1 + z], or [low, high]"),
            Option(
                "brightness_range", .nullable(.pair(AugmentationSpec.factor)), default: nil,
                doc: "brightness factors [low, high]; null: unchanged"),
            Option(
                "channel_shift_range", .number(AugmentationSpec.values), default: 0,
                doc: "largest random shift added to each channel"),
            Option(
                "fill_mode", .cases("fill mode", FillMode.self), default: "nearest",
                doc: "how points outside the image are filled after a transform"),
            Option(
                "cval", .number(AugmentationSpec.signedValues), default: 0,
                doc: "the fill value for fill_mode \"constant\""),
            Option("horizontal_flip", .bool, default: false, doc: "flip half the images left to right"),
            Option("vertical_flip", .bool, default: false, doc: "flip half the images upside down"),
            Option("featurewise_center", .bool, default: false, doc: "subtract the training set's mean, per feature"),
            Option("samplewise_center", .bool, default: false, doc: "subtract each image's own mean"),
            Option(
                "featurewise_std_normalization", .bool, default: false,
                doc: "divide by the training set's std, per feature"),
            Option("samplewise_std_normalization", .bool, default: false, doc: "divide each image by its own std"),
            Option("zca_whitening", .bool, default: false, doc: "apply ZCA whitening fitted on the training set"),
            Option(
                "zca_epsilon", .number(Interval(lower: 0, lowerClosed: false, upper: 1000)), default: 1e-6,
                doc: "epsilon of ZCA whitening"),
            Option(
                "contrast_range", .nullable(factorRange(scalar: .unit, pair: AugmentationSpec.factor)), default: nil,
                doc: "contrast factors: f means [1 - f, 1 + f], or [low, high]; null: unchanged"),
            Option(
                "saturation_range", .nullable(factorRange(scalar: .unit, pair: AugmentationSpec.factor)), default: nil,
                doc: "saturation factors, as contrast_range; null: unchanged"),
            Option(
                "hue_shift_range", .number(Interval(lower: 0, upper: 0.5)), default: 0,
                doc: "largest hue shift, as a fraction of the colour wheel"),
            Option(
                "gaussian_noise", .number(AugmentationSpec.values), default: 0,
                doc: "std of additive Gaussian noise, in rescaled input units"),
            Option(
                "gaussian_blur", .number(Interval(lower: 0, upper: 1000)), default: 0,
                doc: "largest Gaussian blur sigma in pixels; each image's is uniform in [0, this]"),
            Option(
                "random_crop", .integer(min: 0, max: 1024), default: 0,
                doc: "pixels of padding (fill_mode) before a random crop back to the image's size"),
            Option(
                "random_erasing", .nullable(.object(RandomErasing.schema)), default: nil,
                doc: "erase a random rectangle (cutout, torchvision RandomErasing); null: off"),
            Option(
                "mixup", .number(AugmentationSpec.factor), default: 0,
                doc: "alpha of mixup's Beta(alpha, alpha) mixing weights; 0: off"),
            Option(
                "cutmix", .number(AugmentationSpec.factor), default: 0,
                doc: "alpha of cutmix's Beta(alpha, alpha) area fractions; 0: off"),
        ])
}

extension AugmentationSpec.RandomErasing {
    static let schema = Schema(
        "random_erasing",
        [
            Option("probability", .number(.unit), default: 0.5, doc: "chance that an image gets a rectangle erased"),
            Option(
                "scale", .pair(Interval(lower: 0, lowerClosed: false, upper: 1)), default: [0.02, 0.33],
                doc: "the rectangle's area as a fraction of the image, [low, high]"),
            Option(
                "ratio", .pair(Interval(lower: 0, lowerClosed: false, upper: 1000)), default: [0.3, 3.3],
                doc: "the rectangle's aspect ratio (width / height), [low, high]"),
            Option(
                "value", .number(AugmentationSpec.signedValues), default: 0, doc: "the value written into the rectangle"
            ),
        ],
        doc: "cutout: a random rectangle of the image set to one value")

    init(_ view: OptionsView) {
        probability = view.double("probability")
        scale = AugmentationSpec.closedRange(view.value("scale"))!
        ratio = AugmentationSpec.closedRange(view.value("ratio"))!
        value = view.double("value")
    }
}

extension AugmentationSpec {
    /// A factor range: f (in `scalar`) means [1 - f, 1 + f], as Keras reads zoom_range; or
    /// [low, high] with both in `pair` and low <= high. Canonical: [low, high].
    fileprivate static func factorRange(scalar: Interval, pair: Interval) -> Rule {
        let what = "a number or [low, high]"
        let fragment: JSON = [
            "anyOf": [
                JSONSchemaGenerator.number(scalar),
                ["type": "array", "items": JSONSchemaGenerator.number(pair), "minItems": 2, "maxItems": 2],
            ]
        ]
        return .custom(what: what, jsonSchema: fragment) { value, path, context in
            if case .number(let f) = value {
                guard scalar.contains(f) else {
                    throw SpecError(path: path, message: "must be \(scalar), got \(JSON.format(f))")
                }
                return [.number(1 - f), .number(1 + f)]
            }
            guard value.arrayValue != nil else { throw SpecError.expected(what, got: value, at: path) }
            return try Rule.pair(pair).check(value, at: path, context)
        }
    }

    fileprivate static func closedRange(_ json: JSON) -> ClosedRange<Double>? {
        guard let pair = json.arrayValue else { return nil }
        return pair[0].doubleValue!...pair[1].doubleValue!
    }
}

extension AugmentationSpec {
    /// The section with every default filled in, as the resolved spec prints it.
    public var resolvedJSON: JSON { json }
}
