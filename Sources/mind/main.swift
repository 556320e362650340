// The `mind` command line: run a MIND program with the JIT, print any stage of the pipeline,
// or check a program without running it.

import ArgumentParser
import MIND
import MindData

#if canImport(Glibc)
  import Glibc
#endif

struct Mind: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "A JIT compiler for the MIND tensor language.",
    discussion: """
      Examples:
        mind jit model.mind            run fn main() of model.mind
        mind jit model.mind --time     ... and print the time of each stage
        mind ir model.mind --stage mir print the specialized MIR
        mind check model.mind          report errors without running
        mind cache stats               what the object cache holds
        mind build model.mind --export 'grad(loss)(f32[64,784], f32[64,10])' -o model.o --header model.h
        mind --version                 the compiler, LLVM, the CPU and the OpenBLAS kernels in use
      """,
    subcommands: [Jit.self, Build.self, IR.self, Check.self, Cache.self, Bench.self])
}

struct SubnormalOption: ParsableArguments {
  @Flag(help: "Keep IEEE subnormal arithmetic (by default generated code flushes subnormals to zero, as XLA does).")
  var ieeeSubnormals = false

  var flushes: Bool { !ieeeSubnormals }
}

struct SourceOptions: ParsableArguments {
  @Argument(help: "The .mind source file.")
  var file: String

  @Option(name: .long, help: "The entry function.")
  var entry: String = "main"
}

func write(_ text: String, to descriptor: Int32) {
  var bytes = Array(text.utf8)
  var offset = 0
  while offset < bytes.count {
    let written = bytes.withUnsafeMutableBytes { Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
    if written <= 0 { return }
    offset += written
  }
}

func standardError(_ text: String) { write(text, to: 2) }

func standardOutput(_ text: String) { write(text, to: 1) }

func reportAndExit(_ list: DiagnosticList, sources program: Program?) -> Never {
  standardError(program?.render(list.diagnostics) ?? list.rendered)
  let count = list.diagnostics.count
  standardError("\(count) error\(count == 1 ? "" : "s")\n")
  Glibc.exit(1)
}

func loadOrExit(_ path: String) -> Program {
  InternalErrors.install(compiling: path)
  do {
    return try Program(path: path)
  } catch let list as DiagnosticList {
    reportAndExit(list, sources: nil)
  } catch {
    standardError("error: \(error)\n")
    Glibc.exit(1)
  }
}

/// Runs a command's work on a loaded program; its errors are reported as `mind jit` reports them
/// (located diagnostics, runtime errors, E7000 for anything else) and end the process with 1.
func runOrExit(_ program: Program, _ work: () throws -> Void) {
  do {
    try work()
  } catch let list as DiagnosticList {
    reportAndExit(list, sources: program)
  } catch let error as RuntimeError {
    standardError(program.render([error.diagnostic]))
    Glibc.exit(1)
  } catch {
    standardError("error[E7000]: \(error)\n")
    Glibc.exit(1)
  }
}

struct Jit: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Compile a program with the JIT and run its entry function.",
    discussion: """
      The entry's parameters are bound, in order, to the values after the file, or by name with
      name=value: a .npy file (- reads one from standard input), a .npz or .safetensors file or a
      folder of .npy files (a struct parameter takes its fields from it by name, nested ones
      dotted: layer1.w), or a number or true/false for a scalar. What the entry returns is
      printed, or written with -o: out.npy (one tensor), out.safetensors or FOLDER/.
      """)

  @OptionGroup var source: SourceOptions

  @Argument(help: "The entry's arguments: files, name=file, or numbers for scalars.")
  var arguments: [String] = []

  @Option(
    name: .shortAndLong, help: "Write the entry's result to a .npy or .safetensors file, or a folder (ending in /).")
  var output: String?

  @Option(name: .customShort("O", allowingJoined: true), help: "LLVM optimization level (0-3).")
  var optimization: Int = 2

  @OptionGroup var subnormals: SubnormalOption

  @Flag(help: "Print the time each pipeline stage took, and how the object cache served the run (to standard error).")
  var time = false

  @Flag(help: "Compile in memory without reading or writing the object cache.")
  var noCache = false

  func validate() throws {
    guard (0...3).contains(optimization) else { throw ValidationError("-O takes 0, 1, 2 or 3") }
  }

  func run() throws {
    let program = loadOrExit(source.file)
    if !arguments.isEmpty || output != nil || program.takesParameters(source.entry) {
      runWithData(program)
      return
    }
    runOrExit(program) {
      let engine = try Engine(optimizationLevel: optimization, flushesSubnormals: subnormals.flushes)
      let report = try engine.run(program: program, entry: source.entry, cache: noCache ? nil : engine.defaultCache()) {
        text in
        standardOutput(text)
      }
      for warning in report.warnings { standardError("warning: \(warning)\n") }
      if time {
        var all = program.timings
        all.merge(report.timings)
        standardError(all.report + "\n")
        switch report.cache {
        case .disabled: standardError("cache: disabled\n")
        case .miss: standardError("cache: miss (\(report.key.prefix(16))), compiled and stored\n")
        case .hit(let saved):
          standardError("cache: hit (\(report.key.prefix(16))), saved \(formatMilliseconds(saved)) of compilation\n")
        }
        if let kernel = Engine.blasKernel { standardError("blas: \(kernel)\n") }
        // How each differentiated loop runs backwards (a run from the cache differentiates none).
        for line in program.loopSweepReport { standardError(line + "\n") }
      }
    }
  }
}

extension Jit {
  /// Runs an entry that takes data or writes its result to files, through the Swift API's call
  /// path (a specialization per set of argument shapes, cached like any other).
  func runWithData(_ program: Program) {
    if let output, !HostValue.canWrite(to: output) {
      standardError(
        "error[E7106]: cannot write `\(output)`: name a .npy or .safetensors file, or a folder ending in /\n")
      Glibc.exit(1)
    }
    do {
      let session = try Session(
        program: program, optimizationLevel: optimization,
        cacheDirectory: noCache ? nil : ObjectCache.defaultDirectory(),
        flushesSubnormals: subnormals.flushes)
      session.tieredCompilation = false
      session.output = standardOutput
      let (values, bindTime) = try measureThrowing {
        try session.arguments(of: source.entry, from: arguments, standardInput: { readBytes("/dev/stdin") ?? [] })
      }
      let (result, callTime) = try measureThrowing { try session.function(source.entry).call(values: values) }
      for warning in session.warnings { standardError("warning: \(warning)\n") }
      let (_, outputTime) = try measureThrowing {
        if let output {
          try result.write(to: output)
        } else if !result.leaves.isEmpty {
          standardOutput(result.description + "\n")
        }
      }
      if time {
        standardError(
          "bind arguments: \(formatMilliseconds(bindTime))\ncompile and run: \(formatMilliseconds(callTime)) (\(session.cacheHits == 1 ? "from the cache" : "compiled"))\n\(output == nil ? "print" : "write") result: \(formatMilliseconds(outputTime))\n"
        )
      }
    } catch let error as MindError {
      standardError(error.description)
      Glibc.exit(1)
    } catch {
      standardError("error[E7000]: \(error)\n")
      Glibc.exit(1)
    }
  }
}

func formatMilliseconds(_ seconds: Double) -> String { "\((seconds * 100_000).rounded() / 100) ms" }

struct Build: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Compile functions and their gradients at given shapes into an object file with a C header.",
    discussion: """
      Each --export is [cname=]callee(types): the callee is MIND source such as loss, grad(loss) or
      value_and_grad(loss, wrt=(0, 1)); the types are f32, f64, i32, i64, bool with optional extents,
      e.g. f32[64,784]. The C function takes a mind_status pointer, then one pointer per argument and
      one per result (row-major buffers), and returns 0, or 1 after a runtime error.
      """)

  @Argument(help: "The .mind source file.")
  var file: String

  @Option(name: .customLong("export"), help: "A function to export, e.g. 'grad(loss)(f32[64,784], f32[64,10])'.")
  var exports: [String] = []

  @Option(name: .shortAndLong, help: "The object file to write.")
  var output: String

  @Option(help: "The C header to write (default: the object's name with .h).")
  var header: String?

  @Option(name: .customShort("O", allowingJoined: true), help: "LLVM optimization level (0-3).")
  var optimization: Int = 2

  @OptionGroup var subnormals: SubnormalOption

  func run() throws {
    let program = loadOrExit(file)
    let headerPath = header ?? (output.hasSuffix(".o") ? String(output.dropLast(2)) : output) + ".h"
    let stem = String((output.split(separator: "/").last ?? "model").split(separator: ".").first ?? "model")
    runOrExit(program) {
      let engine = try Engine(optimizationLevel: optimization, flushesSubnormals: subnormals.flushes)
      let product = try engine.build(program: program, exports: exports, stem: stem)
      guard writeFile(output, product.object), writeFile(headerPath, Array(product.header.utf8)) else {
        standardError("error[E7004]: cannot write \(output) or \(headerPath)\n")
        Glibc.exit(1)
      }
      print("wrote \(output) and \(headerPath): \(product.exportedNames.joined(separator: ", "))")
    }
  }
}

/// Writes a file whole or not at all (MindData.AtomicFile).
func writeFile(_ path: String, _ bytes: [UInt8]) -> Bool { (try? AtomicFile.write(path, header: bytes, [])) != nil }

struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Time a function from the host API: the first call, then repeated calls (JSON on standard output).",
    discussion:
      "Inputs are TYPE:PATTERN:SEED, e.g. f32[1000000]:sin:1 (sin(0.37 i + 1)), i64[64]:index:10 (i mod 10) or i64:const:1000 (every element 1000)."
  )

  @Argument(help: "The .mind source file.")
  var file: String

  @Option(help: "The function to call, as MIND source: loss, grad(loss), ...")
  var call: String

  @Option(name: .customLong("input"), help: "An input, e.g. f32[1000,784]:sin:1.")
  var inputs: [String] = []

  @Option(help: "How many timed calls after the first.")
  var `repeat`: Int = 20

  @OptionGroup var subnormals: SubnormalOption

  @Flag(help: "Compile in memory (the first call then always compiles).")
  var noCache = false

  func run() throws {
    guard let text = readFile(file) else {
      standardError("error[E7001]: cannot read `\(file)`\n")
      Glibc.exit(1)
    }
    var parsed: [BenchmarkInput] = []
    for input in inputs {
      guard let value = BenchmarkInput(input) else { throw ValidationError("bad --input `\(input)`") }
      parsed.append(value)
    }
    do {
      let session = try Session(
        source: text, name: file, cacheDirectory: noCache ? nil : ObjectCache.defaultDirectory(),
        flushesSubnormals: subnormals.flushes)
      session.output = { _ in }
      print(try session.benchmark(call, inputs: parsed, repeat: self.repeat).json)
    } catch let error as MindError {
      standardError(error.description)
      Glibc.exit(1)
    }
  }
}

struct Cache: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Inspect or empty the object cache ($MIND_CACHE_DIR, else $XDG_CACHE_HOME/mind, else ~/.cache/mind).")

  enum Action: String, ExpressibleByArgument, CaseIterable {
    case stats, clear
  }

  @Argument(help: "stats | clear")
  var action: Action

  func run() throws {
    let engine = try Engine()
    let cache = engine.defaultCache()
    switch action {
    case .stats:
      let stats = cache.stats()
      print("cache: \(cache.directory)")
      print("entries: \(stats.entries)")
      print("bytes: \(stats.bytes) (limit \(cache.maximumBytes))")
    case .clear:
      print("removed \(cache.clear()) entries from \(cache.directory)")
    }
  }
}

struct IR: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Print a stage of the pipeline.")

  enum Stage: String, ExpressibleByArgument, CaseIterable {
    case ast, mir, ad, opt, llvm
    case llvmOpt = "llvm-opt"
    case asm
  }

  @OptionGroup var source: SourceOptions

  @Option(
    help: "ast | mir (specialized) | ad (derivative functions) | opt (inlined, simplified MIR) | llvm | llvm-opt | asm")
  var stage: Stage = .opt

  @Flag(help: "With --stage ad: list the forward values each derivative keeps for its backward sweep.")
  var saved = false

  @Option(help: "Print only this MIR function (specialized names start with the source name).")
  var function: String?

  @Option(name: .customShort("O", allowingJoined: true), help: "LLVM optimization level for llvm-opt and asm.")
  var optimization: Int = 2

  @OptionGroup var subnormals: SubnormalOption

  func run() throws {
    let program = loadOrExit(source.file)
    runOrExit(program) {
      switch stage {
      case .ast:
        print(program.astText, terminator: "")
      case .mir, .opt, .ad:
        let (mir, _) = try program.mir(entry: source.entry, optimize: stage == .opt)
        var functions = mir.functions.filter { f in
          function.map { f.name == $0 || f.name.hasPrefix($0 + "__") || f.name.hasPrefix("vjp." + $0) } ?? true
        }
        if stage == .ad { functions = functions.filter { program.isDerivative($0.name) } }
        print(functions.map(program.printMIR).joined(separator: "\n"), terminator: "")
        if saved {
          for report in program.savedValues {
            print(
              "saved by @\(report.function): \(report.bytes) bytes in \(report.types.count) values \(report.types.map(\.description).joined(separator: ", "))"
            )
          }
          for line in program.loopSweepReport { print(line) }
        }
      case .llvm, .llvmOpt, .asm:
        let (mir, _) = try program.mir(entry: source.entry)
        let engine = try Engine(optimizationLevel: optimization, flushesSubnormals: subnormals.flushes)
        if stage == .asm {
          print(try engine.assembly(mir), terminator: "")
        } else {
          print(try engine.llvmIR(mir, optimized: stage == .llvmOpt), terminator: "")
        }
      }
    }
  }
}

struct Check: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Check a program (definitions and the entry's specialization) without running it.")

  @OptionGroup var source: SourceOptions

  func run() throws {
    let program = loadOrExit(source.file)
    runOrExit(program) {
      if program.hasFunction(source.entry) { _ = try program.mir(entry: source.entry) }
      print("\(source.file): ok")
    }
  }
}

if Array(CommandLine.arguments.dropFirst()) == ["--version"] {
  standardOutput(Engine.versionReport() + "\n")
} else {
  Mind.main()
}
