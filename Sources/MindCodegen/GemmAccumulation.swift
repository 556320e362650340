// Sums with a floating-point matrix product, `c + a @ b`, computed by gemm (or the small-product
// kernels, SmallMatmul.swift) accumulating into c's elements (beta = 1) instead of writing the
// product to a buffer of its own (which OpenBLAS first zeroes) and adding the two in another
// pass. Residual connections (`x + f(x) @ w`), the adjoint of a value read by several products
// (`dx = g1 @ w1ᵀ + g2 @ w2ᵀ + ...`) and a weight adjoint summed over a backward loop's
// iterations (`dW = dW + g xᵀ`) take this form.
//
// When c is itself a product or such a sum, read only by this sum in the same block, or a
// top-level value read for the last time here (BufferReuse.swift), and the product does not read
// it, the sum takes over c's buffer; otherwise c's elements are first copied (or computed, when c
// is fused) into the sum's buffer.

import CLLVM
import MindIR

/// A sum computed by accumulating `product` into `addend`'s elements.
struct GemmAccumulation {
  let product: Value
  let addend: Value
  /// Whether the sum overwrites the addend's buffer (its only reader).
  let takesAddendBuffer: Bool
}

extension FunctionLowering {
  /// Finds the sums to accumulate. Runs before fusion, which then never fuses them into their
  /// reader (their elements are produced by gemm).
  func planGemmAccumulation(_ block: Block) {
    let local = Set(block.operations.map(ObjectIdentifier.init))
    let readOnceHere = { (value: Value) -> Bool in
      guard let producer = value.definingOp, local.contains(ObjectIdentifier(producer)) else { return false }
      return self.uses[value]?.count == 1
    }
    for op in block.operations {
      op.regions.forEach(planGemmAccumulation)
      guard case .binary(.add) = op.kind, op.result.type.dtype.isFloat, !op.result.type.isScalar else { continue }
      for (product, addend) in [(op.operands[1], op.operands[0]), (op.operands[0], op.operands[1])] {
        guard let producer = product.definingOp, isFloatMatmul(producer), readOnceHere(product),
          product.type == op.result.type, addend.type == op.result.type
        else { continue }
        let addendOwnsBuffer =
          addend.definingOp.map { isFloatMatmul($0) || accumulations[addend] != nil } ?? false
        accumulations[op.result] = GemmAccumulation(
          product: product, addend: addend,
          takesAddendBuffer: addendOwnsBuffer && readOnceHere(addend) && !accumulatedProducts.contains(addend))
        accumulatedProducts.insert(product)
        break
      }
    }
  }

  /// Lowers a planned sum: the addend's elements in the sum's buffer, then gemm adds the product.
  func lowerGemmAccumulation(_ op: Operation, _ plan: GemmAccumulation) {
    let product = plan.product.definingOp!
    let productReads = Set(product.operands.compactMap { values[gemmSource($0)] })
    let destination: LLVMValueRef
    if preassigned[op.result] == nil,
      let addendBuffer = plan.takesAddendBuffer
        ? buffer(plan.addend) : bufferDyingHere(plan.addend, bytes: op.result.type.byteCount),
      !productReads.contains(addendBuffer)
    {
      destination = addendBuffer
    } else {
      destination = buffer(for: op.result)
      copy(plan.addend, to: destination)
    }
    values[op.result] = destination
    if isBlasMatmul(product) {
      callGemm(product, into: destination, accumulate: true)
    } else {
      lowerSmallMatmul(product, into: destination, accumulate: true)
    }
  }
}
