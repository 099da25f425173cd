//! Third-party login (`loginWithAuthor`): the login's `third_token` is checked by the
//! business server (`third_party_auth.url`) before the user enters the room.
//!
//! The server POSTs signed JSON `{"event": "authenticate", appid, room_id, id_name,
//! nick_name, role, third_token, timestamp}`; a 2xx answer allows the login unless its JSON
//! says `"allow": false`; a 4xx refuses it (1000000017); anything else — 5xx, no answer
//! within `third_party_auth.timeout_ms`, a network error — fails it (1000000018).

use crate::config::apps::App;
use crate::config::ThirdPartyAuthConfig;
use crate::integrations::business::BusinessClient;
use crate::integrations::business::BusinessError;
use crate::metrics::Metrics;
use liveroom_proto::body::LoginReq;
use liveroom_proto::ErrCode;
use serde::Deserialize;
use std::time::Duration;

#[derive(Deserialize, Default)]
struct Answer {
    #[serde(default)]
    allow: Option<bool>,
    #[serde(default)]
    message: Option<String>,
}

fn answer_message(bytes: &[u8]) -> Option<String> {
    serde_json::from_slice::<Answer>(bytes)
        .ok()
        .and_then(|a| a.message)
        .filter(|m| !m.is_empty())
        .map(|m| m.chars().take(200).collect())
}

/// What a check needs: the `[third_party_auth]` settings, the client that posts, the counters,
/// and the time stamped on the request.
#[derive(Clone, Copy)]
pub struct Checker<'a> {
    pub cfg: &'a ThirdPartyAuthConfig,
    pub business: &'a BusinessClient,
    pub metrics: &'a Metrics,
    pub now_ms: u64,
}

/// Checks the login's third_token when the configuration asks for it; `Err` is the refusal
/// to send.
pub async fn check(
    with: Checker<'_>,
    app: &App,
    room_id: &str,
    req: &LoginReq,
) -> Result<(), (ErrCode, String)> {
    let Checker {
        cfg,
        business,
        metrics,
        now_ms,
    } = with;
    if cfg.url.is_empty() {
        // Not configured: the third token is carried but not checked.
        return Ok(());
    }
    if req.third_token.is_empty() {
        if cfg.required {
            metrics.auth_refused.inc();
            return Err((
                ErrCode::THIRD_PARTY_REFUSED,
                "this server requires loginWithAuthor (a third_token)".into(),
            ));
        }
        return Ok(());
    }
    let payload = serde_json::json!({
        "event": "authenticate",
        "appid": app.appid,
        "room_id": room_id,
        "id_name": req.id_name,
        "nick_name": req.nick_name,
        "role": req.role,
        "third_token": req.third_token,
        "timestamp": now_ms,
    });
    let body = serde_json::to_vec(&payload).unwrap_or_default();
    let answer = business
        .post_json(
            &cfg.url,
            body,
            &app.server_secret,
            Duration::from_millis(cfg.timeout_ms),
        )
        .await;
    match answer {
        Ok((status, bytes)) if (200..300).contains(&status) => {
            let a: Answer = serde_json::from_slice(&bytes).unwrap_or_default();
            if a.allow == Some(false) {
                metrics.auth_refused.inc();
                let why = answer_message(&bytes).unwrap_or_else(|| "third_token refused".into());
                return Err((ErrCode::THIRD_PARTY_REFUSED, why));
            }
            metrics.auth_allowed.inc();
            Ok(())
        }
        Ok((status, bytes)) if (400..500).contains(&status) => {
            metrics.auth_refused.inc();
            let why = answer_message(&bytes)
                .unwrap_or_else(|| format!("third_token refused (HTTP {status})"));
            Err((ErrCode::THIRD_PARTY_REFUSED, why))
        }
        Ok((status, _)) => {
            metrics.auth_failed.inc();
            tracing::warn!(url = %cfg.url, status, "third-party auth: business server error");
            Err((
                ErrCode::THIRD_PARTY_FAILED,
                BusinessError::Status(status).to_string(),
            ))
        }
        Err(e) => {
            metrics.auth_failed.inc();
            tracing::warn!(url = %cfg.url, error = %e, "third-party auth failed");
            Err((ErrCode::THIRD_PARTY_FAILED, e.to_string()))
        }
    }
}
