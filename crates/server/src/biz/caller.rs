//! Who sent a `biz_channel` command, and how a module refuses one.

use liveroom_proto::ErrCode;

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
