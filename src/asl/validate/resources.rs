//! Task `Resource` ARNs that AWS refuses at CreateStateMachine ("The resource provided
//! … is not recognized. The value is not a valid resource ARN, or the resource is not
//! available in this region."): optimized integrations that don't exist or don't take
//! the integration pattern asked for, malformed `aws-sdk` resources, Lambda function
//! and activity ARNs of the wrong shape.
//!
//! The optimized integrations and the patterns each takes follow AWS's "Integrating
//! optimized services with Step Functions" pages (one page per service). Region and
//! account are not checked: definitions hold placeholders there (`REGION`, an empty
//! account), and what a real account holds can't be known here.

/// An integration pattern: the suffix of an optimized integration's resource.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pattern {
    /// Request Response: no suffix.
    Request,
    /// `.sync` (Run a Job).
    Sync,
    /// `.sync:2` (Run a Job, with the output parsed as JSON; Step Functions only).
    Sync2,
    /// `.waitForTaskToken` (Callback).
    Callback,
}

use Pattern::{Callback, Request, Sync, Sync2};

const R: &[Pattern] = &[Request];
const RS: &[Pattern] = &[Request, Sync];
const RC: &[Pattern] = &[Request, Callback];
const RSC: &[Pattern] = &[Request, Sync, Callback];

/// `service:action` of every optimized integration, with the patterns it takes.
const OPTIMIZED: &[(&str, &[Pattern])] = &[
    ("apigateway:invoke", RC),
    ("athena:startQueryExecution", RS),
    ("athena:stopQueryExecution", R),
    ("athena:getQueryExecution", R),
    ("athena:getQueryResults", R),
    ("batch:submitJob", RS),
    ("bedrock:invokeModel", R),
    ("bedrock:createModelCustomizationJob", RS),
    ("codebuild:startBuild", RS),
    ("codebuild:stopBuild", R),
    ("codebuild:batchDeleteBuilds", R),
    ("codebuild:batchGetReports", R),
    ("codebuild:startBuildBatch", RS),
    ("codebuild:stopBuildBatch", R),
    ("codebuild:retryBuildBatch", RS),
    ("codebuild:deleteBuildBatch", R),
    ("databrew:startJobRun", RS),
    ("dynamodb:getItem", R),
    ("dynamodb:putItem", R),
    ("dynamodb:updateItem", R),
    ("dynamodb:deleteItem", R),
    ("ecs:runTask", RSC),
    ("eks:createCluster", RS),
    ("eks:deleteCluster", RS),
    ("eks:createFargateProfile", RS),
    ("eks:deleteFargateProfile", RS),
    ("eks:createNodegroup", RS),
    ("eks:deleteNodegroup", RS),
    ("eks:runJob", RSC),
    ("eks:call", R),
    ("elasticmapreduce:addStep", RS),
    ("elasticmapreduce:cancelStep", R),
    ("elasticmapreduce:createCluster", RS),
    ("elasticmapreduce:modifyInstanceFleetByName", R),
    ("elasticmapreduce:modifyInstanceGroupByName", R),
    ("elasticmapreduce:setClusterTerminationProtection", R),
    ("elasticmapreduce:terminateCluster", RS),
    ("emr-containers:startJobRun", RS),
    ("emr-containers:createVirtualCluster", R),
    ("emr-containers:deleteVirtualCluster", RS),
    ("emr-serverless:createApplication", RS),
    ("emr-serverless:startApplication", RS),
    ("emr-serverless:stopApplication", RS),
    ("emr-serverless:deleteApplication", RS),
    ("emr-serverless:startJobRun", RS),
    ("emr-serverless:cancelJobRun", RS),
    ("events:putEvents", RC),
    ("glue:startJobRun", RS),
    ("http:invoke", R),
    ("lambda:invoke", RC),
    ("mediaconvert:createJob", RS),
    ("sagemaker:createEndpoint", R),
    ("sagemaker:createEndpointConfig", R),
    ("sagemaker:createHyperParameterTuningJob", RS),
    ("sagemaker:createLabelingJob", RS),
    ("sagemaker:createModel", R),
    ("sagemaker:createProcessingJob", RS),
    ("sagemaker:createTrainingJob", RS),
    ("sagemaker:createTransformJob", RS),
    ("sagemaker:updateEndpoint", R),
    ("sns:publish", RC),
    ("sqs:sendMessage", RC),
    ("states:startExecution", &[Request, Sync, Sync2, Callback]),
];

/// The Map's ItemReader and ResultWriter resources (S3), which no Task uses.
pub(super) const S3_ITEM_RESOURCES: &[&str] = &["s3:getObject", "s3:listObjectsV2", "s3:putObject"];

fn pattern_of(action: &str) -> Option<(&str, Pattern)> {
    if let Some(a) = action.strip_suffix(".waitForTaskToken") {
        Some((a, Callback))
    } else if let Some(a) = action.strip_suffix(".sync:2") {
        Some((a, Sync2))
    } else if let Some(a) = action.strip_suffix(".sync") {
        Some((a, Sync))
    } else if action.contains('.') {
        None
    } else {
        Some((action, Request))
    }
}

fn suffix(p: Pattern) -> &'static str {
    match p {
        Request => "",
        Sync => ".sync",
        Sync2 => ".sync:2",
        Callback => ".waitForTaskToken",
    }
}

fn not_recognized(resource: &str, hint: &str) -> String {
    format!(
        "the resource provided {resource} is not recognized: it is not a valid resource ARN, or not a resource Step Functions offers{hint}"
    )
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Why AWS refuses `resource` as a Task's Resource, if it does. `item_resource` is true
/// for an ItemReader or ResultWriter (the S3 resources are theirs).
pub(super) fn problem(resource: &str, item_resource: bool) -> Option<String> {
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    if parts.len() < 6 || parts[0] != "arn" || !parts[1].starts_with("aws") {
        return None;
    }
    let (service, region, account, rest) = (parts[2], parts[3], parts[4], parts[5]);
    match service {
        "states" if region.is_empty() && account.is_empty() => {
            integration(resource, rest, item_resource)
        }
        "states" => {
            let (kind, name) = rest.split_once(':').unwrap_or((rest, ""));
            match kind {
                "activity" if is_name(name) => None,
                "activity" => Some(format!(
                    "{resource}: an activity ARN ends in the activity's name (letters, digits, '-' and '_')"
                )),
                _ => Some(not_recognized(
                    resource,
                    "; a Task runs an activity (arn:aws:states:REGION:ACCOUNT:activity:NAME) or a service integration (arn:aws:states:::SERVICE:ACTION)",
                )),
            }
        }
        "lambda" => {
            let mut it = rest.split(':');
            let kind = it.next().unwrap_or("");
            let name = it.next().unwrap_or("");
            let qualifier = it.next();
            if kind != "function" || !is_name(name) || name.len() > 64 {
                return Some(format!(
                    "{resource}: a Lambda function ARN is arn:aws:lambda:REGION:ACCOUNT:function:NAME, with an optional :VERSION or :ALIAS (names of letters, digits, '-' and '_', at most 64)"
                ));
            }
            match (qualifier, it.next()) {
                (None, _) => None,
                (Some(q), None) if q == "$LATEST" || is_name(q) => None,
                _ => Some(format!(
                    "{resource}: after the function name a Lambda ARN takes one qualifier, a version ($LATEST, 1, 2, …) or an alias"
                )),
            }
        }
        _ => None,
    }
}

/// `arn:aws:states:::SERVICE:ACTION[.pattern]`.
fn integration(resource: &str, rest: &str, item_resource: bool) -> Option<String> {
    if let Some(sdk) = rest.strip_prefix("aws-sdk:") {
        let (service, action) = sdk.split_once(':').unwrap_or((sdk, ""));
        let (action, pattern) = pattern_of(action)?;
        let service_ok = !service.is_empty()
            && service
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        let action_ok = action.starts_with(|c: char| c.is_ascii_lowercase())
            && action.chars().all(|c| c.is_ascii_alphanumeric());
        if !service_ok || !action_ok {
            return Some(not_recognized(
                resource,
                ": an AWS SDK integration is arn:aws:states:::aws-sdk:SERVICE:apiAction (the service's SDK name in lower case, the API action in camelCase)",
            ));
        }
        if pattern == Sync || pattern == Sync2 {
            return Some(format!(
                "{resource}: AWS SDK integrations don't support the '.sync' integration pattern (only Request Response and .waitForTaskToken)"
            ));
        }
        return None;
    }
    let Some((base, pattern)) = pattern_of(rest) else {
        return Some(not_recognized(
            resource,
            "; the integration patterns are .sync, .sync:2 and .waitForTaskToken",
        ));
    };
    if S3_ITEM_RESOURCES.contains(&base) {
        return (!item_resource || pattern != Request).then(|| {
            not_recognized(
                resource,
                "; the S3 resources serve a Distributed Map's ItemReader and ResultWriter; a Task reaches S3 through arn:aws:states:::aws-sdk:s3:ACTION",
            )
        });
    }
    match OPTIMIZED.iter().find(|(name, _)| *name == base) {
        Some((_, patterns)) if patterns.contains(&pattern) => None,
        Some((_, patterns)) => {
            let offered: Vec<String> = patterns
                .iter()
                .map(|p| format!("{base}{}", suffix(*p)))
                .collect();
            Some(format!(
                "{resource}: {base} does not support the '{}' integration pattern (it offers {})",
                suffix(pattern),
                offered.join(", ")
            ))
        }
        None => {
            let hint = match base.split_once(':') {
                Some((service, action)) if !service.is_empty() && !action.is_empty() => format!(
                    "; it is not an optimized integration, but its API action may be reached through the AWS SDK integration: arn:aws:states:::aws-sdk:{service}:{action}"
                ),
                _ => String::new(),
            };
            Some(not_recognized(resource, &hint))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::problem;

    #[test]
    fn what_aws_accepts() {
        for ok in [
            "arn:aws:states:::lambda:invoke",
            "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "arn:aws:states:::states:startExecution.sync:2",
            "arn:aws:states:::ecs:runTask.sync",
            "arn:aws:states:::aws-sdk:dynamodb:scan",
            "arn:aws:states:::aws-sdk:s3:listObjectsV2.waitForTaskToken",
            "arn:aws:states:::aws-sdk:emrserverless:startJobRun",
            "arn:aws:lambda:us-east-1:123456789012:function:orders",
            "arn:aws:lambda:us-east-1:123456789012:function:orders:$LATEST",
            "arn:aws:lambda:us-east-1:123456789012:function:orders:7",
            "arn:aws:lambda:us-east-1:123456789012:function:orders:live-2",
            "arn:aws:lambda:::function:orders",
            "arn:aws:lambda:REGION:ACCOUNT_ID:function:orders",
            "arn:aws:states:us-east-1:123456789012:activity:review",
            "arn:aws-cn:states:::sqs:sendMessage",
            "arn:aws:swf:us-east-1:123456789012:task:X",
            "foo:bar",
        ] {
            assert_eq!(problem(ok, false), None, "{ok}");
        }
        assert_eq!(problem("arn:aws:states:::s3:getObject", true), None);
    }

    #[test]
    fn what_aws_refuses() {
        for (bad, says) in [
            ("arn:aws:states:::dynamodb:scan", "aws-sdk:dynamodb:scan"),
            (
                "arn:aws:states:::lambda:invoke.sync",
                "does not support the '.sync'",
            ),
            (
                "arn:aws:states:::sns:publish.sync",
                "sns:publish.waitForTaskToken",
            ),
            (
                "arn:aws:states:::batch:submitJob.waitForTaskToken",
                "batch:submitJob.sync",
            ),
            (
                "arn:aws:states:::glue:startJobRun.wait",
                "integration patterns",
            ),
            ("arn:aws:states:::aws-sdk:s3:getObject.sync", "'.sync'"),
            ("arn:aws:states:::aws-sdk:S3:GetObject", "camelCase"),
            ("arn:aws:states:::aws-sdk:s3", "camelCase"),
            ("arn:aws:states:::s3:getObject", "ItemReader"),
            ("arn:aws:states:::foo", "not recognized"),
            (
                "arn:aws:lambda:us-east-1:123456789012:function:",
                "function:NAME",
            ),
            (
                "arn:aws:lambda:us-east-1:123456789012:function:a:b:c",
                "one qualifier",
            ),
            (
                "arn:aws:lambda:us-east-1:123456789012:function:${fn}",
                "function:NAME",
            ),
            (
                "arn:aws:lambda:us-east-1:123456789012:layer:x",
                "function:NAME",
            ),
            (
                "arn:aws:states:us-east-1:123456789012:activity:",
                "activity's name",
            ),
            (
                "arn:aws:states:us-east-1:123456789012:stateMachine:x",
                "activity",
            ),
        ] {
            let p = problem(bad, false).unwrap_or_else(|| panic!("{bad} is refused"));
            assert!(p.contains(says), "{bad}: {p}");
        }
    }
}
