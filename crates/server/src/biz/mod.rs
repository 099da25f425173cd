//! `biz_channel` (notes §8): business commands for server modules, routed by channel and
//! cmd — mixing on `zeus`, relay to external RTMP on `media`. Each runs in its own task and
//! answers `{err_code, cmd, rsp_body}`, `rsp_body` being the module's JSON answer as a string.
//!
//! `caller.rs` (who asks, how a refusal reads), `mix_plan.rs` (a mix request parsed and checked,
//! pure), `mix.rs` (running mixes), `rtmp_push.rs` (pushing a stream to an RTMP URL). Imports
//! rooms, live, config; signalling calls in.

pub mod caller;
pub mod mix;
pub mod mix_plan;
pub mod rtmp_push;

use crate::biz::caller::{BizCaller, BizError};
use crate::AppState;
use liveroom_proto::ErrCode;
use std::sync::Arc;

/// Runs one command; Ok is the `rsp_body` string.
pub async fn handle(
    state: Arc<AppState>,
    caller: BizCaller,
    channel: &str,
    cmd: &str,
    req_body: &str,
) -> Result<String, BizError> {
    match (channel, cmd) {
        ("zeus", "start_mix") => crate::biz::mix::start_mix(&state.mixes, &caller, req_body).await,
        ("zeus", "stop_mix") => crate::biz::mix::stop_mix(&state.mixes, &caller, req_body).await,
        ("media", _) => crate::biz::rtmp_push::handle(&state, &caller, cmd, req_body).await,
        _ => Err(BizError::new(
            ErrCode::BIZ_INVALID_CHANNEL,
            format!("no channel {channel:?} with cmd {cmd:?}"),
        )),
    }
}
