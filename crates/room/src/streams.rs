//! The room's streams and `stream_seq`, which rises by one per stream changed, so a client
//! applies a push only when `local_seq + stream_info.len() == stream_seq` (notes §7.7).

use crate::{Now, Outbox, Push, Refusal, Reply, Room, RoomEvent};
use liveroom_proto::body::{self, stream_cmd, StreamInfo, StreamMsg, StreamReq};
use liveroom_proto::limits::{EXTRA_INFO_MAX_BYTES, STREAMS_PER_ROOM, STREAMS_PER_USER};
use liveroom_proto::ErrCode;

#[derive(Default)]
pub struct Streams {
    /// In publishing order.
    list: Vec<StreamInfo>,
    pub seq: u32,
}

impl Streams {
    pub fn list(&self) -> Vec<StreamInfo> {
        self.list.clone()
    }

    /// Takes the streams of `id_name` out; the caller bumps `seq` as it announces each.
    pub fn remove_owned_by(&mut self, id_name: &str) -> Vec<StreamInfo> {
        let (gone, kept) = std::mem::take(&mut self.list)
            .into_iter()
            .partition(|s| s.anchor_id_name == id_name);
        self.list = kept;
        gone
    }

    fn find(&self, stream_id: &str) -> Option<usize> {
        self.list.iter().position(|s| s.stream_id == stream_id)
    }
}

impl<H: Outbox> Room<H> {
    pub(crate) fn stream_cmd(&mut self, now: Now, key: u64, req: StreamReq) -> Reply {
        let msg: StreamMsg = serde_json::from_str(&req.stream_msg)
            .map_err(|e| Refusal::new(ErrCode::BAD_BODY, format!("stream_msg: {e}")))?;
        liveroom_proto::limits::check_id("stream_id", &msg.stream_id, 1)
            .map_err(|e| Refusal::new(ErrCode::BAD_BODY, e))?;
        if msg.extra_info.len() > EXTRA_INFO_MAX_BYTES {
            return Err(Refusal::new(
                ErrCode::CONTENT_TOO_LONG,
                format!("extra_info is over {EXTRA_INFO_MAX_BYTES} bytes"),
            ));
        }
        let m = self.member_or_refuse(key)?;
        let (id_name, nick_name, user_id, can_publish) = (
            m.id_name.clone(),
            m.nick_name.clone(),
            m.user_id.to_string(),
            m.can_publish,
        );
        let found = self.streams.find(&msg.stream_id);
        if let Some(i) = found {
            if self.streams.list[i].anchor_id_name != id_name {
                return Err(Refusal::new(ErrCode::STREAM_OWNED_BY_OTHER, msg.stream_id));
            }
        }
        match (req.sub_cmd, found) {
            (stream_cmd::LIVE_BEGIN, None) => {
                if !can_publish {
                    return Err(Refusal::new(
                        ErrCode::NO_PRIVILEGE,
                        "token does not allow publishing",
                    ));
                }
                let own = self
                    .streams
                    .list
                    .iter()
                    .filter(|s| s.anchor_id_name == id_name)
                    .count();
                if own >= STREAMS_PER_USER || self.streams.list.len() >= STREAMS_PER_ROOM {
                    return Err(Refusal::new(
                        ErrCode::TOO_MANY_STREAMS,
                        format!(
                            "at most {STREAMS_PER_USER} per user and {STREAMS_PER_ROOM} per room"
                        ),
                    ));
                }
                let mut s = StreamInfo {
                    stream_gid: format!("{}/{}", self.id, msg.stream_id),
                    stream_id: msg.stream_id,
                    anchor_id_name: id_name.clone(),
                    anchor_nick_name: nick_name,
                    extra_info: msg.extra_info,
                    ..Default::default()
                };
                if let Some(u) = &self.settings.live_urls {
                    u.fill(&mut s, now.unix_ms / 1000);
                }
                self.streams.list.push(s.clone());
                self.streams.seq += 1;
                self.events.push(RoomEvent::StreamAdded {
                    stream_id: s.stream_id.clone(),
                    id_name,
                });
                self.push_stream_update(stream_cmd::PUSH_ADDED, s.clone(), Some(key), &user_id);
                Ok(self.stream_reply(s))
            }
            // A repeated liveBegin (the SDK re-sends it from the heartbeat until acknowledged)
            // is idempotent; a changed extra_info in it counts as an update.
            (stream_cmd::LIVE_BEGIN, Some(i)) | (stream_cmd::EXTRA_INFO, Some(i)) => {
                self.sign_urls(i, now);
                if self.streams.list[i].extra_info != msg.extra_info {
                    self.streams.list[i].extra_info = msg.extra_info;
                    self.streams.seq += 1;
                    let s = self.streams.list[i].clone();
                    self.push_stream_update(stream_cmd::PUSH_UPDATED, s, Some(key), &user_id);
                }
                Ok(self.stream_reply(self.streams.list[i].clone()))
            }
            (stream_cmd::LIVE_END, Some(i)) => {
                let s = self.streams.list.remove(i);
                self.streams.seq += 1;
                self.events.push(RoomEvent::StreamRemoved {
                    stream_id: s.stream_id.clone(),
                    id_name,
                });
                self.push_stream_update(stream_cmd::PUSH_DELETED, s.clone(), Some(key), &user_id);
                Ok(self.stream_reply(s))
            }
            (stream_cmd::LIVE_END | stream_cmd::EXTRA_INFO, None) => {
                Err(Refusal::new(ErrCode::STREAM_NOT_FOUND, msg.stream_id))
            }
            (other, _) => Err(Refusal::new(
                ErrCode::BAD_BODY,
                format!("sub_cmd {other} is not 2001, 2002 or 2003"),
            )),
        }
    }

    /// Sets the RTMP URLs a stream is relayed to (`urls_rtmp`); a change is announced to
    /// everyone as a stream update. False if the room has no such stream.
    pub fn set_rtmp_urls(&mut self, stream_id: &str, urls: Vec<String>) -> bool {
        let Some(i) = self.streams.find(stream_id) else {
            return false;
        };
        if self.streams.list[i].urls_rtmp != urls {
            self.streams.list[i].urls_rtmp = urls;
            self.streams.seq += 1;
            let s = self.streams.list[i].clone();
            let from = self
                .members
                .by_id_name(&s.anchor_id_name)
                .map(|m| m.user_id.to_string())
                .unwrap_or_default();
            self.push_stream_update(stream_cmd::PUSH_UPDATED, s, None, &from);
        }
        true
    }

    /// The stream list as answered (login reply, `stream_info`): every stream's live URLs
    /// signed afresh as of `now` (signed URLs expire; a list fetched later carries new ones).
    pub(crate) fn signed_stream_list(&mut self, now: Now) -> Vec<StreamInfo> {
        for i in 0..self.streams.list.len() {
            self.sign_urls(i, now);
        }
        self.streams.list()
    }

    /// Refills stream `i`'s live URLs as of `now` (kept, so later pushes carry them).
    fn sign_urls(&mut self, i: usize, now: Now) {
        if let Some(u) = &self.settings.live_urls {
            u.fill(&mut self.streams.list[i], now.unix_ms / 1000);
        }
    }

    fn stream_reply(&self, s: StreamInfo) -> Vec<u8> {
        body::ok_body(body::StreamListRsp {
            stream_seq: self.streams.seq,
            stream_info: vec![s],
        })
    }

    /// `push_stream_update` for one stream to every connected member but `except`.
    pub(crate) fn push_stream_update(
        &self,
        cmd: u32,
        s: StreamInfo,
        except: Option<u64>,
        from_user_id: &str,
    ) {
        let push = Push::new(
            "push_stream_update",
            from_user_id.to_string(),
            &body::PushStreamUpdate {
                stream_cmd: cmd,
                stream_seq: self.streams.seq,
                stream_info: vec![s],
                room_id: self.id.clone(),
            },
        );
        self.members.for_each_connected(except, |h| h.push(&push));
    }
}
