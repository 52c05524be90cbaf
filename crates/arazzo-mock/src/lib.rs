//! arazzo-mock (placeholder, filled by its issue).
