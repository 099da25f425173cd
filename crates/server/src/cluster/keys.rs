//! The names of everything the cluster keeps in Redis and the scripts that change them
//! atomically (docs/cluster.md lists them). Every name starts with `liveroom:`.

/// A node's record (JSON, [`crate::cluster::node::NodeRecord`]), with a TTL, renewed.
pub fn node(node_id: &str) -> String {
    format!("liveroom:node:{node_id}")
}

/// What `SCAN` matches to list the live nodes.
pub const NODE_PATTERN: &str = "liveroom:node:*";

/// The id of the node that owns a room (the room's actor runs there), with a TTL, renewed.
pub fn room(appid: u64, room_id: &str) -> String {
    format!("liveroom:room:{appid}:{room_id}")
}

/// Where a user of an app last logged in (JSON [`crate::cluster::UserClaim`]), so that a login
/// on any node kicks out the user's login in another room on any node.
pub fn user(appid: u64, id_name: &str) -> String {
    format!("liveroom:user:{appid}:{id_name}")
}

/// Lifetime of a user's claim: refreshed by each login; a claim whose node died meanwhile
/// only sends a kick-out nobody reads.
pub const USER_CLAIM_TTL_MS: u64 = 24 * 3600 * 1000;

/// What a draining node's room hands to the node that takes it next (JSON
/// `liveroom_room::Handover`), read and deleted by that node when it creates the room.
pub fn handover(appid: u64, room_id: &str) -> String {
    format!("liveroom:handover:{appid}:{room_id}")
}

/// How long a handover waits for the room's next node.
pub const HANDOVER_TTL_MS: u64 = 5 * 60 * 1000;

/// The pub/sub channel a node reads the messages of other nodes from.
pub fn inbox(node_id: &str) -> String {
    format!("liveroom:inbox:{node_id}")
}

/// Renews a room key if it is this node's (ARGV[1]) or free; 0 when another node holds it.
pub const RENEW_ROOM: &str = r"
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if v == false then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0";

/// Deletes a room key if it is still this node's (ARGV[1]).
pub const RELEASE_ROOM: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0";

/// Hands a room key from a dead node (ARGV[1]) to this one (ARGV[2]); 0 when it changed meanwhile.
pub const TAKE_OVER_ROOM: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1
end
return 0";

/// Who holds a stream id of an app in the whole cluster, and so where its media is published:
/// `"{node_id} {id_name}"`, with a TTL its node renews while the stream id is held there.
pub fn stream(appid: u64, stream_id: &str) -> String {
    format!("liveroom:stream:{appid}:{stream_id}")
}

/// Claims a stream key (KEYS[1]) for `"{node} {user}"` (ARGV[1]) with TTL ARGV[2], unless
/// another user (not ARGV[3]) holds it on a node that is alive (its record, ARGV[4] .. node,
/// exists): then answers the holder's value. A user's claim from another node moves here.
pub const CLAIM_STREAM: &str = r"
local v = redis.call('GET', KEYS[1])
if v and v ~= ARGV[1] then
  local sp = string.find(v, ' ', 1, true)
  if sp then
    local node = string.sub(v, 1, sp - 1)
    local user = string.sub(v, sp + 1)
    if user ~= ARGV[3] and redis.call('EXISTS', ARGV[4] .. node) == 1 then return v end
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false";

/// Renews a stream key if it is still this value (ARGV[1]) or free; 0 when another holds it.
pub const RENEW_STREAM: &str = RENEW_ROOM;

/// Deletes a stream key if it still holds this value (ARGV[1]).
pub const RELEASE_STREAM: &str = RELEASE_ROOM;

/// The prefix of node records (what `CLAIM_STREAM` checks a holder's node with).
pub const NODE_PREFIX: &str = "liveroom:node:";
