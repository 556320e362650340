// What embedders of MIND see: diagnostics come from the frontend.
@_exported import MindFrontend

@_exported import struct MindJIT.CacheEntry
@_exported import class MindJIT.ObjectCache
