//! `$ref` lookups: the shared ones of `arazzo_openapi::schema::refs`.

pub(crate) use arazzo_openapi::schema::refs::{OneDoc, Refs, ref_of, resolve};
