//! What AWS accepts in an HTTP Task (`arn:aws:states:::http:invoke`), shared by the
//! validator (at CreateStateMachine) and the Task (at run time, for values given by
//! path or expression).

/// The methods AWS accepts.
pub const METHODS: [&str; 7] = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"];

/// The request headers AWS refuses (lower case), besides `x-forwarded-*`, `x-amz-*`,
/// `x-amzn-*` and `authorization` (which only a connection may set).
const UNSUPPORTED_HEADERS: &[&str] = &[
    "a-im",
    "accept-charset",
    "accept-datetime",
    "accept-encoding",
    "authorization",
    "cache-control",
    "connection",
    "content-encoding",
    "content-md5",
    "date",
    "expect",
    "forwarded",
    "from",
    "host",
    "http2-settings",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "max-forwards",
    "origin",
    "pragma",
    "proxy-authorization",
    "referer",
    "server",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "via",
    "warning",
];

/// Whether a Task may not send the header `name`.
pub fn unsupported_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    UNSUPPORTED_HEADERS.contains(&n.as_str())
        || ["x-forwarded", "x-amz-", "x-amzn-"]
            .iter()
            .any(|p| n.starts_with(p))
}

/// AWS's message for refused headers (`names` in lower case).
pub fn unsupported_headers_message(names: &[String]) -> String {
    format!(
        "The 'Headers' field contains unsupported values: [{}]",
        names.join(", ")
    )
}

/// `Transform.RequestEncodingOptions.ArrayFormat`'s values.
pub const ARRAY_FORMATS: [&str; 4] = ["BRACKETS", "COMMAS", "INDICES", "REPEAT"];
