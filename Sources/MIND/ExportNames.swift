// The C names of `mind build`'s exports. A name goes into the object's symbol table and into a
// header that C and C++ compile, next to the C library, libm and OpenBLAS the program links, so
// it must be an ASCII C identifier, not a C or C++ keyword, not reserved for the implementation
// (`__x`, `_X`), not a symbol those libraries define (an export named `malloc` would replace
// libc's in the linked program), and not one of the object's own names (its error-message
// function, the header's guard macro). Every other symbol of the object is local.

import MindJIT

#if canImport(Glibc)
  import Glibc
#endif

enum ExportNames {
  /// Why `name` cannot be the C name of an export, or nil.
  static func problem(with name: String, ownSymbols: Set<String>) -> String? {
    let isIdentifier =
      name.first.map { !$0.isNumber } == true
      && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    if !isIdentifier {
      return "is not a C identifier (ASCII letters, digits and `_`, not starting with a digit)"
    }
    if keywords.contains(name) { return "is a C or C++ keyword" }
    if name.hasPrefix("__") || (name.hasPrefix("_") && name.dropFirst().first?.isUppercase == true) {
      return "is reserved for the C implementation (it starts with `__`, or `_` and a capital letter)"
    }
    if ownSymbols.contains(name) { return "is a name the object or its header defines itself" }
    if systemLibraries.contains(where: { dlsym($0, name) != nil }) || BLAS.defines(name) {
      return "is a symbol of the C library, libm or OpenBLAS, which the linked program would lose"
    }
    return nil
  }

  /// The C library and libm, which every process of ours has loaded.
  nonisolated(unsafe) static let systemLibraries: [UnsafeMutableRawPointer] = ["libc.so.6", "libm.so.6"].compactMap {
    (name: String) in dlopen(name, RTLD_NOW | RTLD_NOLOAD)
  }

  /// C23's keywords and C++23's (the header is included by both), with the C macros that
  /// behave as keywords.
  static let keywords: Set<String> = [
    "alignas", "alignof", "auto", "bool", "break", "case", "char", "const", "constexpr", "continue", "default", "do",
    "double", "else", "enum", "extern", "false", "float", "for", "goto", "if", "inline", "int", "long", "nullptr",
    "register", "restrict", "return", "short", "signed", "sizeof", "static", "static_assert", "struct", "switch",
    "thread_local", "true", "typedef", "typeof", "typeof_unqual", "union", "unsigned", "void", "volatile", "while",
    "_Alignas", "_Alignof", "_Atomic", "_BitInt", "_Bool", "_Complex", "_Decimal128", "_Decimal32", "_Decimal64",
    "_Generic", "_Imaginary", "_Noreturn", "_Static_assert", "_Thread_local", "and", "and_eq", "asm", "bitand",
    "bitor", "catch", "char8_t", "char16_t", "char32_t", "class", "compl", "concept", "consteval", "constinit",
    "const_cast", "co_await", "co_return", "co_yield", "decltype", "delete", "dynamic_cast", "explicit", "export",
    "friend", "mutable", "namespace", "new", "noexcept", "not", "not_eq", "operator", "or", "or_eq", "private",
    "protected", "public", "reinterpret_cast", "requires", "static_cast", "template", "this", "throw", "try",
    "typeid", "typename", "using", "virtual", "wchar_t", "xor", "xor_eq", "NULL", "EOF", "errno", "assert",
    "offsetof", "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t",
    "intptr_t", "uintptr_t", "size_t",
  ]
}
