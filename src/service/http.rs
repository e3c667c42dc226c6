//! The HTTP side: AWS JSON 1.0 over `POST /`, `X-Amz-Target: AWSStepFunctions.<Op>`.

use super::error::ApiError;
use super::{Service, api};
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// AWS's request size limit (1 MB per request), plus room for headers.
const MAX_BODY: usize = 1024 * 1024 + 64 * 1024;

/// Binds the listening socket (before recovery, so that a taken port fails at once).
pub async fn bind(listen: &str) -> Result<tokio::net::TcpListener, String> {
    tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))
}

/// Answers requests on `listener` until Ctrl-C (and serves the console at `/`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    service: Arc<Service>,
    console: bool,
) -> Result<(), String> {
    let api = Router::new()
        .fallback(handle)
        // The handler reads the body itself, to answer an oversized one in AWS's shape.
        .layer(DefaultBodyLimit::disable())
        .with_state(Arc::clone(&service));
    let app = if console {
        super::console::routes(service, api)
    } else {
        api
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| format!("server: {e}"))
}

async fn handle(
    State(service): State<Arc<Service>>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        let e = ApiError::too_large();
        let json =
            serde_json::json!({"__type": "RequestEntityTooLargeException", "message": e.message});
        return (
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            [("content-type", "application/x-amz-json-1.0")],
            json.to_string(),
        )
            .into_response();
    };
    if let Some(keys) = &service.auth
        && let Err((status, code, message)) = super::auth::verify(
            keys,
            method.as_str(),
            uri.path(),
            uri.query().unwrap_or(""),
            &headers,
            &body,
        )
    {
        if service.log_requests {
            eprintln!("asl serve: refused: {code}: {message}");
        }
        let body = serde_json::json!({"__type": code, "message": message});
        return (
            status,
            [("content-type", "application/x-amz-json-1.0")],
            body.to_string(),
        )
            .into_response();
    }
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let log = service.log_requests;
    let op = target
        .strip_prefix("AWSStepFunctions.")
        .unwrap_or("")
        .to_string();
    let answer = api::handle(service, &op, body).await;
    if log {
        match &answer {
            Ok(_) => eprintln!("asl serve: {op} 200"),
            Err(e) => eprintln!("asl serve: {op} {}: {}", e.code_name(), e.message),
        }
    }
    match answer {
        Ok(v) => (
            [("content-type", "application/x-amz-json-1.0")],
            v.to_string(),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}
