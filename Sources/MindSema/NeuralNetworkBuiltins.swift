// Neural-network helpers: softmax log_softmax layer_norm one_hot cross_entropy conv2d.

import MindFrontend
import MindIR

enum NeuralNetwork {
  static func call(_ name: String, _ args: BuiltinArguments) throws -> SemaValue? {
    let b = args.b
    switch name {
    case "softmax", "log_softmax":
      try args.expect(1...1, keywords: ["axis"])
      let x = try args.float(0)
      guard x.type.rank > 0 else { throw Diagnostic("E3004", "`\(name)` of a scalar", at: args.span) }
      let axis = try args.normalizeAxis(try args.keywordInt("axis") ?? -1, rank: x.type.rank, span: args.span)
      // The shift by the maximum changes no value, so no derivative flows through it (as in JAX).
      let m = b.unary(.stopGradient, Reductions.reduce(b, .max, x, axes: [axis], keepdims: true))
      let shifted = b.binary(.sub, x, b.broadcast(m, to: x.type.shape))
      let e = b.unary(.exp, shifted)
      let total = Reductions.reduce(b, .sum, e, axes: [axis], keepdims: true)
      if name == "softmax" { return .tensor(b.binary(.div, e, b.broadcast(total, to: x.type.shape))) }
      return .tensor(b.binary(.sub, shifted, b.broadcast(b.unary(.log, total), to: x.type.shape)))
    case "layer_norm":
      try args.expect(1...1, keywords: ["axis", "eps"])
      let x = try args.float(0)
      guard x.type.rank > 0 else { throw Diagnostic("E3004", "`layer_norm` of a scalar", at: args.span) }
      let axis = try args.normalizeAxis(try args.keywordInt("axis") ?? -1, rank: x.type.rank, span: args.span)
      let eps = try args.keywordFloat("eps") ?? 1e-5
      let n = b.splat(
        Double(x.type.shape[axis].value ?? 1), like: Reductions.reduce(b, .sum, x, axes: [axis], keepdims: true).type)
      let mean = b.binary(.div, Reductions.reduce(b, .sum, x, axes: [axis], keepdims: true), n)
      let centered = b.binary(.sub, x, b.broadcast(mean, to: x.type.shape))
      let variance = b.binary(
        .div, Reductions.reduce(b, .sum, b.binary(.mul, centered, centered), axes: [axis], keepdims: true), n)
      let scale = b.unary(.sqrt, b.binary(.add, variance, b.splat(eps, like: variance.type)))
      return .tensor(b.binary(.div, centered, b.broadcast(scale, to: x.type.shape)))
    case "one_hot":
      try args.expect(2...2)
      let labels = try args.tensor(0, as: .i64)
      guard labels.type.dtype.isInteger else {
        throw Diagnostic(
          "E2005", "`one_hot` labels must be integers, found \(describe(labels.type))", at: args.positional[0].span)
      }
      let n = try args.extent(args.positional[1].value, args.positional[1].span, what: "the class count")
      return .tensor(oneHot(b, b.cast(labels, to: .i64), n, dtype: .f32))
    case "cross_entropy":
      try args.expect(2...2)
      let logits = try args.float(0)
      let labels = try args.tensor(1, as: .i64)
      guard logits.type.rank == 2, labels.type.rank == 1, labels.type.dtype.isInteger else {
        throw Diagnostic(
          "E3002",
          "`cross_entropy` takes logits [B, C] and integer labels [B], found \(describe(logits.type)) and \(describe(labels.type))",
          at: args.span)
      }
      if logits.type.shape[0] != labels.type.shape[0] && logits.type.shape[0] != .unknown
        && labels.type.shape[0] != .unknown
      {
        throw Diagnostic(
          "E3001",
          "`cross_entropy` batch sizes differ: \(logits.type.shape[0]) logits vs \(labels.type.shape[0]) labels",
          at: args.span)
      }
      let classes = logits.type.shape[1]
      // A label outside 0..<C would pick no class (a loss of -0.0): a runtime error, as an index.
      if let count = classes.value {
        let inRange = b.binary(
          .and, b.compare(.ge, labels, b.splat(0, like: labels.type)),
          b.compare(.lt, labels, b.splat(Double(count), like: labels.type)))
        b.check(inRange, code: "E6001", message: "a label of `cross_entropy` is out of bounds for \(count) classes")
      }
      let m = Reductions.reduce(b, .max, logits, axes: [1], keepdims: true)
      let shifted = b.binary(.sub, logits, b.broadcast(m, to: logits.type.shape))
      let logSum = b.unary(.log, Reductions.reduce(b, .sum, b.unary(.exp, shifted), axes: [1], keepdims: true))
      let logProbabilities = b.binary(.sub, shifted, b.broadcast(logSum, to: logits.type.shape))
      let picked = b.binary(
        .mul, oneHot(b, b.cast(labels, to: .i64), classes, dtype: logits.type.dtype), logProbabilities)
      let total = b.reduce(.sum, picked, axes: [0, 1])
      return .tensor(
        b.unary(.neg, b.binary(.div, total, b.splat(Double(logits.type.shape[0].value ?? 1), like: total.type))))
    case "conv2d":
      return try conv2d(args)
    default:
      return nil
    }
  }

  static func oneHot(_ b: Builder, _ labels: Value, _ n: Dim, dtype: DType) -> Value {
    let shape = labels.type.shape + [n]
    let classes = b.value(.iota(axis: labels.type.rank), [], type: TensorType(.i64, shape))
    let column = b.reshape(labels, labels.type.shape + [.known(1)])
    let equal = b.compare(.eq, b.broadcast(column, to: shape), classes)
    return b.cast(equal, to: dtype)
  }

  /// conv2d(x: [N, H, W, C], w: [KH, KW, C, F]) as matrix products, in one of two forms:
  /// - taps: a sum over the kernel's taps of a strided slice of x ([N·OH·OW, C]) times the
  ///   tap's [C, F] matrix: KH·KW products of inner extent C;
  /// - im2col: the taps' slices side by side ([N·OH·OW, KH·KW·C]) times w as one
  ///   [KH·KW·C, F] matrix: one product, after writing the slices out.
  /// im2col when C < `im2colChannels`, by measurement: the gradient of a 3×3 convolution of
  /// 16 32×32 images (with respect to x and w, one core, Zen 3) took tap/im2col 1.43/0.91 ms
  /// at C = 1, F = 16; 2.90/2.16 at 3→16; 11.5/5.1 at 3→64; 3.99/2.69 at 4→32; 6.01/6.35 at
  /// 8→32; 10.1/11.0 at 8→64; 11.1/16.8 at 16→32; 67.8/81.5 at 64→64 (products of inner
  /// extent below 8 are mostly packing; from 8 on, the slices' copies and their adjoints cost
  /// more than the longer products save).
  static let im2colChannels = 8

  static func conv2d(_ args: BuiltinArguments) throws -> SemaValue {
    let b = args.b
    try args.expect(2...2, keywords: ["strides", "padding"])
    let x = try args.float(0)
    let w = try args.float(1)
    guard x.type.rank == 4, w.type.rank == 4, x.type.dtype == w.type.dtype else {
      throw Diagnostic(
        "E3002",
        "`conv2d` takes x [N, H, W, C] and w [KH, KW, C, F] of one dtype, found \(describe(x.type)) and \(describe(w.type))",
        at: args.span)
    }
    guard x.type.isConcrete && w.type.isConcrete else {
      return .tensor(b.values.make(TensorType(x.type.dtype, [x.type.shape[0], .unknown, .unknown, w.type.shape[3]])))
    }
    let (n, h, wd, c) = (x.type.extents[0], x.type.extents[1], x.type.extents[2], x.type.extents[3])
    let (kh, kw, c2, f) = (w.type.extents[0], w.type.extents[1], w.type.extents[2], w.type.extents[3])
    guard c == c2 else {
      throw Diagnostic("E3003", "`conv2d` channel mismatch: x has \(c) channels, w expects \(c2)", at: args.span)
    }
    guard kh > 0, kw > 0 else {
      throw Diagnostic("E3006", "`conv2d` needs a kernel of at least 1x1, found \(kh)x\(kw)", at: args.span)
    }
    var strides = [1, 1]
    if let k = args.keywords["strides"] {
      strides = try args.intList(k.value, k.span, what: "`strides`")
      guard strides.count == 2, strides.allSatisfy({ $0 > 0 }) else {
        throw Diagnostic("E2019", "`strides` must be two positive integers", at: k.span)
      }
    }
    var same = false
    if let k = args.keywords["padding"] {
      guard case .string(let p) = k.value, p == "valid" || p == "same" else {
        throw Diagnostic("E2019", "`padding` must be \"valid\" or \"same\"", at: k.span)
      }
      same = p == "same"
    }
    // A stride past the extent takes one window either way: clamped, no index overflows.
    strides = [min(strides[0], max(h, 1)), min(strides[1], max(wd, 1))]
    var input = x
    var (oh, ow) = ((h - kh) / strides[0] + 1, (wd - kw) / strides[1] + 1)
    if same {
      // ceil(h / stride), written so that no stride overflows it.
      oh = h == 0 ? 0 : (h - 1) / strides[0] + 1
      ow = wd == 0 ? 0 : (wd - 1) / strides[1] + 1
      let padH = max((oh - 1) * strides[0] + kh - h, 0)
      let padW = max((ow - 1) * strides[1] + kw - wd, 0)
      input = pad(b, input, axis: 1, before: padH / 2, after: padH - padH / 2)
      input = pad(b, input, axis: 2, before: padW / 2, after: padW - padW / 2)
    }
    guard h >= kh || same, wd >= kw || same, oh > 0, ow > 0 else {
      throw Diagnostic("E3003", "`conv2d` kernel \(kh)x\(kw) is larger than the input \(h)x\(wd)", at: args.span)
    }
    let patches = (0..<kh).flatMap { i in
      (0..<kw).map { j in
        b.value(
          .slice(starts: [0, i, j, 0], strides: [1, strides[0], strides[1], 1]), [input],
          type: TensorType(x.type.dtype, known: [n, oh, ow, c]))
      }
    }
    let total: Value
    if c < Self.im2colChannels {
      let columns = patches.count == 1 ? patches[0] : b.value(.concat(axis: 3), patches)
      let rows = b.reshape(columns, [.known(n * oh * ow), .known(kh * kw * c)])
      total = b.value(.matmul, [rows, b.reshape(w, [.known(kh * kw * c), .known(f)])])
    } else {
      var sum: Value?
      for i in 0..<kh {
        for j in 0..<kw {
          let patch = patches[i * kw + j]
          let rows = b.reshape(patch, [.known(n * oh * ow), .known(c)])
          let tap = b.reshape(
            b.value(
              .slice(starts: [i, j, 0, 0], strides: [1, 1, 1, 1]), [w],
              type: TensorType(w.type.dtype, known: [1, 1, c, f])), [.known(c), .known(f)])
          let product = b.value(.matmul, [rows, tap])
          sum = sum.map { b.binary(.add, $0, product) } ?? product
        }
      }
      total = sum!
    }
    return .tensor(b.reshape(total, [.known(n), .known(oh), .known(ow), .known(f)]))
  }

  static func pad(_ b: Builder, _ x: Value, axis: Int, before: Int, after: Int) -> Value {
    var parts: [Value] = []
    for count in [before, after] where count > 0 {
      var shape = x.type.shape
      shape[axis] = .known(count)
      parts.append(b.constant(.splat(0), TensorType(x.type.dtype, shape)))
    }
    guard !parts.isEmpty else { return x }
    var ordered: [Value] = []
    if before > 0 { ordered.append(parts.removeFirst()) }
    ordered.append(x)
    if after > 0 { ordered.append(parts.removeFirst()) }
    return b.value(.concat(axis: axis), ordered)
  }
}
