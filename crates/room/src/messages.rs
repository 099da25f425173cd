//! Custom commands, room chat, join-live signals and big-room messages.

use crate::{push_to_named, Now, Outbox, Push, Refusal, Reply, Room};
use liveroom_proto::body::{
    self, BigImAck, BigImData, BigImMerge, BigImReq, BigImRsp, ChatData, CustomMsgEnvelope,
    CustomMsgReq, ImChatReq, ImChatRsp, MergeMessage, PushCustomMsg, PushImChat, PushMergeMessage,
    PushSignal, SignalMsg, SignalReq, MERGE_SUB_CMD_BIGIM,
};
use liveroom_proto::limits::*;
use liveroom_proto::ErrCode;

/// Chat counters and the big-room batch of the current window.
#[derive(Default)]
pub struct Chat {
    /// Rises per room chat message (`im_chat`).
    msg_id: u64,
    /// Rises per big-room message.
    bigmsg_id: u64,
    bigim_pending: Vec<BigImData>,
    /// When the pending batch is sent (monotonic ms).
    bigim_flush_mono: Option<u64>,
}

impl Chat {
    /// The last room chat message id given.
    pub fn msg_id(&self) -> u64 {
        self.msg_id
    }

    /// Continues the ids of a room handed over (never back).
    pub fn continue_from(&mut self, msg_id: u64) {
        self.msg_id = self.msg_id.max(msg_id);
    }

    pub fn flush_due(&self) -> Option<u64> {
        self.bigim_flush_mono
    }
}

fn check_dest(dest: &[String]) -> Result<(), Refusal> {
    if dest.is_empty() {
        return Err(Refusal::new(
            ErrCode::BAD_BODY,
            "dest_id_name is empty (broadcast is not allowed)",
        ));
    }
    if dest.len() > MAX_DEST_IDS {
        return Err(Refusal::new(
            ErrCode::BAD_BODY,
            format!("dest_id_name names more than {MAX_DEST_IDS} users"),
        ));
    }
    Ok(())
}

fn too_long(what: &str, max: usize) -> Refusal {
    Refusal::new(
        ErrCode::CONTENT_TOO_LONG,
        format!("{what} is over {max} bytes"),
    )
}

impl<H: Outbox> Room<H> {
    pub(crate) fn custom_msg(&mut self, key: u64, req: CustomMsgReq) -> Reply {
        check_dest(&req.dest_id_name)?;
        if req.custom_msg.len() > CUSTOM_MSG_MAX_BYTES {
            return Err(too_long("custom_msg", CUSTOM_MSG_MAX_BYTES));
        }
        let env: CustomMsgEnvelope = serde_json::from_str(&req.custom_msg)
            .map_err(|e| Refusal::new(ErrCode::BAD_BODY, format!("custom_msg: {e}")))?;
        let content_len = match &env.custom_content {
            serde_json::Value::String(s) => s.len(),
            other => other.to_string().len(),
        };
        if content_len > CUSTOM_CONTENT_MAX_BYTES {
            return Err(too_long("custom_content", CUSTOM_CONTENT_MAX_BYTES));
        }
        let m = self.member_or_refuse(key)?;
        if env.from_userid != m.id_name {
            return Err(Refusal::new(
                ErrCode::BAD_BODY,
                "from_userid is not the sender",
            ));
        }
        let push = Push::new(
            "push_custommsg",
            m.user_id.to_string(),
            &PushCustomMsg {
                custommsg: req.custom_msg,
            },
        );
        if push_to_named(&self.members, &req.dest_id_name, &push) == 0 {
            return Err(Refusal::new(
                ErrCode::USER_NOT_IN_ROOM,
                req.dest_id_name.join(","),
            ));
        }
        Ok(body::ok_body(body::Empty {}))
    }

    pub(crate) fn im_chat(&mut self, now: Now, key: u64, req: ImChatReq) -> Reply {
        if req.msg_content.len() > CHAT_CONTENT_MAX_BYTES {
            return Err(too_long("msg_content", CHAT_CONTENT_MAX_BYTES));
        }
        self.member_or_refuse(key)?;
        self.chat.msg_id += 1;
        let msg_id = self.chat.msg_id;
        let m = self.member_or_refuse(key)?;
        let push = Push::new(
            "push_im_chat",
            m.user_id.to_string(),
            &PushImChat {
                chat_data: vec![ChatData {
                    id_name: m.id_name.clone(),
                    nick_name: m.nick_name.clone(),
                    role: m.role,
                    msg_id,
                    msg_category: req.msg_category,
                    msg_type: req.msg_type,
                    msg_content: req.msg_content,
                    send_time: now.unix_ms,
                }],
                server_msg_id: msg_id,
                ret_msg_id: msg_id,
            },
        );
        self.members
            .for_each_connected(Some(key), |h| h.push(&push));
        Ok(body::ok_body(ImChatRsp { msg_id }))
    }

    /// A room chat message from the server itself (an administrator's system message).
    pub fn system_chat(&mut self, now: Now, category: u32, msg_type: u32, content: String) -> u64 {
        self.chat.msg_id += 1;
        let msg_id = self.chat.msg_id;
        let push = Push::new(
            "push_im_chat",
            String::new(),
            &PushImChat {
                chat_data: vec![ChatData {
                    id_name: String::new(),
                    nick_name: String::new(),
                    role: 0,
                    msg_id,
                    msg_category: category,
                    msg_type,
                    msg_content: content,
                    send_time: now.unix_ms,
                }],
                server_msg_id: msg_id,
                ret_msg_id: msg_id,
            },
        );
        self.members.for_each_connected(None, |h| h.push(&push));
        msg_id
    }

    pub(crate) fn signal(&mut self, key: u64, req: SignalReq) -> Reply {
        use body::signal_cmd::*;
        if !(REQUEST..=END).contains(&req.sub_cmd) {
            return Err(Refusal::new(
                ErrCode::BAD_BODY,
                format!("sub_cmd {} is not 1001 to 1004", req.sub_cmd),
            ));
        }
        check_dest(&req.dest_id_name)?;
        if req.signal_msg.len() > SIGNAL_MSG_MAX_BYTES {
            return Err(too_long("signal_msg", SIGNAL_MSG_MAX_BYTES));
        }
        let msg: SignalMsg = serde_json::from_str(&req.signal_msg)
            .map_err(|e| Refusal::new(ErrCode::BAD_BODY, format!("signal_msg: {e}")))?;
        let m = self.member_or_refuse(key)?;
        if msg.from_userid != m.id_name {
            return Err(Refusal::new(
                ErrCode::BAD_BODY,
                "from_userid is not the sender",
            ));
        }
        let push = Push::new(
            "push_signal",
            m.user_id.to_string(),
            &PushSignal {
                sub_cmd: req.sub_cmd + PUSH_OFFSET,
                signal_msg: req.signal_msg,
            },
        );
        if push_to_named(&self.members, &req.dest_id_name, &push) == 0 {
            return Err(Refusal::new(
                ErrCode::USER_NOT_IN_ROOM,
                req.dest_id_name.join(","),
            ));
        }
        Ok(body::ok_body(body::Empty {}))
    }

    pub(crate) fn bigim(&mut self, now: Now, key: u64, req: BigImReq) -> Reply {
        if req.msgs.is_empty() || req.msgs.len() > BIGIM_MSGS_PER_REQUEST {
            return Err(Refusal::new(
                ErrCode::BAD_BODY,
                format!("msgs must hold 1 to {BIGIM_MSGS_PER_REQUEST} messages"),
            ));
        }
        if req
            .msgs
            .iter()
            .any(|m| m.msg_content.len() > CHAT_CONTENT_MAX_BYTES)
        {
            return Err(too_long("msg_content", CHAT_CONTENT_MAX_BYTES));
        }
        if self.chat.bigim_pending.len() + req.msgs.len() > BIGIM_MSGS_PER_WINDOW {
            return Err(Refusal::new(
                ErrCode::RATE_LIMITED,
                format!("room has {BIGIM_MSGS_PER_WINDOW} big-room messages in this window"),
            ));
        }
        let m = self.member_or_refuse(key)?;
        let (id_name, nick_name) = (m.id_name.clone(), m.nick_name.clone());
        let mut acks = Vec::with_capacity(req.msgs.len());
        for msg in req.msgs {
            self.chat.bigmsg_id += 1;
            let bigmsg_id = self.chat.bigmsg_id.to_string();
            acks.push(BigImAck {
                bigmsg_client_id: msg.bigmsg_client_id,
                bigmsg_id: bigmsg_id.clone(),
            });
            self.chat.bigim_pending.push(BigImData {
                id_name: id_name.clone(),
                nick_name: nick_name.clone(),
                bigmsg_id,
                msg_category: msg.msg_category,
                msg_type: msg.msg_type,
                msg_content: msg.msg_content,
                send_time: now.unix_ms,
            });
        }
        let window = self.settings.bigim_time_window_ms as u64;
        if self.chat.bigim_flush_mono.is_none() {
            // The batch goes out at the end of the current window (server time), so every
            // client's messages of one window arrive in one push.
            let wait = if window == 0 {
                0
            } else {
                window - now.unix_ms % window
            };
            self.chat.bigim_flush_mono = Some(now.mono_ms + wait);
        }
        if window == 0 {
            self.flush_bigim(now);
        }
        Ok(body::ok_body(BigImRsp {
            bigim_time_window: self.settings.bigim_time_window_ms,
            msgs: acks,
        }))
    }

    /// Sends the window's big-room messages: the same merged pushes to everyone (senders
    /// drop their own), lossy for sessions that fall behind.
    pub(crate) fn flush_bigim(&mut self, _now: Now) {
        self.chat.bigim_flush_mono = None;
        let pending = std::mem::take(&mut self.chat.bigim_pending);
        for chunk in pending.chunks(BIGIM_MSGS_PER_PUSH) {
            let merged = BigImMerge {
                room_id: self.id.clone(),
                msg_data: chunk.to_vec(),
            };
            let push = Push::new(
                "push_merge_message",
                String::new(),
                &PushMergeMessage {
                    messages: vec![MergeMessage {
                        sub_cmd: MERGE_SUB_CMD_BIGIM,
                        msg_body: serde_json::to_string(&merged).unwrap_or_default(),
                    }],
                },
            );
            self.members
                .for_each_connected(None, |h| h.push_lossy(&push));
        }
    }
}
