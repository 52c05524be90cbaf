//! Validating values against the schemas of OpenAPI descriptions, shared by the mock (requests it
//! receives, responses it writes) and the engine (responses a step receives).
//!
//! - [`validate`]: an OpenAPI 2.0–3.2 schema is *bundled* into one self-contained JSON Schema
//!   2020-12 document (every schema it reaches through `$ref` copied into `$defs`, the 3.0 and
//!   2.0 dialects translated, `readOnly`/`writeOnly` applied for a [`Direction`]) and compiled
//!   once with the `jsonschema` crate; [`SchemaValidator::errors`] then reports each departure
//!   with the value's and the schema's JSON pointers.
//! - [`depth`]: how deep a validation can recurse, measured before it runs, so a hostile
//!   description or value cannot exhaust the stack.
//! - [`refs`]: `$ref` lookups behind one trait ([`Refs`]), for schemas in a [`crate::Store`]
//!   and in a single document (Arazzo inputs).
//! - [`view`]: an operation with every schema *located* (the schema and the document its
//!   references are relative to), which [`crate::Operation`] alone does not keep.
//!
//! Everything here runs without an async runtime; bundling and validating grow the stack when
//! the calling thread has less than [`STACK_RED_ZONE`] left.

pub mod depth;
pub mod refs;
pub mod validate;
pub mod view;

pub use refs::{OneDoc, Refs};
pub use validate::{SchemaError, SchemaValidator, Unusable, compile, json_path, push_key};
pub use view::{Node, OpView};

/// Which side of an exchange a value is for: `readOnly` properties are left out of requests
/// (and not required in them), `writeOnly` ones out of responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// A response body or header (the default): `writeOnly` properties are omitted.
    Response,
    /// A request body, parameter or workflow input: `readOnly` properties are omitted.
    Request,
}

/// The stack bundling and validating want left: validation within the depth limits takes up
/// to about 800 KiB in a debug build, bundling a schema within its nesting limit about 350 KiB.
pub const STACK_RED_ZONE: usize = 1536 * 1024;

/// The stack allocated when the calling thread has less than [`STACK_RED_ZONE`] left.
const GROWN_STACK: usize = 8 * 1024 * 1024;

/// Runs `f` with at least [`STACK_RED_ZONE`] of stack.
pub(crate) fn with_stack<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(STACK_RED_ZONE, GROWN_STACK, f)
}
