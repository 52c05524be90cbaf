//! arazzo-expr (placeholder, filled by its issue).
