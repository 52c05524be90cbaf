//! The fields each object may have, and the Arazzo version that introduced each.

use crate::model::Version;

/// A field an object may have, and the version that introduced it.
pub(super) type Field = (&'static str, Version);

const V0: Version = Version::V1_0;
pub(super) const V1: Version = Version::V1_1;

pub(super) const ROOT_FIELDS: &[Field] = &[
    ("arazzo", V0),
    ("$self", V1),
    ("info", V0),
    ("sourceDescriptions", V0),
    ("workflows", V0),
    ("components", V0),
];
pub(super) const INFO_FIELDS: &[Field] = &[
    ("title", V0),
    ("summary", V0),
    ("description", V0),
    ("version", V0),
];
pub(super) const SOURCE_FIELDS: &[Field] = &[("name", V0), ("url", V0), ("type", V0)];
pub(super) const WORKFLOW_FIELDS: &[Field] = &[
    ("workflowId", V0),
    ("summary", V0),
    ("description", V0),
    ("inputs", V0),
    ("dependsOn", V0),
    ("steps", V0),
    ("successActions", V0),
    ("failureActions", V0),
    ("outputs", V0),
    ("parameters", V0),
];
pub(super) const STEP_FIELDS: &[Field] = &[
    ("stepId", V0),
    ("description", V0),
    ("operationId", V0),
    ("operationPath", V0),
    ("workflowId", V0),
    ("channelPath", V1),
    ("parameters", V0),
    ("requestBody", V0),
    ("successCriteria", V0),
    ("onSuccess", V0),
    ("onFailure", V0),
    ("outputs", V0),
    ("timeout", V1),
    ("dependsOn", V1),
    ("action", V1),
    ("correlationId", V1),
];
pub(super) const PARAMETER_FIELDS: &[Field] = &[("name", V0), ("in", V0), ("value", V0)];
pub(super) const SUCCESS_FIELDS: &[Field] = &[
    ("name", V0),
    ("type", V0),
    ("workflowId", V0),
    ("stepId", V0),
    ("criteria", V0),
    ("parameters", V1),
];
pub(super) const FAILURE_FIELDS: &[Field] = &[
    ("name", V0),
    ("type", V0),
    ("workflowId", V0),
    ("stepId", V0),
    ("retryAfter", V0),
    ("retryLimit", V0),
    ("criteria", V0),
    ("parameters", V1),
];
pub(super) const CRITERION_FIELDS: &[Field] = &[("context", V0), ("condition", V0), ("type", V0)];
pub(super) const EXPRESSION_TYPE_FIELDS: &[Field] = &[("type", V0), ("version", V0)];
pub(super) const BODY_FIELDS: &[Field] =
    &[("contentType", V0), ("payload", V0), ("replacements", V0)];
pub(super) const REPLACEMENT_FIELDS: &[Field] =
    &[("target", V0), ("targetSelectorType", V1), ("value", V0)];
pub(super) const COMPONENTS_FIELDS: &[Field] = &[
    ("inputs", V0),
    ("parameters", V0),
    ("successActions", V0),
    ("failureActions", V0),
];
pub(super) const SELECTOR_FIELDS: &[Field] = &[("context", V1), ("selector", V1), ("type", V1)];
