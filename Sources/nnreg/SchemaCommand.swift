import ArgumentParser
import Foundation
import NNReg

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema (draft 2020-12) of spec files, for editors.",
        discussion: """
            Generated from the rules nnreg validates specs with: keys, types, ranges, defaults and \
            doc lines. Rules between keys are left to 'nnreg validate'.
            """)

    @Flag(help: "Print the spec reference (docs/spec-reference.md) as Markdown instead.")
    var markdown = false

    func run() throws {
        if markdown {
            FileHandle.standardOutput.write(Data(SpecReference.markdown().utf8))  // ends with its newline
        } else {
            printOut(SpecJSONSchema.document().pretty())
        }
    }
}
