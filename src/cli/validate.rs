use super::args::{Format, ValidateArgs};
use super::{EXIT_INVALID, EXIT_OK, EXIT_USAGE, read_source};
use asl_engine::asl::validate::{Options, validate_text};
use serde_json::json;

pub fn validate(a: ValidateArgs) -> i32 {
    let opts = Options {
        strict_aws: a.strict_aws,
    };
    let mut code = EXIT_OK;
    let mut reports = Vec::new();
    for f in &a.files {
        let text = match read_source(f) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("asl validate: {e}");
                code = EXIT_USAGE;
                continue;
            }
        };
        let diags = validate_text(&text, &opts);
        if !diags.is_empty() && code == EXIT_OK {
            code = EXIT_INVALID;
        }
        match a.format {
            Format::Text => {
                if diags.is_empty() {
                    outln!("{f}: valid");
                } else {
                    for d in &diags {
                        outln!("{f}:{d}");
                    }
                }
            }
            Format::Json => {
                reports.push(json!({"file": f, "valid": diags.is_empty(), "diagnostics": diags}))
            }
        }
    }
    if a.format == Format::Json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&reports).unwrap_or_default()
        );
    }
    code
}
