//! arazzo-openapi (placeholder, filled by its issue).
