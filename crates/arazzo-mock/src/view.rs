//! Operations with located schemas: the shared `arazzo_openapi::schema::view`.

pub(crate) use arazzo_openapi::schema::view::{Node, OpView};
