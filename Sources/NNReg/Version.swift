public let nnregVersion = "0.1.0"
