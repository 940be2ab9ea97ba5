import Foundation

/// Where `nnreg export` writes: beside the run folder, never inside one (a run or sweep
/// folder holds only the files its manifest lists, `RunFolder`).
public enum ExportOutput {
    /// `<run folder>.onnx` for a run folder or a model file inside one; `<name>.onnx` beside
    /// any other model file (its .safetensors extension replaced).
    public static func defaultPath(for model: String, extension ext: String = "onnx") -> String {
        let url = URL(fileURLWithPath: model).standardizedFileURL
        if let run = runFolder(containing: url.path) { return run + "." + ext }
        return url.deletingPathExtension().path + "." + ext
    }

    /// Refuses an output inside a run or sweep folder (a `DataError`, exit status 2).
    public static func check(_ output: String) throws {
        let parent = URL(fileURLWithPath: output).standardizedFileURL.deletingLastPathComponent().path
        if let run = runFolder(containing: parent) {
            throw DataError(
                "\(output): is inside the run or sweep folder \(run), which holds only nnreg's own files; "
                    + "give --output a path outside it")
        }
    }

    /// The nearest folder at or above `path` with a run manifest, if any.
    static func runFolder(containing path: String) -> String? {
        var folder = path
        while folder.count > 1 {
            if FileManager.default.fileExists(atPath: folder + "/" + RunFolder.manifest) { return folder }
            folder = (folder as NSString).deletingLastPathComponent
        }
        return nil
    }
}
