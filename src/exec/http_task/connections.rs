//! The connections file of the HTTP Task (`--connections FILE`): what an EventBridge
//! connection holds on AWS (`Authentication.ConnectionArn`), for local endpoints.
//!
//! The file is a JSON object from a connection ARN, or a connection's name (matching
//! any ARN `arn:aws:events:…:connection/NAME/…`), to the connection in the shape of
//! EventBridge's CreateConnection request:
//!
//! ```json
//! {"arn:aws:events:us-east-1:123456789012:connection/Orders/1a2b": {
//!    "AuthorizationType": "API_KEY",
//!    "AuthParameters": {
//!      "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "secret"},
//!      "InvocationHttpParameters": {"HeaderParameters": [{"Key": "x-tenant", "Value": "t1"}]}}}}
//! ```
//!
//! `BASIC` (`BasicAuthParameters`: Username, Password) sends `Authorization: Basic …`,
//! `API_KEY` the header `ApiKeyName: ApiKeyValue`, `OAUTH_CLIENT_CREDENTIALS`
//! (`OAuthParameters`: AuthorizationEndpoint, HttpMethod, ClientParameters {ClientID,
//! ClientSecret}, OAuthHttpParameters) asks the endpoint for a token with the client's
//! credentials (Basic) and sends `Authorization: Bearer <access_token>`, asking again
//! when `expires_in` has passed. `InvocationHttpParameters` (HeaderParameters,
//! QueryStringParameters, BodyParameters: `[{Key, Value}]`) are merged into every
//! request, the connection's values winning over the Task's.

use crate::error::{Error, Result};
use base64::Engine;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Key-value pairs, in order.
pub type Pairs = Vec<(String, String)>;

/// What a connection adds to a request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Added {
    pub headers: Pairs,
    pub query: Pairs,
    pub body: Pairs,
}

#[derive(Debug)]
enum Authorization {
    Basic { username: String, password: String },
    ApiKey { name: String, value: String },
    OAuth(OAuth),
}

#[derive(Debug)]
struct OAuth {
    endpoint: String,
    method: String,
    client_id: String,
    client_secret: String,
    params: Added,
    /// The token and when to ask for a new one.
    token: Mutex<Option<(String, Option<Instant>)>>,
}

#[derive(Debug)]
struct Connection {
    authorization: Authorization,
    invocation: Added,
}

/// The connections of a file, by ARN or name.
#[derive(Debug, Default)]
pub struct Connections {
    path: String,
    by_key: HashMap<String, Connection>,
}

/// A field of the file: Err names the place (`FILE: /pointer: what is wrong`).
struct Reader<'a> {
    path: &'a str,
}

impl Reader<'_> {
    fn bad(&self, ptr: &str, what: &str) -> Error {
        Error::Input(format!("{}: {ptr}: {what}", self.path))
    }

    fn object<'v>(&self, v: &'v Value, ptr: &str) -> Result<&'v Map<String, Value>> {
        v.as_object()
            .ok_or_else(|| self.bad(ptr, "must be a JSON object"))
    }

    fn string(&self, m: &Map<String, Value>, ptr: &str, field: &str) -> Result<String> {
        match m.get(field) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(_) => Err(self.bad(&format!("{ptr}/{field}"), "must be a non-empty string")),
            None => Err(self.bad(ptr, &format!("the field '{field}' is required"))),
        }
    }

    fn pairs(&self, m: Option<&Value>, ptr: &str, field: &str) -> Result<Pairs> {
        let Some(m) = m else { return Ok(Pairs::new()) };
        let ptr = format!("{ptr}/{field}");
        let Some(list) = m.get(field) else {
            return Ok(Pairs::new());
        };
        let list = list
            .as_array()
            .ok_or_else(|| self.bad(&ptr, "must be a list of {\"Key\", \"Value\"}"))?;
        list.iter()
            .enumerate()
            .map(|(i, p)| {
                let at = format!("{ptr}/{i}");
                let p = self.object(p, &at)?;
                let value = match p.get("Value") {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Null) | None => String::new(),
                    Some(other) => other.to_string(),
                };
                Ok((self.string(p, &at, "Key")?, value))
            })
            .collect()
    }

    fn added(&self, m: Option<&Value>, ptr: &str) -> Result<Added> {
        if let Some(v) = m {
            self.object(v, ptr)?;
        }
        Ok(Added {
            headers: self.pairs(m, ptr, "HeaderParameters")?,
            query: self.pairs(m, ptr, "QueryStringParameters")?,
            body: self.pairs(m, ptr, "BodyParameters")?,
        })
    }

    fn connection(&self, key: &str, v: &Value) -> Result<Connection> {
        let ptr = format!("/{}", key.replace('~', "~0").replace('/', "~1"));
        let m = self.object(v, &ptr)?;
        let kind = self.string(m, &ptr, "AuthorizationType")?;
        let params_ptr = format!("{ptr}/AuthParameters");
        let params = self.object(
            m.get("AuthParameters")
                .ok_or_else(|| self.bad(&ptr, "the field 'AuthParameters' is required"))?,
            &params_ptr,
        )?;
        let section = |name: &str| -> Result<(&Map<String, Value>, String)> {
            let at = format!("{params_ptr}/{name}");
            let v = params.get(name).ok_or_else(|| {
                self.bad(
                    &params_ptr,
                    &format!("AuthorizationType {kind} needs the field '{name}'"),
                )
            })?;
            Ok((self.object(v, &at)?, at))
        };
        let authorization = match kind.as_str() {
            "BASIC" => {
                let (s, at) = section("BasicAuthParameters")?;
                Authorization::Basic {
                    username: self.string(s, &at, "Username")?,
                    password: self.string(s, &at, "Password")?,
                }
            }
            "API_KEY" => {
                let (s, at) = section("ApiKeyAuthParameters")?;
                Authorization::ApiKey {
                    name: self.string(s, &at, "ApiKeyName")?,
                    value: self.string(s, &at, "ApiKeyValue")?,
                }
            }
            "OAUTH_CLIENT_CREDENTIALS" => {
                let (s, at) = section("OAuthParameters")?;
                let client_at = format!("{at}/ClientParameters");
                let client = self.object(
                    s.get("ClientParameters")
                        .ok_or_else(|| self.bad(&at, "the field 'ClientParameters' is required"))?,
                    &client_at,
                )?;
                let method = self.string(s, &at, "HttpMethod")?;
                if !["GET", "POST", "PUT"].contains(&method.as_str()) {
                    return Err(self.bad(
                        &format!("{at}/HttpMethod"),
                        &format!("must be GET, POST or PUT, got '{method}'"),
                    ));
                }
                Authorization::OAuth(OAuth {
                    endpoint: self.string(s, &at, "AuthorizationEndpoint")?,
                    method,
                    client_id: self.string(client, &client_at, "ClientID")?,
                    client_secret: self.string(client, &client_at, "ClientSecret")?,
                    params: self.added(
                        s.get("OAuthHttpParameters"),
                        &format!("{at}/OAuthHttpParameters"),
                    )?,
                    token: Mutex::new(None),
                })
            }
            other => {
                return Err(self.bad(
                    &format!("{ptr}/AuthorizationType"),
                    &format!("must be BASIC, API_KEY or OAUTH_CLIENT_CREDENTIALS, got '{other}'"),
                ));
            }
        };
        Ok(Connection {
            authorization,
            invocation: self.added(
                params.get("InvocationHttpParameters"),
                &format!("{params_ptr}/InvocationHttpParameters"),
            )?,
        })
    }
}

/// The name in `arn:aws:events:REGION:ACCOUNT:connection/NAME/ID`.
pub fn connection_name(arn: &str) -> Option<&str> {
    let (_, rest) = arn.split_once(":connection/")?;
    Some(rest.split('/').next().unwrap_or(rest))
}

impl Connections {
    pub fn load(path: &str) -> Result<Connections> {
        Self::from_value(path, &crate::error::read_json_file(path)?)
    }

    /// `path` names the file in messages.
    pub fn from_value(path: &str, v: &Value) -> Result<Connections> {
        let r = Reader { path };
        let m = v.as_object().ok_or_else(|| {
            r.bad(
                "",
                "a connections file is a JSON object from a connection ARN or name to its AuthorizationType and AuthParameters",
            )
        })?;
        let by_key = m
            .iter()
            .map(|(k, c)| Ok((k.clone(), r.connection(k, c)?)))
            .collect::<Result<_>>()?;
        Ok(Connections {
            path: path.to_string(),
            by_key,
        })
    }

    /// What the connection `arn` adds to a request; Err is the cause of the Task's
    /// failure (an unknown connection, a token endpoint that refuses).
    pub fn added(&self, arn: &str, agent: &ureq::Agent) -> std::result::Result<Added, String> {
        let c = self
            .by_key
            .get(arn)
            .or_else(|| connection_name(arn).and_then(|n| self.by_key.get(n)))
            .ok_or_else(|| {
                format!(
                    "The connection '{arn}' is not in the connections file {} (give it by ARN or by name)",
                    self.path
                )
            })?;
        let mut added = c.invocation.clone();
        let authorization = match &c.authorization {
            Authorization::Basic { username, password } => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
            )),
            Authorization::ApiKey { name, value } => {
                added.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
                added.headers.push((name.clone(), value.clone()));
                None
            }
            Authorization::OAuth(o) => Some(format!("Bearer {}", o.token(agent)?)),
        };
        if let Some(a) = authorization {
            added
                .headers
                .retain(|(k, _)| !k.eq_ignore_ascii_case("authorization"));
            added.headers.push(("Authorization".into(), a));
        }
        Ok(added)
    }
}

impl OAuth {
    fn token(&self, agent: &ureq::Agent) -> std::result::Result<String, String> {
        let mut held = self.token.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((t, until)) = &*held
            && until.is_none_or(|u| Instant::now() < u)
        {
            return Ok(t.clone());
        }
        let fail = |what: String| format!("The OAuth endpoint {} {what}", self.endpoint);
        let mut url = self.endpoint.clone();
        if !self.params.query.is_empty() {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&super::form::join(&self.params.query));
        }
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", self.client_id, self.client_secret));
        let body = super::form::join(&self.params.body);
        let request = match self.method.as_str() {
            "GET" => agent.get(&url).force_send_body(),
            "PUT" => agent.put(&url),
            _ => agent.post(&url),
        };
        let mut request = request
            .header("Authorization", &format!("Basic {basic}"))
            .header("Content-Type", "application/x-www-form-urlencoded");
        for (k, v) in &self.params.headers {
            request = request.header(k, v);
        }
        let mut response = request
            .send(body.as_bytes())
            .map_err(|e| fail(format!("could not be reached: {e}")))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| fail(format!("sent an unreadable answer: {e}")))?;
        if !(200..300).contains(&status) {
            return Err(fail(format!("answered {status}: {text}")));
        }
        let v: Value = serde_json::from_str(&text)
            .map_err(|_| fail(format!("answered without JSON: {text}")))?;
        let token = v["access_token"]
            .as_str()
            .ok_or_else(|| fail(format!("answered without an access_token: {text}")))?
            .to_string();
        // Ask again a little before the token expires.
        let until = v["expires_in"]
            .as_u64()
            .map(|s| Instant::now() + Duration::from_secs(s.saturating_sub(5)));
        *held = Some((token.clone(), until));
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn api_key_and_basic_connections_add_their_headers() {
        let c = Connections::from_value(
            "c.json",
            &json!({
                "arn:aws:events:us-east-1:123456789012:connection/Key/1": {
                    "AuthorizationType": "API_KEY",
                    "AuthParameters": {
                        "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "s3cret"},
                        "InvocationHttpParameters": {
                            "HeaderParameters": [{"Key": "x-tenant", "Value": "t1"}],
                            "QueryStringParameters": [{"Key": "v", "Value": "2"}]}}},
                "Basic": {
                    "AuthorizationType": "BASIC",
                    "AuthParameters": {"BasicAuthParameters": {"Username": "ada", "Password": "pw"}}}
            }),
        )
        .unwrap();
        let agent = ureq::Agent::new_with_defaults();
        let a = c
            .added(
                "arn:aws:events:us-east-1:123456789012:connection/Key/1",
                &agent,
            )
            .unwrap();
        assert_eq!(
            a.headers,
            vec![
                ("x-tenant".into(), "t1".into()),
                ("x-api-key".into(), "s3cret".into())
            ]
        );
        assert_eq!(a.query, vec![("v".into(), "2".into())]);
        // By name, for any ARN of that connection.
        let b = c
            .added(
                "arn:aws:events:eu-west-1:111111111111:connection/Basic/abc",
                &agent,
            )
            .unwrap();
        assert_eq!(
            b.headers,
            vec![("Authorization".into(), "Basic YWRhOnB3".into())]
        );
        let missing = c
            .added("arn:aws:events:us-east-1:1:connection/Other/1", &agent)
            .unwrap_err();
        assert!(
            missing.contains("is not in the connections file c.json"),
            "{missing}"
        );
    }

    #[test]
    fn a_bad_file_is_refused_with_the_place() {
        let e = Connections::from_value(
            "c.json",
            &json!({"Mine": {"AuthorizationType": "API_KEY", "AuthParameters": {
                "ApiKeyAuthParameters": {"ApiKeyName": "k"}}}}),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("c.json: /Mine/AuthParameters/ApiKeyAuthParameters: the field 'ApiKeyValue' is required"),
            "{e}"
        );
        let e = Connections::from_value(
            "c.json",
            &json!({"Mine": {"AuthorizationType": "DIGEST", "AuthParameters": {}}}),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("/Mine/AuthorizationType: must be BASIC"), "{e}");
    }
}
