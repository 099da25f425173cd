//! Reliable messages: the latest value per type, with one per-room seq that rises with every
//! message (notes §4, §13). Late joiners learn the seqs from the heartbeat and fetch.

use crate::{Outbox, Push, Refusal, Reply, Room};
use liveroom_proto::body::{
    self, PushTrans, TransChannelSeqs, TransFetchReq, TransFetchResult, TransFetchRsp, TransReq,
    TransRsp, TransSeq,
};
use liveroom_proto::limits::{TRANS_DATA_MAX_BYTES, TRANS_TYPES_PER_ROOM, TRANS_TYPE_MAX_BYTES};
use liveroom_proto::ErrCode;

/// The only channel the 1.x clients use.
pub const CHANNEL: &str = "clt";

struct Latest {
    trans_type: String,
    seq: u32,
    data: String,
    id_name: String,
}

#[derive(Default)]
pub struct Trans {
    seq: u32,
    /// At most `TRANS_TYPES_PER_ROOM` entries, in order of first use.
    latest: Vec<Latest>,
    /// Set once the room handed its messages over to another node (a drain): what is sent
    /// after that would be lost, so it is refused.
    pub(crate) handed_over: bool,
}

/// A room's reliable messages as one node hands them to the next (a drain): the latest value
/// of every type with its seq, and the room's seq, so seqs keep rising where the room goes.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TransHandover {
    /// The room's seq (the last one given).
    pub seq: u32,
    /// Per type, in order of first use: (type, its seq, data, sender's id_name).
    pub latest: Vec<(String, u32, String, String)>,
}

impl Trans {
    pub(crate) fn hand_over(&mut self) -> TransHandover {
        self.handed_over = true;
        TransHandover {
            seq: self.seq,
            latest: self
                .latest
                .iter()
                .map(|l| {
                    (
                        l.trans_type.clone(),
                        l.seq,
                        l.data.clone(),
                        l.id_name.clone(),
                    )
                })
                .collect(),
        }
    }

    /// Takes the messages a room handed over, unless this room already has its own.
    pub(crate) fn take_over(&mut self, h: TransHandover) {
        if self.seq > 0 {
            return;
        }
        self.seq = h.seq;
        self.latest = h
            .latest
            .into_iter()
            .take(TRANS_TYPES_PER_ROOM)
            .map(|(trans_type, seq, data, id_name)| Latest {
                trans_type,
                seq,
                data,
                id_name,
            })
            .collect();
    }
}

impl Trans {
    pub fn seqs(&self) -> Vec<TransChannelSeqs> {
        if self.latest.is_empty() {
            return Vec::new();
        }
        vec![TransChannelSeqs {
            trans_channel: CHANNEL.into(),
            trans_seq_array: self
                .latest
                .iter()
                .map(|l| TransSeq {
                    trans_type: l.trans_type.clone(),
                    trans_seq: l.seq,
                })
                .collect(),
        }]
    }

    /// The latest message of every asked type the asker does not hold, each type once, in order of first use.
    ///
    /// The two request forms mean different things by their seq. A `fetch_array` item's `trans_seq` is the seq
    /// the original 1.3+ client saw in the heartbeat (the one it lacks; it only asks for types whose seq differs
    /// from its own), while ours sends the seq it holds (and drops an answer at a seq it already has): so every
    /// asked type gets its latest value. The 1.0.3 form's `trans_local_seq` is the client's own seq: a type still
    /// at that seq is left out.
    pub fn fetch(&self, req: &TransFetchReq) -> TransFetchRsp {
        let results = self
            .latest
            .iter()
            .filter(|l| {
                req.fetch_array.iter().any(|i| i.trans_type == l.trans_type)
                    || (req.trans_type.as_deref() == Some(l.trans_type.as_str())
                        && req.trans_local_seq.unwrap_or(0) != l.seq)
            })
            .map(|l| TransFetchResult {
                trans_type: l.trans_type.clone(),
                trans_seq: l.seq,
                trans_data: l.data.clone(),
                trans_user_idname: l.id_name.clone(),
            })
            .collect();
        TransFetchRsp {
            trans_channel: if req.trans_channel.is_empty() {
                CHANNEL.into()
            } else {
                req.trans_channel.clone()
            },
            trans_fetch_results: results,
        }
    }
}

impl<H: Outbox> Room<H> {
    pub(crate) fn trans_send(&mut self, key: u64, req: TransReq) -> Reply {
        let m = self.member_or_refuse(key)?;
        let (id_name, user_id) = (m.id_name.clone(), m.user_id.to_string());
        let seq = self.store_trans(
            req.trans_type.clone(),
            req.trans_data,
            id_name,
            user_id,
            Some(key),
        )?;
        Ok(body::ok_body(TransRsp {
            trans_type: req.trans_type,
            trans_seq: seq,
        }))
    }

    /// A reliable message from the server itself (admin API); `id_name` is the sender shown.
    pub fn system_trans(
        &mut self,
        trans_type: String,
        data: String,
        id_name: String,
    ) -> Result<u32, Refusal> {
        self.store_trans(trans_type, data, id_name, String::new(), None)
    }

    /// Checks, stores as the type's latest value, and pushes to everyone but `except`.
    fn store_trans(
        &mut self,
        trans_type: String,
        data: String,
        id_name: String,
        from_user_id: String,
        except: Option<u64>,
    ) -> Result<u32, Refusal> {
        if self.trans.handed_over {
            return Err(Refusal::new(
                ErrCode::SHUTTING_DOWN,
                "the room is moving to another node; send again after the reconnect",
            ));
        }
        if trans_type.is_empty() || trans_type.len() > TRANS_TYPE_MAX_BYTES {
            return Err(Refusal::new(
                ErrCode::BAD_BODY,
                format!("trans_type must be 1 to {TRANS_TYPE_MAX_BYTES} bytes"),
            ));
        }
        if data.len() > TRANS_DATA_MAX_BYTES {
            return Err(Refusal::new(
                ErrCode::CONTENT_TOO_LONG,
                format!("trans_data is over {TRANS_DATA_MAX_BYTES} bytes"),
            ));
        }
        let t = &mut self.trans;
        let known = t.latest.iter().any(|l| l.trans_type == trans_type);
        if !known && t.latest.len() >= TRANS_TYPES_PER_ROOM {
            return Err(Refusal::new(
                ErrCode::TOO_MANY_TRANS_TYPES,
                format!("room already has {TRANS_TYPES_PER_ROOM} types"),
            ));
        }
        t.seq += 1;
        let seq = t.seq;
        match t.latest.iter_mut().find(|l| l.trans_type == trans_type) {
            Some(l) => {
                l.seq = seq;
                l.data = data.clone();
                l.id_name = id_name.clone();
            }
            None => t.latest.push(Latest {
                trans_type: trans_type.clone(),
                seq,
                data: data.clone(),
                id_name: id_name.clone(),
            }),
        }
        let push = Push::new(
            "push_trans",
            from_user_id,
            &PushTrans {
                trans_type,
                trans_seq: seq,
                trans_data: data,
                trans_user_idname: id_name,
                trans_channel: CHANNEL.into(),
            },
        );
        self.members.for_each_connected(except, |h| h.push(&push));
        Ok(seq)
    }
}
