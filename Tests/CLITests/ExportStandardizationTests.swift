import Foundation
import XCTest

/// The augmentation's standardization (ImageDataGenerator's, fitted on the training images)
/// in the exported graph.
final class ExportStandardizationTests: ExportTestCase {
    func testSamplewiseAndFeaturewiseStandardizationAndZCA() throws {
        try writeData(features: 32, pixels: true)
        let standardizations: [[String: Any]] = [
            [
                "samplewise_center": true, "samplewise_std_normalization": true, "featurewise_center": true,
                "featurewise_std_normalization": true,
            ],
            ["zca_whitening": true, "zca_epsilon": 0.1],
        ]
        for augmentation in standardizations {
            try exportSpec(
                [
                    ["type": "conv2d", "filters": 2, "kernel_size": 2, "activation": "relu"], ["type": "flatten"],
                    ["type": "dense", "units": 3, "activation": "softmax"],
                ], inputShape: [4, 4, 2]
            ) { spec in
                spec["data"] = ["train": self.path("train.csv"), "label": "label", "rescale": 1.0 / 255]
                spec["augmentation"] = augmentation
            }
            try assertExportMatchesPredict()
        }
    }
}
