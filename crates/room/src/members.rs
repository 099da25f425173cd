//! The room's members: admission, replacement on reconnect, liveness, paging, user seq.

use crate::{LoginInput, Now, Outbox, Refusal, Settings};
use liveroom_proto::body::{user_action, UserAction, UserBaseInfo, UserListRsp};
use liveroom_proto::errors::kick_reason;
use liveroom_proto::limits::USER_LIST_PAGE;
use liveroom_proto::ErrCode;
use std::collections::{BTreeMap, HashMap};

pub struct Member<H> {
    /// The member's session id; changes at every login.
    pub key: u64,
    pub user_id: u64,
    pub id_name: String,
    pub nick_name: String,
    pub role: u8,
    pub can_publish: bool,
    pub login_unix_ms: u64,
    /// Position in login order (for paging and the anchor).
    order: u64,
    last_seen_mono: u64,
    pub connected: bool,
    disconnected_mono: u64,
    pub handle: H,
}

pub struct Members<H> {
    by_id: HashMap<String, Member<H>>,
    key_to_id: HashMap<u64, String>,
    order: BTreeMap<u64, String>,
    /// The members with role 1, by login order: the anchor is the first, found without a scan
    /// of the room (every login reply names it, so a scan made logins cost O(room)).
    anchors: BTreeMap<u64, String>,
    next_order: u64,
    /// Rises by one for every join and every leave.
    pub user_seq: u32,
}

impl<H> Default for Members<H> {
    fn default() -> Self {
        Members {
            by_id: HashMap::new(),
            key_to_id: HashMap::new(),
            order: BTreeMap::new(),
            anchors: BTreeMap::new(),
            next_order: 0,
            user_seq: 0,
        }
    }
}

impl<H: Outbox> Members<H> {
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub fn get(&self, key: u64) -> Option<&Member<H>> {
        self.key_to_id.get(&key).and_then(|id| self.by_id.get(id))
    }

    pub fn by_id_name(&self, id_name: &str) -> Option<&Member<H>> {
        self.by_id.get(id_name)
    }

    pub fn keys(&self) -> Vec<u64> {
        self.key_to_id.keys().copied().collect()
    }

    /// Admits or replaces; returns the member's key and, for a new member, its join action.
    pub fn login(
        &mut self,
        now: Now,
        input: LoginInput<H>,
        settings: &Settings,
    ) -> Result<(u64, Option<UserAction>), Refusal> {
        if let Some(old) = self.by_id.get_mut(&input.id_name) {
            // The same user again: a reconnect (old session gone) or a second device (old
            // session alive, kicked out). Either way it keeps its place and its streams.
            if old.connected {
                old.handle.kick(kick_reason::DUPLICATE_LOGIN);
            }
            self.key_to_id.remove(&old.key);
            old.key = input.key;
            old.user_id = input.user_id;
            old.nick_name = input.nick_name;
            if input.role == 1 {
                self.anchors.insert(old.order, input.id_name.clone());
            } else {
                self.anchors.remove(&old.order);
            }
            old.role = input.role;
            old.can_publish = input.can_publish;
            old.last_seen_mono = now.mono_ms;
            old.connected = true;
            old.handle = input.handle;
            self.key_to_id.insert(input.key, input.id_name);
            return Ok((input.key, None));
        }
        if self.by_id.len() >= settings.max_users {
            return Err(Refusal::new(
                ErrCode::ROOM_FULL,
                format!("room has {} users", settings.max_users),
            ));
        }
        let order = self.next_order;
        self.next_order += 1;
        let m = Member {
            key: input.key,
            user_id: input.user_id,
            id_name: input.id_name.clone(),
            nick_name: input.nick_name,
            role: input.role,
            can_publish: input.can_publish,
            login_unix_ms: now.unix_ms,
            order,
            last_seen_mono: now.mono_ms,
            connected: true,
            disconnected_mono: 0,
            handle: input.handle,
        };
        self.user_seq += 1;
        let action = action_of(&m, user_action::JOIN);
        self.order.insert(order, input.id_name.clone());
        if m.role == 1 {
            self.anchors.insert(order, input.id_name.clone());
        }
        self.key_to_id.insert(input.key, input.id_name.clone());
        self.by_id.insert(input.id_name, m);
        Ok((input.key, Some(action)))
    }

    /// Marks the member alive; false if `key` is not a current, connected member.
    pub fn touch(&mut self, key: u64, now: Now) -> bool {
        let Some(id) = self.key_to_id.get(&key) else {
            return false;
        };
        match self.by_id.get_mut(id) {
            Some(m) if m.connected => {
                m.last_seen_mono = now.mono_ms;
                true
            }
            _ => false,
        }
    }

    pub fn disconnect(&mut self, key: u64, now: Now) {
        if let Some(m) = self
            .key_to_id
            .get(&key)
            .and_then(|id| self.by_id.get_mut(id))
        {
            m.connected = false;
            m.disconnected_mono = now.mono_ms;
        }
    }

    pub fn remove(&mut self, key: u64) -> Option<Member<H>> {
        let id = self.key_to_id.remove(&key)?;
        let m = self.by_id.remove(&id)?;
        self.order.remove(&m.order);
        self.anchors.remove(&m.order);
        self.user_seq += 1;
        Some(m)
    }

    pub fn leave_action(&self, m: &Member<H>) -> UserAction {
        action_of(m, user_action::LEAVE)
    }

    /// Members to remove now: `(key, true)` for a live connection that stopped heartbeating,
    /// `(key, false)` for a dropped one whose reconnect grace ran out.
    pub fn expired(&self, now: Now, settings: &Settings) -> Vec<(u64, bool)> {
        self.by_id
            .values()
            .filter_map(|m| {
                if m.connected {
                    let silent = now.mono_ms.saturating_sub(m.last_seen_mono);
                    (silent >= settings.session_timeout_ms as u64).then_some((m.key, true))
                } else {
                    let gone = now.mono_ms.saturating_sub(m.disconnected_mono);
                    (gone >= settings.reconnect_grace_ms as u64).then_some((m.key, false))
                }
            })
            .collect()
    }

    /// The room's anchor: the earliest member with role 1.
    pub fn anchor(&self) -> Option<&Member<H>> {
        self.anchors
            .values()
            .next()
            .and_then(|id| self.by_id.get(id))
    }

    /// One page of the user list, 1-based (see `UserListRsp`).
    pub fn page(&self, user_index: u32) -> UserListRsp {
        let start = (user_index.max(1) - 1) as usize;
        let users: Vec<UserBaseInfo> = self
            .order
            .values()
            .skip(start)
            .take(USER_LIST_PAGE)
            .filter_map(|id| self.by_id.get(id))
            .map(|m| UserBaseInfo {
                id_name: m.id_name.clone(),
                nick_name: m.nick_name.clone(),
                role: m.role,
            })
            .collect();
        let total = self.by_id.len() as u32;
        UserListRsp {
            ret_user_index: (start + users.len()).min(total as usize) as u32,
            server_user_index: total,
            server_user_seq: self.user_seq,
            user_baseinfos: users,
        }
    }

    /// Every member in login order, as listed to administrators.
    pub fn summaries(&self) -> Vec<crate::MemberSummary> {
        self.order
            .values()
            .filter_map(|id| self.by_id.get(id))
            .map(|m| crate::MemberSummary {
                id_name: m.id_name.clone(),
                nick_name: m.nick_name.clone(),
                role: m.role,
                user_id: m.user_id,
                login_unix_ms: m.login_unix_ms,
                connected: m.connected,
            })
            .collect()
    }

    /// Calls `f` with every connected member's outbox, except `except`.
    pub fn for_each_connected(&self, except: Option<u64>, mut f: impl FnMut(&H)) {
        for m in self.by_id.values() {
            if m.connected && Some(m.key) != except {
                f(&m.handle);
            }
        }
    }
}

fn action_of<H>(m: &Member<H>, action: u8) -> UserAction {
    UserAction {
        action,
        id_name: m.id_name.clone(),
        nick_name: m.nick_name.clone(),
        role: m.role,
        login_time: m.login_unix_ms.to_string(),
    }
}
