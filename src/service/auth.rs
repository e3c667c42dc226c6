//! Signature Version 4, checked on every request when `asl serve --auth` gives keys.
//!
//! The SDKs sign `POST /` with `Authorization: AWS4-HMAC-SHA256 Credential=KEY/DATE/
//! REGION/SERVICE/aws4_request, SignedHeaders=…, Signature=…` over the canonical
//! request (method, path, query, the signed headers, the body's SHA-256) and `X-Amz-Date`.
//! Errors as AWS's JSON services give them: `MissingAuthenticationTokenException`,
//! `IncompleteSignatureException`, `UnrecognizedClientException` (an unknown key),
//! `InvalidSignatureException` (a wrong signature, or a date more than 15 minutes off).

use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Access key id → secret key.
#[derive(Debug, Clone, Default)]
pub struct Keys(pub HashMap<String, String>);

impl Keys {
    /// `ACCESS_KEY:SECRET`, or a file of such lines (`#` comments allowed).
    pub fn parse(spec: &str) -> Result<Keys, String> {
        let text = if std::path::Path::new(spec).is_file() {
            std::fs::read_to_string(spec).map_err(|e| format!("{spec}: {e}"))?
        } else {
            spec.to_string()
        };
        let mut keys = HashMap::new();
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let (id, secret) = line
                .split_once(':')
                .filter(|(i, s)| !i.is_empty() && !s.is_empty())
                .ok_or_else(|| {
                    format!("--auth expects ACCESS_KEY:SECRET (or a file of them), got '{line}'")
                })?;
            keys.insert(id.to_string(), secret.to_string());
        }
        if keys.is_empty() {
            return Err("--auth names no key".into());
        }
        Ok(Keys(keys))
    }
}

/// Why a request is refused: status, AWS error code, message.
pub type Refusal = (StatusCode, &'static str, String);

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    // HMAC takes keys of any length: `new_from_slice` never fails for it.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    m.update(data.as_bytes());
    m.finalize().into_bytes().to_vec()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `%XX`-encodes a URI component as SigV4 wants (unreserved characters kept).
fn encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                encode(&percent_decode(k), false),
                encode(&percent_decode(v), false),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Checks the request's signature against `keys`.
pub fn verify(
    keys: &Keys,
    method: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), Refusal> {
    verify_at(
        keys,
        method,
        path,
        query,
        headers,
        body,
        chrono::Utc::now().naive_utc(),
    )
}

/// [`verify`] with the server's clock at `now`.
fn verify_at(
    keys: &Keys,
    method: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
    now: chrono::NaiveDateTime,
) -> Result<(), Refusal> {
    let bad = |code: &'static str, msg: String| (StatusCode::BAD_REQUEST, code, msg);
    let Some(auth) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return Err((
            StatusCode::FORBIDDEN,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token".into(),
        ));
    };
    let Some(fields) = auth.strip_prefix("AWS4-HMAC-SHA256 ") else {
        return Err(bad(
            "IncompleteSignatureException",
            format!(
                "Unsupported authorization type: '{}'",
                auth.split(' ').next().unwrap_or("")
            ),
        ));
    };
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in fields.split(',').map(str::trim) {
        match part.split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => {}
        }
    }
    let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature) else {
        return Err(bad(
            "IncompleteSignatureException",
            "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'".into(),
        ));
    };
    let scope: Vec<&str> = credential.split('/').collect();
    let [key_id, date, region, service, "aws4_request"] = scope.as_slice() else {
        return Err(bad(
            "IncompleteSignatureException",
            format!("Credential should be scoped to a valid region and service: '{credential}'"),
        ));
    };
    let Some(secret) = keys.0.get(*key_id) else {
        return Err(bad(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.".into(),
        ));
    };
    let Some(amz_date) = headers.get("x-amz-date").and_then(|v| v.to_str().ok()) else {
        return Err(bad(
            "IncompleteSignatureException",
            "Authorization requires the X-Amz-Date header".into(),
        ));
    };
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ") {
        let skew = (now - t).num_seconds().abs();
        if skew > 15 * 60 {
            return Err(bad(
                "InvalidSignatureException",
                format!(
                    "Signature expired: {amz_date} is now earlier or later than 15 minutes from the server's time"
                ),
            ));
        }
    }
    let mut canonical_headers = String::new();
    for name in signed.split(';') {
        let values: Vec<&str> = headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::trim)
            .collect();
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let payload = headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| hex(&Sha256::digest(body)));
    let canonical = format!(
        "{method}\n{}\n{}\n{canonical_headers}\n{signed}\n{payload}",
        encode(
            &percent_decode(if path.is_empty() { "/" } else { path }),
            true
        ),
        canonical_query(query)
    );
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{date}/{region}/{service}/aws4_request\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date);
    let k_region = hmac(&k_date, region);
    let k_service = hmac(&k_region, service);
    let k_signing = hmac(&k_service, "aws4_request");
    let expected = hex(&hmac(&k_signing, &to_sign));
    if expected != signature {
        return Err(bad("InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's published SigV4 example (the IAM ListUsers GET request of the
    /// "Signature Version 4 signing process" examples): its signature must verify.
    #[test]
    fn aws_documented_example_verifies() {
        let keys = Keys::parse("AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap();
        let mut h = HeaderMap::new();
        h.insert("host", "iam.amazonaws.com".parse().unwrap());
        h.insert(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8"
                .parse()
                .unwrap(),
        );
        h.insert("x-amz-date", "20150830T123600Z".parse().unwrap());
        h.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
                .parse()
                .unwrap(),
        );
        let then =
            chrono::NaiveDateTime::parse_from_str("20150830T123600Z", "%Y%m%dT%H%M%SZ").unwrap();
        let query = "Action=ListUsers&Version=2010-05-08";
        assert_eq!(verify_at(&keys, "GET", "/", query, &h, b"", then), Ok(()));
        // Today it is too old; a changed header breaks the signature.
        let r = verify(&keys, "GET", "/", query, &h, b"");
        assert!(
            matches!(r, Err((_, "InvalidSignatureException", ref m)) if m.starts_with("Signature expired")),
            "{r:?}"
        );
        let mut wrong = h.clone();
        wrong.insert("x-amz-date", "20150830T123601Z".parse().unwrap());
        let r = verify_at(&keys, "GET", "/", query, &wrong, b"", then);
        assert_eq!(r.map_err(|e| e.1), Err("InvalidSignatureException"));
    }

    #[test]
    fn missing_and_unknown_keys_are_refused() {
        let keys = Keys::parse("AK:SECRET").unwrap();
        let h = HeaderMap::new();
        assert_eq!(
            verify(&keys, "POST", "/", "", &h, b"{}").unwrap_err().1,
            "MissingAuthenticationTokenException"
        );
        let mut h = HeaderMap::new();
        h.insert("authorization", "AWS4-HMAC-SHA256 Credential=OTHER/20240101/us-east-1/states/aws4_request, SignedHeaders=host, Signature=00".parse().unwrap());
        assert_eq!(
            verify(&keys, "POST", "/", "", &h, b"{}").unwrap_err().1,
            "UnrecognizedClientException"
        );
        assert!(Keys::parse("nocolon").is_err());
    }
}
