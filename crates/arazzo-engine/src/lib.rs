//! arazzo-engine (placeholder, filled by its issue).
