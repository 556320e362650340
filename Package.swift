// swift-tools-version: 6.0
import PackageDescription

let package = Package(
  name: "mind",
  platforms: [.macOS(.v13)],
  products: [
    .library(name: "MIND", targets: ["MIND"]),
    .executable(name: "mind", targets: ["mind"]),
    .library(name: "mindc", type: .dynamic, targets: ["MindC"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-crypto", "3.12.0"..<"5.0.0"),
  ],
  targets: [
    .systemLibrary(name: "CLLVM", path: "CLLVM", pkgConfig: "mind-llvm"),
    .systemLibrary(name: "CZlib", path: "CZlib"),
    .target(name: "MindFrontend"),
    .target(name: "MindIR", dependencies: ["MindFrontend"]),
    .target(name: "MindAD", dependencies: ["MindFrontend", "MindIR"]),
    .target(name: "MindSema", dependencies: ["MindFrontend", "MindIR", "MindAD", "MindData"]),
    .target(name: "MindData", dependencies: ["CZlib"]),
    .target(name: "MindRuntime", dependencies: ["MindData"]),
    .target(
      name: "MindJIT",
      dependencies: ["CLLVM", "MindRuntime", .product(name: "Crypto", package: "swift-crypto")]),
    .target(name: "MindCodegen", dependencies: ["MindIR", "MindJIT", "MindRuntime", "CLLVM"]),
    .target(
      name: "MIND",
      dependencies: [
        "MindFrontend", "MindIR", "MindSema", "MindAD", "MindCodegen", "MindJIT", "MindRuntime", "MindData",
      ]),
    .target(name: "CMindABI"),
    .target(name: "MindC", dependencies: ["CMindABI", "MIND", "MindSema", "MindData"]),
    .executableTarget(
      name: "mind",
      dependencies: ["MIND", "MindData", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
    .testTarget(
      name: "MindTests",
      dependencies: ["MIND", "MindFrontend", "MindIR", "MindSema", "MindAD", "MindJIT", "MindRuntime", "MindData"],
      resources: []),
  ],
  swiftLanguageModes: [.v6]
)
