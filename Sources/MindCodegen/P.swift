public enum MindCodegenPlaceholder {}
