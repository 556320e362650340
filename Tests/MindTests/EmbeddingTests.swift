// The Swift API as an outside package uses it: only `import MIND`.

import Foundation
import MIND
import Testing

@Suite struct EmbeddingTests {
  static let source = """
    @differentiable
    fn mse_loss(pred: Tensor<f32, N>, target: Tensor<f32, N>) -> f32 {
        mean((pred - target) ** 2)
    }
    fn scale(x: Tensor<f32, N>, k: f32) -> Tensor<f32, N> { x * k }
    fn pick(x: Tensor<f32, N>, i: i64) -> f32 { x[i] }
    fn shout(x: f32) -> f32 { print("x is", x); x * 2.0 }
    """

  @Test func gradientsFromSwift() throws {
    let session = try Session(source: Self.source, cacheDirectory: nil)
    let loss = try session.function("mse_loss")
    let pred = Tensor([1.0, 2.0, 3.0] as [Float])
    let target = Tensor([1.5, 2.5, 3.5] as [Float])
    let both = try loss.valueAndGrad(wrt: 0, 1)(pred, target)
    #expect(both[0].floats == [0.25])
    #expect(both[2].floats.map { ($0 * 3).rounded() } == [1, 1, 1])
    // Another shape is another specialization of the same function.
    #expect(try loss(Tensor([0, 0] as [Float]), Tensor([1, 3] as [Float]))[0].floats == [5])
    // Any MIND expression that denotes a function works.
    #expect(try session.function("grad(grad(|x: f32| x ** 3))")(Tensor(2 as Float))[0].floats == [12])
  }

  @Test func vjpReturnsAPullback() throws {
    let session = try Session(source: Self.source, cacheDirectory: nil)
    let (outputs, pullback) = try session.function("scale").vjp([Tensor([1, 2] as [Float]), Tensor(3 as Float)])
    #expect(outputs[0].floats == [3, 6])
    let cotangents = try pullback([Tensor([1, 10] as [Float])])
    #expect(cotangents[0].floats == [3, 30])
    #expect(cotangents[1].floats == [21])
  }

  @Test func wrongShapesAndRuntimeErrorsAreClearErrors() throws {
    let session = try Session(source: Self.source, cacheDirectory: nil)
    let loss = try session.function("mse_loss")
    do {
      _ = try loss(Tensor([1, 2, 3] as [Float]), Tensor([1, 2] as [Float]))
      Issue.record("expected a shape error")
    } catch let error as MindError {
      #expect(error.code == "E3003")
      #expect(error.description.contains("dimension 0 must be `N` = 3"))
    }
    do {
      _ = try loss(Tensor([1, 2, 3] as [Double]), Tensor([1, 2, 3] as [Double]))
      Issue.record("expected a dtype error")
    } catch let error as MindError {
      #expect(error.code == "E2001")
    }
    do {
      _ = try session.function("pick")(Tensor([1, 2] as [Float]), Tensor(7 as Int64))
      Issue.record("expected an index error")
    } catch let error as MindError {
      #expect(error.code == "E6001")
      #expect(error.description.contains("embedded.mind:6:45"))
    }
    #expect(throws: MindError.self) { try Session(source: "fn f( {") }
  }

  @Test func printGoesToTheSessionOutput() throws {
    let session = try Session(source: Self.source, cacheDirectory: nil)
    var printed = ""
    session.output = { printed += $0 }
    #expect(try session.function("shout")(Tensor(1.5 as Float))[0].floats == [3])
    #expect(printed == "x is 1.5\n")
  }
}

extension EmbeddingTests {
  @Test func specializationsAreCachedOnDiskAcrossSessions() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mind-session-\(UUID().uuidString)")
      .path
    let arguments = [Tensor([1.0, 2.0, 3.0] as [Float]), Tensor([1.5, 2.5, 3.5] as [Float])]
    let first = try Session(source: Self.source, cacheDirectory: directory)
    let cold = try first.function("grad(mse_loss)").call(arguments)
    #expect(first.compilations == 1 && first.cacheHits == 0)
    // The first call ran quickly compiled code; the optimized tier is what the cache keeps.
    first.waitForOptimizedCode()
    #expect(try first.function("grad(mse_loss)").call(arguments) == cold)
    let second = try Session(source: Self.source, cacheDirectory: directory)
    let warm = try second.function("grad(mse_loss)").call(arguments)
    #expect(second.compilations == 0 && second.cacheHits == 1)
    #expect(warm == cold)
    // Within a session, a specialization is compiled once.
    _ = try second.function("grad(mse_loss)").call(arguments)
    #expect(second.compilations == 0 && second.cacheHits == 1)
  }
}

extension EmbeddingTests {
  /// The README's Swift snippet, line by line.
  @Test func readmeSnippet() throws {
    let session = try Session(
      source: """
        fn mse_loss(pred: Tensor<f32, N>, target: Tensor<f32, N>) -> f32 {
            mean((pred - target) ** 2)
        }
        """, cacheDirectory: nil)
    let loss = try session.function("mse_loss")
    let pred = Tensor([1.0, 2.0, 3.0] as [Float])
    let target = Tensor([1.5, 2.5, 3.5] as [Float])
    #expect(try loss(pred, target)[0].floats == [0.25])
    #expect(try loss.grad()(pred, target)[0].description == "[-0.33333334, -0.33333334, -0.33333334]")
    let both = try loss.valueAndGrad(wrt: 0, 1)(pred, target)
    #expect(both.count == 3)
    let (outputs, pullback) = try session.function("|x: Tensor<f32, 3>| x * x").vjp([pred])
    #expect(outputs[0].floats == [1, 4, 9])
    #expect(try pullback([Tensor([1, 1, 1] as [Float])])[0].description == "[2.0, 4.0, 6.0]")
  }
}
