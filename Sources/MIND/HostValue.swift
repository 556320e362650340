// What crosses the boundary of a compiled call on the host side: a tensor, or a tuple or struct
// of them. Compiled code sees the leaves, depth first in declaration order (MindSema's
// ValueLayout); the host keeps the structure and the field names, to bind files to a struct
// parameter and to name the files of a struct result.

import MindSema

public indirect enum HostValue: CustomStringConvertible, Sendable {
  case tensor(Tensor)
  case tuple([HostValue])
  /// A struct value: its type's name and its fields in declaration order.
  case structure(String, [(name: String, value: HostValue)])

  /// The tensors, depth first in declaration order.
  public var leaves: [Tensor] {
    switch self {
    case .tensor(let tensor): return [tensor]
    case .tuple(let elements): return elements.flatMap(\.leaves)
    case .structure(_, let fields): return fields.flatMap(\.value.leaves)
    }
  }

  /// The leaves, named as `ValueLayout.leafNames` names them (`layer1.w`, `0`; "" for a lone
  /// tensor).
  public var namedLeaves: [(name: String, tensor: Tensor)] { Array(zip(layout.leafNames(), leaves)) }

  /// The structure of the value, as compiled code lays it out.
  public var layout: ValueLayout {
    switch self {
    case .tensor: return .tensor(nil)
    case .tuple(let elements): return .tuple(elements.map(\.layout))
    case .structure(let name, let fields):
      return .structure(name, fields.map { ValueLayout.Field(name: $0.name, layout: $0.value.layout) })
    }
  }

  /// The value of `layout` whose leaves are taken in order from `leaves`.
  static func laidOut(_ layout: ValueLayout, _ leaves: inout ArraySlice<Tensor>) -> HostValue {
    switch layout {
    case .tensor: return .tensor(leaves.removeFirst())
    case .tuple(let elements): return .tuple(elements.map { laidOut($0, &leaves) })
    case .structure(let name, let fields):
      return .structure(name, fields.map { ($0.name, laidOut($0.layout, &leaves)) })
    }
  }

  /// As `print` writes the value: `(a, b)`, `MLP { w: ..., b: ... }`.
  public var description: String {
    switch self {
    case .tensor(let tensor): return tensor.description
    case .tuple(let elements): return "(" + elements.map(\.description).joined(separator: ", ") + ")"
    case .structure(let name, let fields):
      return "\(name) { " + fields.map { "\($0.name): \($0.value)" }.joined(separator: ", ") + " }"
    }
  }
}
