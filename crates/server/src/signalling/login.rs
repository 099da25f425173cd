//! A room login, step by step (docs/protocol.md §3): the request's fields, the app and its
//! login limit, the token and what it grants, the third-party check, the user's claim (a login
//! of the same user in another room is kicked out), and entering the room. `Session::login`
//! strings the steps together and answers; each step here says why it refuses.

use crate::config::apps::App;
use crate::integrations::third_party_auth;
use crate::rooms::commands::{Claim, RoomCmd, RoomKey};
use crate::rooms::member_queue::SessionOutbox;
use crate::rooms::registry::Hub;
use crate::signalling::rate_limits::{LoginScope, Take};
use crate::signalling::token::{self, Grant};
use crate::AppState;
use liveroom_proto::body::{LoginReq, LoginRsp};
use liveroom_proto::errors::kick_reason;
use liveroom_proto::limits::{check_id, MAX_TOKEN_BYTES};
use liveroom_proto::ErrCode;
use liveroom_room::LoginInput;
use std::net::SocketAddr;
use tokio::sync::mpsc;

/// Why a login step said no.
#[derive(Debug)]
pub enum Refused {
    /// Over a login rate limit: answered 1002 with when to retry.
    Limited {
        /// Whose limit.
        scope: LoginScope,
        /// When a retry may pass.
        retry_ms: u64,
    },
    /// Any other refusal: its code and detail go to the client.
    Error(ErrCode, String),
}

/// A login whose app, token and third-party check passed.
pub struct Admitted {
    /// The app logged into.
    pub app: App,
    /// What the token grants.
    pub grant: Grant,
    /// The room asked for.
    pub room_key: RoomKey,
}

/// The room id a login names: the header's, else the body's `room_name` (the original SDK
/// sends both; older ones only the body).
pub fn room_id_of(header_room_id: &str, req: &LoginReq) -> String {
    if header_room_id.is_empty() {
        req.room_name.clone()
    } else {
        header_room_id.to_string()
    }
}

/// The login's own fields: ids without control characters, sizes, role.
pub fn check_fields(req: &LoginReq, room_id: &str) -> Result<(), String> {
    check_id("id_name", &req.id_name, 1)?;
    check_id("nick_name", &req.nick_name, 0)?;
    check_id("room id", room_id, 1)?;
    let sized = |what: &str, v: &str, min: usize, max: usize| {
        if v.len() < min || v.len() > max {
            Err(format!("{what} must be {min} to {max} bytes"))
        } else {
            Ok(())
        }
    };
    sized("token", &req.token, 1, MAX_TOKEN_BYTES)?;
    sized("third_token", &req.third_token, 0, MAX_TOKEN_BYTES)?;
    if !matches!(req.role, 1 | 2) {
        return Err(format!(
            "role must be 1 (anchor) or 2 (audience), not {}",
            req.role
        ));
    }
    Ok(())
}

/// The app, its login limit, the token (bound to the room when it names one) and the
/// third-party check, in that order: the cheap refusals first.
pub async fn authenticate(
    state: &AppState,
    peer: SocketAddr,
    appid: u64,
    room_id: &str,
    req: &LoginReq,
) -> Result<Admitted, Refused> {
    let Some(app) = state.apps.get(appid) else {
        tracing::info!(%peer, appid, "login for unknown appid");
        return Err(Refused::Error(
            ErrCode::TOKEN,
            format!("unknown appid {appid}"),
        ));
    };
    let now = state.hub.clock.now();
    if let Take::Limited { retry_ms } = state.login_limits.app(app.appid, now.mono_ms) {
        return Err(Refused::Limited {
            scope: LoginScope::App,
            retry_ms,
        });
    }
    let grant = token::verify(
        &req.token,
        app.appid,
        &app.app_sign,
        &app.server_secret,
        &req.id_name,
        token::V1Policy::of(&state.config.tokens),
        now.unix_ms / 1000,
    )
    .map_err(|e| {
        tracing::info!(%peer, appid = app.appid, user = %req.id_name, error = %e, "login token refused");
        Refused::Error(ErrCode::TOKEN, e.to_string())
    })?;
    if grant.room_id.as_ref().is_some_and(|r| r != room_id) {
        return Err(Refused::Error(
            ErrCode::TOKEN,
            "token is for another room".into(),
        ));
    }
    let checker = third_party_auth::Checker {
        cfg: &state.config.third_party_auth,
        business: &state.business,
        metrics: &state.hub.metrics,
        now_ms: now.unix_ms,
    };
    if let Err((code, detail)) = third_party_auth::check(checker, &app, room_id, req).await {
        tracing::info!(%peer, appid = app.appid, room = %room_id, user = %req.id_name, code = code.0, detail = %detail, "third-party login refused");
        return Err(Refused::Error(code, detail));
    }
    let room_key = RoomKey {
        appid: app.appid,
        room_id: room_id.to_string(),
    };
    Ok(Admitted {
        app,
        grant,
        room_key,
    })
}

/// Makes this login the user's one login of the app; a login of it in another room is kicked
/// out with `DUPLICATE_LOGIN` (one in the same room is replaced by the room itself).
pub async fn claim_user(hub: &Hub, appid: u64, id_name: &str, claim: Claim) {
    let room = claim.room.clone();
    let Some(prev) = hub.claim(appid, id_name, claim) else {
        return;
    };
    if prev.room == room {
        return;
    }
    if let Some(tx) = hub.room(&prev.room) {
        let _ = tx
            .send(RoomCmd::Kick {
                id_name: id_name.to_string(),
                key: Some(prev.key),
                reason: kick_reason::DUPLICATE_LOGIN,
            })
            .await;
    }
}

/// Hands the login to its room on this node, creating the room when `create`
/// ([`Hub::enter_room`]: a room that was retiring as the login reached it is tried again).
pub async fn enter_room(
    hub: &std::sync::Arc<Hub>,
    room_key: &RoomKey,
    create: bool,
    user_state_updates: bool,
    input: impl Fn() -> LoginInput<SessionOutbox>,
) -> Result<(mpsc::Sender<RoomCmd>, LoginRsp), (ErrCode, String)> {
    hub.enter_room(room_key, create, user_state_updates, input)
        .await
}
