//! Source descriptions for Arazzo: loading OpenAPI 2.0–3.2 documents, finding
//! operations, and turning workflow values into exact HTTP requests.
//!
//! [`serialize`] turns parameter values and request bodies into the bytes an
//! OpenAPI description asks for (`style`, `explode`, `allowReserved`,
//! `content`, Encoding Objects, XML hints), so that a workflow sends what the
//! API documents rather than whatever is easiest to produce.

pub mod serialize;

pub mod disk_cache;
pub mod document;
pub mod fetch;
pub mod lookup;
pub mod media;
pub mod operation;
pub mod request;
pub mod schema;
pub mod security;
pub mod servers;
pub mod sources;
pub mod store;

pub use disk_cache::DiskCache;
pub use document::{OpEntry, OpenApi, Version};
pub use operation::Operation;
pub use request::{BodyValue, Built, HttpRequest, ParamValue, build_request};
pub use sources::{LoadOptions, SourceTarget, Sources, load_description};
pub use store::{DocCache, Store};
