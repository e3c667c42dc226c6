//! AWS-only limits, applied with `Options::strict_aws` (and the parts AWS and the spec
//! agree on, applied always): Resource shape, Map Label, state name length.

use super::{At, Ctx, kind, show};
use serde_json::Value;

const MAX_NAME: usize = 80;
const MAX_LABEL: usize = 40;

/// A URI scheme prefix (`scheme:`), as the ASL spec requires of Resource.
fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let _ = rest;
    let mut cs = scheme.chars();
    cs.next().is_some_and(|c| c.is_ascii_alphabetic())
        && cs.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// `arn:partition:service:region:account:resource` with an AWS partition.
fn is_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    parts.len() == 6 && parts[0] == "arn" && parts[1].starts_with("aws") && !parts[2].is_empty()
}

/// A Task's Resource, or an ItemReader's or ResultWriter's (`item_resource`).
pub(super) fn check_resource(ctx: &mut Ctx, at: At, s: &str, item_resource: bool) {
    if let Some(why) = super::resources::problem(s, item_resource) {
        ctx.at(at, "bad-resource", why);
    } else if !is_uri(s) {
        ctx.at(
            at,
            "bad-resource",
            format!(
                "Resource must be a URI such as an ARN (arn:aws:states:::lambda:invoke), got {}",
                show(&Value::String(s.into()))
            ),
        );
    } else if ctx.opts.strict_aws && !is_arn(s) {
        ctx.at(
            at,
            "bad-resource",
            format!(
                "Resource must be an AWS ARN (arn:aws:...:...), got {}",
                show(&Value::String(s.into()))
            ),
        );
    }
}

pub(super) fn check_state_name(ctx: &mut Ctx, ptr: &str, name: &str) {
    if name.chars().count() > MAX_NAME {
        ctx.report(
            ptr,
            Some(name),
            "name-too-long",
            format!(
                "state names may be at most {MAX_NAME} characters; this one has {}",
                name.chars().count()
            ),
        );
    }
}

fn bad_label_char(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '<' | '>'
                | '{'
                | '}'
                | '['
                | ']'
                | '?'
                | '*'
                | '"'
                | '#'
                | '%'
                | '\\'
                | '^'
                | '|'
                | '~'
                | '`'
                | '$'
                | '&'
                | ','
                | ';'
                | ':'
                | '/'
        )
        || ('\u{7f}'..='\u{9f}').contains(&c)
        || matches!(c, '\u{fffe}' | '\u{ffff}')
}

pub(super) fn check_label(ctx: &mut Ctx, at: At, v: &Value) {
    let Value::String(s) = v else {
        ctx.at(
            at,
            "wrong-type",
            format!("Label must be a string, got {}", kind(v)),
        );
        return;
    };
    if s.is_empty() {
        ctx.at(at, "bad-label", "Label may not be empty".into());
    } else if s.chars().count() > MAX_LABEL {
        ctx.at(
            at,
            "bad-label",
            format!(
                "Label may be at most {MAX_LABEL} characters, got {}",
                s.chars().count()
            ),
        );
    } else if let Some(c) = s.chars().find(|c| bad_label_char(*c)) {
        ctx.at(at, "bad-label", format!("Label may not contain {c:?} (U+{:04X}): whitespace, brackets, wildcards, quotes, control characters and :/\\$&,;~#%^|` are not allowed", c as u32));
    }
}
