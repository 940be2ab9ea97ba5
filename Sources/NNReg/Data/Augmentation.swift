import Foundation

/// Random transforms of training images: Keras ImageDataGenerator's, then nnreg's additions.
///
/// An image is Float32 (H, W, C), channels last, row-major, behind a raw pointer, so image
/// files and (N, H, W, C) tensor batches share one implementation. Per image, in order:
///
/// 1. `drawParameters`: Keras get_random_transform's draws in Keras's order and
///    distributions (rotation, height shift, width shift, shear, zoom x and y, the two
///    flip coins (always drawn, as in Keras), channel shift, brightness), then the
///    additions (contrast, saturation and hue (RGB only), crop row then column offset,
///    blur sigma, noise seed, erasing). An option that is off draws nothing.
/// 2. `apply`: Keras apply_transform's order (one affine resampling about the image centre
///    with scipy.ndimage order-1 semantics and fill_mode, channel shift, horizontal flip,
///    vertical flip, brightness), then contrast, saturation, hue, random crop, Gaussian blur,
///    Gaussian noise, random erasing.
/// 3. `standardize`: samplewise center and std, featurewise center and std, ZCA (Keras
///    standardize's order; `fit` computes the featurewise statistics).
/// 4. Per batch, `mix`: mixup or cutmix of inputs and (one-hot or soft) targets.
///
/// Units: nnreg rescales at load, Keras after augmenting. Keras's own pixel-unit options
/// (channel_shift_range, cval) are therefore read in raw pixel units and multiplied by
/// `rescale`; brightness clips at 255 * rescale as Keras's uint8 round trip clips at 255.
/// The additions (gaussian_noise, random_erasing.value) are in the units the network sees.
///
/// Two places where nnreg follows Keras's documentation rather than its code: Keras 3.15.1
/// feeds height_shift_range into the horizontal offset and width_shift_range into the
/// vertical one (keras-team/keras#17398), and centres rotation and zoom at
/// (h/2 - 0.5, w/2 - 0.5) in (x, y) order, which is off-centre for non-square images.
/// Here width_shift_range moves columns, height_shift_range rows, and the centre is
/// ((W - 1)/2, (H - 1)/2). For square images with equal shift ranges the two agree exactly.
public struct Augmenter: Sendable {
    public let rotationRange: Double
    public let widthShiftRange: Double
    public let heightShiftRange: Double
    public let shearRange: Double
    public let zoomRange: ClosedRange<Double>
    public let brightnessRange: ClosedRange<Double>?
    /// Raw pixel units, as in Keras.
    public let channelShiftRange: Double
    public let fillMode: AugmentationSpec.FillMode
    /// The fill value in the units of the images (spec cval * rescale).
    public let cval: Float
    public let horizontalFlip: Bool
    public let verticalFlip: Bool
    public let featurewiseCenter: Bool
    public let samplewiseCenter: Bool
    public let featurewiseStdNormalization: Bool
    public let samplewiseStdNormalization: Bool
    public let zcaWhitening: Bool
    public let zcaEpsilon: Double
    public let contrastRange: ClosedRange<Double>?
    public let saturationRange: ClosedRange<Double>?
    public let hueShiftRange: Double
    public let gaussianNoise: Double
    public let gaussianBlur: Double
    public let randomCrop: Int
    public let randomErasing: AugmentationSpec.RandomErasing?
    public let mixup: Double
    public let cutmix: Double
    /// The factor the images were multiplied by when loaded (data.rescale).
    public let rescale: Float
    /// Settings Keras overrides, in its words (zca_whitening turns featurewise_center on, ...).
    public let adjustments: [String]
    /// Featurewise statistics from `fit`.
    public var statistics = AugmentationStatistics()

    /// The Keras epsilon of std normalization.
    public static let stdEpsilon: Float = 1e-6

    /// Settings from a validated spec; `rescale` is data.rescale (1 for raw 0...255 pixels).
    public init(_ spec: AugmentationSpec, rescale: Float = 1) {
        precondition(rescale > 0 && rescale.isFinite, "rescale must be positive, got \(rescale)")
        rotationRange = spec.rotationRange
        widthShiftRange = spec.widthShiftRange
        heightShiftRange = spec.heightShiftRange
        shearRange = spec.shearRange
        zoomRange = spec.zoomRange
        brightnessRange = spec.brightnessRange
        channelShiftRange = spec.channelShiftRange
        fillMode = spec.fillMode
        cval = Float(spec.cval) * rescale
        horizontalFlip = spec.horizontalFlip
        verticalFlip = spec.verticalFlip
        zcaEpsilon = spec.zcaEpsilon
        contrastRange = spec.contrastRange
        saturationRange = spec.saturationRange
        hueShiftRange = spec.hueShiftRange
        gaussianNoise = spec.gaussianNoise
        gaussianBlur = spec.gaussianBlur
        randomCrop = spec.randomCrop
        randomErasing = spec.randomErasing
        mixup = spec.mixup
        cutmix = spec.cutmix
        self.rescale = rescale

        // ImageDataGenerator.__init__'s overrides, with its warnings.
        var notes: [String] = []
        var fc = spec.featurewiseCenter, fs = spec.featurewiseStdNormalization, sc = spec.samplewiseCenter
        zcaWhitening = spec.zcaWhitening
        if zcaWhitening && !fc {
            fc = true
            notes.append("zca_whitening overrides featurewise_center (turned on)")
        }
        if zcaWhitening && fs {
            fs = false
            notes.append("zca_whitening overrides featurewise_std_normalization (turned off)")
        }
        if fs && !fc {
            fc = true
            notes.append("featurewise_std_normalization overrides featurewise_center (turned on)")
        }
        if spec.samplewiseStdNormalization && !sc {
            sc = true
            notes.append("samplewise_std_normalization overrides samplewise_center (turned on)")
        }
        featurewiseCenter = fc
        featurewiseStdNormalization = fs
        samplewiseCenter = sc
        samplewiseStdNormalization = spec.samplewiseStdNormalization
        adjustments = notes
    }

    /// Settings from an augmentation object, e.g. `["rotation_range": 10]`.
    public init(json: JSON, rescale: Float = 1) throws {
        self.init(try AugmentationSpec(json: json), rescale: rescale)
    }

    /// True when `fit` must run before `standardize` (featurewise statistics or ZCA).
    public var needsFit: Bool { featurewiseCenter || featurewiseStdNormalization || zcaWhitening }
    /// True when `standardize` changes images.
    public var standardizes: Bool { needsFit || samplewiseCenter || samplewiseStdNormalization }
    /// True when `mix` changes batches.
    public var mixes: Bool { mixup > 0 || cutmix > 0 }

    // MARK: - Drawing

    /// Uniform in [low, high) as numpy's `uniform(low, high)`.
    @inline(__always)
    static func uniform(_ low: Double, _ high: Double, _ rng: inout RNG) -> Double {
        low + (high - low) * rng.uniformDouble()
    }

    /// A Keras shift draw (get_random_transform): an integral range n >= 1 is Keras's int
    /// form, choice(n) * choice([-1, 1]) pixels; otherwise uniform(-r, r), times the size
    /// when r < 1.
    static func shift(_ range: Double, size: Int, _ rng: inout RNG) -> Double {
        if range >= 1 && range == range.rounded() && range < 0x1p53 {
            let magnitude = Double(rng.int(below: Int(range)))
            return rng.int(below: 2) == 0 ? -magnitude : magnitude
        }
        let t = uniform(-range, range, &rng)
        return range < 1 ? t * Double(size) : t
    }

    /// One image's parameters, drawn in the documented order (see the type's summary).
    public func drawParameters(height: Int, width: Int, channels: Int, rng: inout RNG) -> AugmentParameters {
        var p = AugmentParameters()
        if rotationRange != 0 { p.theta = Self.uniform(-rotationRange, rotationRange, &rng) }
        // Keras draws the height shift first.
        if heightShiftRange != 0 { p.ty = Self.shift(heightShiftRange, size: height, &rng) }
        if widthShiftRange != 0 { p.tx = Self.shift(widthShiftRange, size: width, &rng) }
        if shearRange != 0 { p.shear = Self.uniform(-shearRange, shearRange, &rng) }
        if !(zoomRange.lowerBound == 1 && zoomRange.upperBound == 1) {
            p.zx = Self.uniform(zoomRange.lowerBound, zoomRange.upperBound, &rng)
            p.zy = Self.uniform(zoomRange.lowerBound, zoomRange.upperBound, &rng)
        }
        let flipH = rng.uniformDouble() < 0.5, flipV = rng.uniformDouble() < 0.5
        p.flipHorizontal = flipH && horizontalFlip
        p.flipVertical = flipV && verticalFlip
        if channelShiftRange != 0 { p.channelShift = Self.uniform(-channelShiftRange, channelShiftRange, &rng) }
        if let b = brightnessRange { p.brightness = Self.uniform(b.lowerBound, b.upperBound, &rng) }

        if let c = contrastRange { p.contrast = Self.uniform(c.lowerBound, c.upperBound, &rng) }
        if channels == 3 {
            if let s = saturationRange { p.saturation = Self.uniform(s.lowerBound, s.upperBound, &rng) }
            if hueShiftRange != 0 { p.hue = Self.uniform(-hueShiftRange, hueShiftRange, &rng) }
        }
        if randomCrop > 0 {
            let y = rng.int(below: 2 * randomCrop + 1)
            p.crop = (x: rng.int(below: 2 * randomCrop + 1), y: y)
        }
        if gaussianBlur > 0 { p.blurSigma = Self.uniform(0, gaussianBlur, &rng) }
        if gaussianNoise > 0 { p.noiseSeed = rng.next() }
        if let erasing = randomErasing { p.erase = Self.drawErase(erasing, height: height, width: width, &rng) }
        return p
    }

    /// torchvision RandomErasing.get_params: with probability p, up to 10 tries of an area
    /// fraction uniform in `scale` and a log-uniform aspect ratio (width / height here), rounded half to even; nil when no try fits inside the image.
    static func drawErase(_ e: AugmentationSpec.RandomErasing, height: Int, width: Int, _ rng: inout RNG)
        -> AugmentParameters.EraseBox?
    {
        guard rng.uniformDouble() < e.probability else { return nil }
        let area = Double(height * width)
        let logLow = Foundation.log(e.ratio.lowerBound), logHigh = Foundation.log(e.ratio.upperBound)
        for _ in 0..<10 {
            let target = area * uniform(e.scale.lowerBound, e.scale.upperBound, &rng)
            let aspect = exp(uniform(logLow, logHigh, &rng))
            let w = Int((target * aspect).squareRoot().rounded(.toNearestOrEven))
            let h = Int((target / aspect).squareRoot().rounded(.toNearestOrEven))
            guard h < height && w < width else { continue }
            let y = rng.int(below: height - h + 1)
            let x = rng.int(below: width - w + 1)
            return .init(x: x, y: y, width: w, height: h)
        }
        return nil
    }

    // MARK: - Applying

    /// Transforms one image in place with `p`; `workspace` supplies the scratch memory.
    // image: (H, W, C) -> (H, W, C)
    public func apply(
        _ p: AugmentParameters, to image: UnsafeMutablePointer<Float>, height: Int, width: Int, channels: Int,
        workspace: AugmentationWorkspace
    ) {
        precondition(height > 0 && width > 0 && channels > 0, "image shape (\(height), \(width), \(channels))")
        let count = height * width * channels
        workspace.reserve(pixels: count)
        let geometry = ImageGeometry(height: height, width: width, channels: channels)
        if !p.isIdentityAffine {
            let scratch = workspace.image
            geometry.affine(p, fill: fillMode, cval: cval, from: image, to: scratch)
            image.update(from: scratch, count: count)
        }
        if let c = p.channelShift { ImageColor.channelShift(image, count: count, by: Float(c) * rescale) }
        if p.flipHorizontal { geometry.flipHorizontal(image) }
        if p.flipVertical { geometry.flipVertical(image) }
        if let b = p.brightness { ImageColor.brightness(image, count: count, factor: Float(b), top: 255 * rescale) }
        if let c = p.contrast {
            ImageColor.contrast(image, pixels: height * width, channels: channels, factor: Float(c))
        }
        if let s = p.saturation, channels == 3 {
            ImageColor.saturation(image, pixels: height * width, factor: Float(s))
        }
        if let h = p.hue, channels == 3 { ImageColor.hue(image, pixels: height * width, delta: Float(h)) }
        if let crop = p.crop {
            let scratch = workspace.image
            geometry.crop(image, to: scratch, padding: randomCrop, x: crop.x, y: crop.y, fill: fillMode, cval: cval)
            image.update(from: scratch, count: count)
        }
        if let sigma = p.blurSigma, sigma > 0 { geometry.gaussianBlur(image, sigma: sigma, workspace: workspace) }
        if let seed = p.noiseSeed {
            var noise = RNG(seed: seed)
            let s = Float(gaussianNoise)
            for i in 0..<count { image[i] += s * noise.normal() }
        }
        if let box = p.erase, let value = randomErasing?.value { geometry.fill(image, box: box, value: Float(value)) }
    }

    /// Draws parameters for each image of `batch` (N, H, W, C), each from its own generator
    /// (`RNG.perSample`: keyed by the image's sample in training), applies them, then
    /// `standardize`s the batch; `record` sees each image's parameters. A batch of flat
    /// rows (N, D), e.g. from a CSV, is read as images of `imageShape` [H, W, C].
    public func augment(
        _ batch: Tensor, imageShape: [Int]? = nil, rng: inout RNG, workspace: AugmentationWorkspace,
        record: ((Int, AugmentParameters) -> Void)? = nil
    ) {
        let (h, w, c) = Augmenter.imageShape(batch, imageShape)
        let n = batch.shape[0], size = h * w * c
        let generators = rng.perSample()  // each image's draws keyed by its sample
        for i in 0..<n {
            var g = generators[i]
            let p = drawParameters(height: h, width: w, channels: c, rng: &g)
            apply(p, to: batch.data + i * size, height: h, width: w, channels: c, workspace: workspace)
            record?(i, p)
        }
        standardize(batch, imageShape: imageShape, workspace: workspace)
    }

    /// (H, W, C) of the images in `t`: its own (N, H, W, C), or `given` for flat rows.
    static func imageShape(_ t: Tensor, _ given: [Int]?) -> (Int, Int, Int) {
        if let s = given {
            precondition(
                s.count == 3 && s.allSatisfy { $0 > 0 } && s[0] * s[1] * s[2] == t.sampleSize,
                "image shape \(s) does not fit samples of \(t.sampleSize) values (\(t.shape))")
            return (s[0], s[1], s[2])
        }
        precondition(t.shape.count == 4, "augmentation needs (N, H, W, C) images or an image shape, got \(t.shape)")
        return (t.shape[1], t.shape[2], t.shape[3])
    }
}

/// Scratch memory for augmentation, grown to the largest image or batch seen and then
/// reused: steady-state batches allocate nothing. Not shared between threads.
public final class AugmentationWorkspace {
    /// One image.
    private(set) var image: UnsafeMutablePointer<Float>
    /// One image (blur passes).
    private(set) var image2: UnsafeMutablePointer<Float>
    private(set) var pixelCapacity = 0
    /// A batch of inputs and one of targets (mixing, ZCA).
    private(set) var batchX: UnsafeMutablePointer<Float>
    private(set) var batchY: UnsafeMutablePointer<Float>
    private(set) var batchXCapacity = 0
    private(set) var batchYCapacity = 0
    /// Gaussian taps (blur).
    private(set) var taps: UnsafeMutablePointer<Double>
    private(set) var tapCapacity = 0
    /// The last `mix`'s pairing: row i was mixed with row permutation[i].
    public internal(set) var permutation: [Int32] = []

    public init() {
        image = .allocate(capacity: 1)
        image2 = .allocate(capacity: 1)
        batchX = .allocate(capacity: 1)
        batchY = .allocate(capacity: 1)
        taps = .allocate(capacity: 1)
    }

    deinit {
        image.deallocate()
        image2.deallocate()
        batchX.deallocate()
        batchY.deallocate()
        taps.deallocate()
    }

    func reserve(pixels n: Int) {
        guard n > pixelCapacity else { return }
        image.deallocate()
        image2.deallocate()
        image = .allocate(capacity: n)
        image2 = .allocate(capacity: n)
        pixelCapacity = n
    }

    func reserve(batchX nx: Int, batchY ny: Int) {
        if nx > batchXCapacity {
            batchX.deallocate()
            batchX = .allocate(capacity: nx)
            batchXCapacity = nx
        }
        if ny > batchYCapacity {
            batchY.deallocate()
            batchY = .allocate(capacity: ny)
            batchYCapacity = ny
        }
    }

    func reserve(taps n: Int) {
        guard n > tapCapacity else { return }
        taps.deallocate()
        taps = .allocate(capacity: n)
        tapCapacity = n
    }

    func reserve(rows n: Int) {
        if permutation.count != n { permutation = [Int32](repeating: 0, count: n) }
    }
}
