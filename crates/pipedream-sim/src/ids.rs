//! Identifiers, tokens, timestamps and cursors in the formats Pipedream uses, so that clients
//! which check formats (patterns in the description, JWT parsers, RFC 3339 parsers) see the real
//! shapes.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use rand::Rng as _;
use rand::distr::Alphanumeric;
use serde_json::json;

/// `prefix` followed by `len` random ASCII letters and digits (`apn_` + 7, `o_` + 7).
pub(crate) fn prefixed_alnum(prefix: &str, len: usize) -> String {
    let tail: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(len)
        .map(char::from)
        .collect();
    format!("{prefix}{tail}")
}

/// `ctok_` followed by 32 lowercase hex digits.
pub(crate) fn connect_token() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    let mut out = String::with_capacity(37);
    out.push_str("ctok_");
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// A random version-4 UUID in its usual text form, for the JWT `jti` claim.
fn uuid_v4() -> String {
    let mut b: [u8; 16] = rand::rng().random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Seconds since the Unix epoch, 0 for instants before it.
pub(crate) fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// An access token shaped like Pipedream's: a JWT whose header is `{"typ":"JWT","alg":"EdDSA"}`,
/// whose claims are the ones Pipedream issues, and whose signature is 64 random bytes (the size of
/// an Ed25519 signature). The simulator recognises its tokens by lookup, not by signature.
pub(crate) fn access_token(
    subject: &str,
    scopes: &[String],
    now: SystemTime,
    ttl: Duration,
) -> String {
    let iat = unix_secs(now);
    let header = json!({ "typ": "JWT", "alg": "EdDSA" });
    let claims = json!({
        "jti": uuid_v4(),
        "iss": "https://api.pipedream.com",
        "exp": iat.saturating_add(ttl.as_secs()),
        "iat": iat,
        "nbf": iat,
        "token_type": "oauth_access_token",
        "aud": ["api", "catcher"],
        "sub": subject,
        "scopes": scopes,
    });
    let signature: [u8; 64] = {
        let mut rng = rand::rng();
        std::array::from_fn(|_| rng.random())
    };
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

/// The UTC calendar fields of an instant, clamped to the years RFC 3339 can express.
fn utc(t: SystemTime) -> time::OffsetDateTime {
    let nanos = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i128::try_from(d.as_nanos()).unwrap_or(i128::MAX),
        Err(e) => -i128::try_from(e.duration().as_nanos()).unwrap_or(i128::MAX),
    };
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

fn rfc3339_millis(t: SystemTime, offset: &str) -> String {
    let d = utc(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}{offset}",
        d.year(),
        u8::from(d.month()),
        d.day(),
        d.hour(),
        d.minute(),
        d.second(),
        d.millisecond()
    )
}

/// RFC 3339 with milliseconds and a `+00:00` offset, as Pipedream formats `expires_at` of a
/// Connect token (`2025-10-22T08:30:45.172+00:00`).
pub(crate) fn token_timestamp(t: SystemTime) -> String {
    rfc3339_millis(t, "+00:00")
}

/// RFC 3339 with milliseconds and `Z`, as Pipedream formats account timestamps
/// (`2024-07-30T22:52:48.000Z`).
pub(crate) fn account_timestamp(t: SystemTime) -> String {
    rfc3339_millis(t, "Z")
}

/// The opaque pagination cursor for an account: base64 (URL-safe alphabet, unpadded) of its id,
/// like Pipedream's `YXBuX0JtaEJKSm0` for `apn_BmhBJJm`.
pub(crate) fn encode_cursor(account_id: &str) -> String {
    URL_SAFE_NO_PAD.encode(account_id)
}

/// The account id inside a cursor, accepting either base64 alphabet, padded or not, since clients
/// may have re-encoded it.
pub(crate) fn decode_cursor(cursor: &str) -> Option<String> {
    [URL_SAFE_NO_PAD, URL_SAFE, STANDARD_NO_PAD, STANDARD]
        .iter()
        .find_map(|engine| engine.decode(cursor).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn connect_tokens_match_the_pattern() {
        for _ in 0..50 {
            assert!(crate::http::is_connect_token(&connect_token()));
        }
    }

    #[test]
    fn timestamps_have_milliseconds() {
        let t = UNIX_EPOCH + Duration::from_millis(1_761_121_845_172);
        assert_eq!(token_timestamp(t), "2025-10-22T08:30:45.172+00:00");
        assert_eq!(account_timestamp(t), "2025-10-22T08:30:45.172Z");
    }

    #[test]
    fn cursors_round_trip() {
        assert_eq!(encode_cursor("apn_BmhBJJm"), "YXBuX0JtaEJKSm0");
        assert_eq!(decode_cursor("YXBuX0JtaEJKSm0").unwrap(), "apn_BmhBJJm");
        assert_eq!(decode_cursor("YXBuX0JtaEJKSm0=").unwrap(), "apn_BmhBJJm");
        assert!(decode_cursor("%%%").is_none());
    }

    #[test]
    fn uuids_are_version_4() {
        let u = uuid_v4();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
    }
}
