//! `biz_channel` (notes §8): business commands for server modules, routed by channel and
//! cmd — mixing on `zeus`, relay to external RTMP on `media`. Each runs in its own task and
//! answers `{err_code, cmd, rsp_body}`, `rsp_body` being the module's JSON answer as a string.

pub mod mix;
pub mod rtmp_push;

use crate::AppState;
use liveroom_proto::ErrCode;
use std::sync::Arc;

/// Who sent a `biz_channel` command, from the connection's login.
#[derive(Debug, Clone)]
pub struct BizCaller {
    pub appid: u64,
    pub room_id: String,
    pub id_name: String,
    pub nick_name: String,
}

/// A refused command: its code, a message for the log and `err_message`, and the module's
/// answer body (may be empty).
#[derive(Debug, Clone, PartialEq)]
pub struct BizError {
    pub code: ErrCode,
    pub message: String,
    pub rsp_body: String,
}

impl BizError {
    pub fn new(code: ErrCode, message: impl Into<String>) -> BizError {
        BizError {
            code,
            message: message.into(),
            rsp_body: String::new(),
        }
    }
}

/// Runs one command; Ok is the `rsp_body` string.
pub async fn handle(
    state: Arc<AppState>,
    caller: BizCaller,
    channel: &str,
    cmd: &str,
    req_body: &str,
) -> Result<String, BizError> {
    match (channel, cmd) {
        ("zeus", "start_mix") => crate::biz::mix::start_mix(&state, &caller, req_body).await,
        ("zeus", "stop_mix") => crate::biz::mix::stop_mix(&state, &caller, req_body).await,
        ("media", _) => crate::biz::rtmp_push::handle(&state, &caller, cmd, req_body).await,
        _ => Err(BizError::new(
            ErrCode::BIZ_INVALID_CHANNEL,
            format!("no channel {channel:?} with cmd {cmd:?}"),
        )),
    }
}
