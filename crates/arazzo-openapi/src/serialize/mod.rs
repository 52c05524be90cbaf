//! Parameter and request-body serialization, exactly as OpenAPI describes it.
//!
//! An Arazzo step hands each parameter a JSON value; the OpenAPI description
//! of the operation decides how that value travels: `style`, `explode`,
//! `allowReserved` or `content` for parameters (OpenAPI 3.x), a
//! `collectionFormat` for Swagger 2.0, and a media type with optional
//! Encoding Objects and XML hints for the body. This module turns the value
//! into exactly those bytes, and refuses (with a typed
//! [`SerializeError`]) the combinations the specification leaves undefined
//! rather than sending something a server may misread.
//!
//! Typical use:
//!
//! 1. At compile time, read each parameter's settings once with
//!    [`ParamEncoding::from_openapi3`] or [`ParamEncoding::from_swagger2`].
//! 2. At run time, serialize each evaluated value with [`path_value`],
//!    [`query_pairs`], [`querystring`], [`header_value`] or
//!    [`cookie_pairs`], and the body with [`encode_body`].
//!
//! Values follow RFC 6570: strings are inserted as they are, numbers as
//! their JSON text, booleans as `true`/`false`; `null`, `[]` and objects
//! without non-null members are *undefined* ([`is_undefined`]) and produce
//! nothing. `docs/serialization.md` lists every rule and policy decision.

mod body;
mod encoding_object;
mod error;
mod form;
mod location;
pub(crate) mod media;
mod multipart;
mod param_encoding;
mod params;
mod pct;
mod schema;
mod style;
mod value;
mod xml;

pub use body::{BodyOptions, EncodedBody, encode_body};
pub use error::{SerializeError, ValueKind};
pub use location::{ParamLocation, Style};
pub use param_encoding::{ParamEncoding, Swagger2Form, swagger2_form};
pub use params::{
    cookie_pairs, header_value, is_ignored_header, path_value, query_pairs, querystring,
    validate_header_name,
};
pub use value::is_undefined;
