public enum MindRuntimePlaceholder {}
