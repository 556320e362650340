// `io.load` and `io.save` lowered to calls of the runtime's file functions
// (MindRuntime/FileFunctions.swift), one per tensor: a load's first call reads the file and each
// copies its result into its buffer, a save hands each operand over and the last call writes
// the file. A failed call has reported
// its error at the op's site; the function then leaves with status 1, as after a failed check.

import CLLVM
import MindIR
import MindRuntime

extension FunctionLowering {
  /// Arguments describing one tensor: its name, element kind, rank and extents.
  func tensorDescription(_ name: String, _ type: TensorType) -> [LLVMValueRef] {
    [
      ir.globalString(name), ir.int(name.utf8.count), ir.int(Int(ElementKind.of(type.dtype).rawValue), ir.i32),
      ir.int(type.rank),
      type.rank == 0 ? LLVMConstNull(ir.ptr) : lowering.constantArray(type.extents.map(Double.init), .i64),
    ]
  }

  /// The error site of a file op: the host function supplies the code and the message.
  func fileSite(_ op: Operation) -> LLVMValueRef {
    ir.int(lowering.addSite(code: "E7101", message: "{detail}", location: op.location))
  }

  /// Calls `mind_load_tensor` or `mind_save_tensor`, which take the same arguments: the runtime,
  /// the op's site, the path, the tensor's description, its data, and its position among the
  /// op's `count` tensors. Returns the status.
  func callFileFunction(
    _ name: String, _ site: LLVMValueRef, path: String, tensor: String, _ type: TensorType, data: LLVMValueRef,
    index: Int, count: Int
  ) -> LLVMValueRef {
    let function = ir.declare(
      name, ir.i32, [ir.ptr, ir.i64, ir.ptr, ir.i64, ir.ptr, ir.i64, ir.i32, ir.i64, ir.ptr, ir.ptr, ir.i64, ir.i64])
    return ir.call(
      function,
      [runtime, site, ir.globalString(path), ir.int(path.utf8.count)] + tensorDescription(tensor, type)
        + [data, ir.int(index), ir.int(count)])
  }

  func lowerLoad(_ op: Operation, path: String, names: [String]) {
    let site = fileSite(op)
    for (index, (result, name)) in zip(op.results, names).enumerated() {
      let destination =
        result.type.isScalar
        ? LLVMBuildAlloca(allocationBuilder, ir.memoryType(result.type.dtype), "loaded")! : buffer(for: result)
      let status = callFileFunction(
        "mind_load_tensor", site, path: path, tensor: name, result.type, data: destination, index: index,
        count: op.results.count)
      leave(ifFailed: status)
      values[result] = result.type.isScalar ? ir.load(result.type.dtype, destination, ir.int(0)) : destination
    }
  }

  func lowerSave(_ op: Operation, path: String, names: [String]) {
    let site = fileSite(op)
    for (index, (operand, name)) in zip(op.operands, names).enumerated() {
      let data: LLVMValueRef
      if operand.type.isScalar {
        data = LLVMBuildAlloca(allocationBuilder, ir.memoryType(operand.type.dtype), "saved")!
        ir.store(operand.type.dtype, scalar(operand), data, ir.int(0))
      } else {
        data = values[operand] ?? materialize(operand)
      }
      let status = callFileFunction(
        "mind_save_tensor", site, path: path, tensor: name, operand.type, data: data, index: index,
        count: op.operands.count)
      leave(ifFailed: status)
    }
  }
}
