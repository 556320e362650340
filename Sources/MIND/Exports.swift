// What embedders of MIND see: diagnostics come from the frontend.
@_exported import MindFrontend
