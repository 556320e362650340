// Gathering an array laid out with arbitrary strides into row-major (C) order: a Fortran-order
// `.npy`, and a non-contiguous array handed to libmindc. One odometer over the C-order indices,
// the source offset the sum of index × stride.

public enum StridedCopy {
  /// Copies the `shape` elements of `elementSize` bytes at `source` (strides in bytes, one per
  /// axis) into `destination` in row-major order.
  public static func gather(
    _ source: UnsafeRawPointer, strides: [Int], shape: [Int], elementSize: Int,
    into destination: UnsafeMutableRawPointer
  ) {
    let count = shape.reduce(1, *)
    guard count > 0 else { return }
    var index = [Int](repeating: 0, count: shape.count)
    var offset = 0
    for element in 0..<count {
      (destination + element * elementSize).copyMemory(from: source + offset, byteCount: elementSize)
      // The next index, with the offset moved along: an axis that wraps gives back its span.
      var axis = shape.count - 1
      while axis >= 0 {
        index[axis] += 1
        offset += strides[axis]
        if index[axis] < shape[axis] { break }
        offset -= strides[axis] * shape[axis]
        index[axis] = 0
        axis -= 1
      }
    }
  }
}
