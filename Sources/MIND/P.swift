public enum MINDPlaceholder {}
