public enum MindJITPlaceholder {}
