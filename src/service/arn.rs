//! ARNs and names as the Step Functions API forms and checks them.

use super::error::{ApiError, ApiResult, Code};

/// Where the server says its resources live.
#[derive(Debug, Clone)]
pub struct Place {
    pub region: String,
    pub account: String,
}

impl Place {
    pub fn state_machine(&self, name: &str) -> String {
        format!(
            "arn:aws:states:{}:{}:stateMachine:{name}",
            self.region, self.account
        )
    }

    pub fn execution(&self, machine: &str, name: &str) -> String {
        format!(
            "arn:aws:states:{}:{}:execution:{machine}:{name}",
            self.region, self.account
        )
    }

    pub fn activity(&self, name: &str) -> String {
        format!(
            "arn:aws:states:{}:{}:activity:{name}",
            self.region, self.account
        )
    }

    pub fn express_execution(&self, machine: &str, name: &str) -> String {
        format!(
            "arn:aws:states:{}:{}:express:{machine}:{name}:{}",
            self.region,
            self.account,
            uuid::Uuid::new_v4()
        )
    }
}

/// AWS's rule for names of state machines and executions: 1–80 characters, no
/// whitespace, wildcards, brackets, control characters or `"#%\^|~`$&,;:/`.
pub fn check_name(name: &str, what: &str) -> ApiResult<()> {
    let bad = |c: char| {
        c.is_whitespace()
            || c.is_control()
            || ('\u{7f}'..='\u{9f}').contains(&c)
            || "?*<>{}[]\"#%\\^|~`$&,;:/".contains(c)
    };
    let n = name.chars().count();
    if n == 0 || n > 80 || name.chars().any(bad) {
        return Err(ApiError::new(
            Code::InvalidName,
            format!(
                "Invalid Name: '{name}' ({what} names are 1 to 80 characters without whitespace, brackets, wildcards or \" # % \\ ^ | ~ ` $ & , ; : /)"
            ),
        ));
    }
    Ok(())
}

fn invalid(arn: &str) -> ApiError {
    ApiError::new(Code::InvalidArn, format!("Invalid Arn: '{arn}'"))
}

/// The parts of `arn:aws:states:REGION:ACCOUNT:KIND:…` after the kind.
fn states_parts<'a>(arn: &'a str, kind: &str) -> ApiResult<Vec<&'a str>> {
    let parts: Vec<&str> = arn.split(':').collect();
    if parts.len() < 7
        || parts[0] != "arn"
        || !parts[1].starts_with("aws")
        || parts[2] != "states"
        || parts[5] != kind
    {
        return Err(invalid(arn));
    }
    Ok(parts[6..].to_vec())
}

/// The state machine name of a state machine ARN (a version or alias suffix is kept
/// apart: `(name, Some(qualifier))`).
pub fn parse_state_machine(arn: &str) -> ApiResult<(String, Option<String>)> {
    let rest = states_parts(arn, "stateMachine")?;
    match rest.as_slice() {
        [name] if !name.is_empty() => Ok((name.to_string(), None)),
        [name, q] if !name.is_empty() && !q.is_empty() => {
            Ok((name.to_string(), Some(q.to_string())))
        }
        _ => Err(invalid(arn)),
    }
}

/// The name of an activity ARN.
pub fn parse_activity(arn: &str) -> ApiResult<String> {
    match states_parts(arn, "activity")?.as_slice() {
        [name] if !name.is_empty() => Ok(name.to_string()),
        _ => Err(invalid(arn)),
    }
}

/// `(machine, execution name)` of a Standard execution ARN.
pub fn parse_execution(arn: &str) -> ApiResult<(String, String)> {
    let rest = states_parts(arn, "execution").or_else(|_| states_parts(arn, "express"))?;
    match rest.as_slice() {
        [m, e] | [m, e, _] if !m.is_empty() && !e.is_empty() => Ok((m.to_string(), e.to_string())),
        _ => Err(invalid(arn)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_aws() {
        assert!(check_name("orders-2024_v1", "state machine").is_ok());
        assert!(check_name("ünïcode", "state machine").is_ok());
        for bad in [
            "",
            "bad name",
            "a:b",
            "a/b",
            "x*",
            "{x}",
            &"n".repeat(81),
            "tab\t",
        ] {
            assert_eq!(
                check_name(bad, "state machine").unwrap_err().code,
                Code::InvalidName,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn arns_parse() {
        let p = Place {
            region: "us-east-1".into(),
            account: "123456789012".into(),
        };
        assert_eq!(
            parse_state_machine(&p.state_machine("m")).unwrap(),
            ("m".into(), None)
        );
        assert_eq!(
            parse_state_machine("arn:aws:states:us-east-1:123456789012:stateMachine:m:3").unwrap(),
            ("m".into(), Some("3".into()))
        );
        assert_eq!(
            parse_execution(&p.execution("m", "e")).unwrap(),
            ("m".into(), "e".into())
        );
        assert_eq!(
            parse_execution(&p.express_execution("m", "e")).unwrap(),
            ("m".into(), "e".into())
        );
        for bad in [
            "not-an-arn",
            "arn:aws:states:us-east-1:1:execution:m",
            "arn:aws:lambda:us-east-1:1:stateMachine:m",
        ] {
            assert!(parse_state_machine(bad).is_err());
            assert!(parse_execution(bad).is_err());
        }
    }
}
