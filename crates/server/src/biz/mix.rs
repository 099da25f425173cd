//! Server-side mixing (`biz_channel` `zeus` `start_mix` / `stop_mix`, notes §8.1/§8.2).
//!
//! A mix is keyed by its output (the output stream id, else the RTMP URL) within an app. Its
//! inputs are tapped from the SFU, its output is published back into the SFU as an injected
//! stream that is registered in the room's stream list as a stream of the user who started
//! the mix (so everybody else gets the stream-added push and plays it over WebRTC), and/or
//! pushed to `mixurl` over RTMP. Another `start_mix` for a running mix changes its layout and
//! inputs on the live pipeline; the output format (size, rate, codecs) is fixed at start.
//!
//! Who may control a mix: any member of the mix's room (as with Zego, where a mix is an
//! app-level task addressed by its output); members of other rooms get `MIX_NOT_FOUND`.
//! Lifetime: the mix stops on `stop_mix`, when its pipeline fails, or when the user who
//! started it leaves the room for good (logout, kick, room closed, end of the reconnect
//! grace) — the output stream is that user's, and the room removes a leaving user's streams.
//!
//! Each mix runs in a task owning its pipeline; control commands are serialized by one lock
//! so two `start_mix` for the same output cannot both build a pipeline.

use crate::biz::caller::{BizCaller, BizError};
use crate::biz::mix_plan::{
    plan, play_body, stop_key, MixPlan, OutputKey, PlannedInput, PlannedOutput, MAX_MIXES,
};
use crate::config::apps::Apps;
use crate::live::engine;
use crate::live::urls::UrlBase;
use crate::rooms::registry::Hub;
use liveroom_proto::ErrCode;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Every running mix, and what mixing needs from the configuration.
pub struct Mixes {
    pub urls: UrlBase,
    /// Rooms, for the inputs' presence and the output's registration.
    hub: Arc<Hub>,
    /// The SFU the inputs are tapped from and the output injected into.
    sfu: Option<liveroom_media::SfuHandle>,
    /// Apps, for signing the answer's live URLs.
    apps: Apps,
    url_ttl_secs: u64,
    images: BTreeMap<String, String>,
    /// Whether mixing may run (feature, `live.enabled`, media on).
    enabled: bool,
    /// One slot per output; a request holds its output's slot while it checks and taps the
    /// inputs (which can take seconds), so requests for other outputs are not held up.
    running: std::sync::Mutex<std::collections::HashMap<(u64, OutputKey), run::Slot>>,
}

impl Mixes {
    pub fn new(
        urls: UrlBase,
        config: &crate::config::Config,
        hub: Arc<Hub>,
        sfu: Option<liveroom_media::SfuHandle>,
        apps: Apps,
    ) -> Mixes {
        let media_on = sfu.is_some();
        Mixes {
            urls,
            hub,
            sfu,
            apps,
            url_ttl_secs: config.live.url_ttl_secs,
            images: config.live.background_images.clone(),
            enabled: engine::BUILT && config.live.enabled && media_on,
            running: Default::default(),
        }
    }

    fn unavailable() -> BizError {
        BizError::new(
            ErrCode::MIX_FAILED,
            if engine::BUILT {
                "mixing is off (live.enabled = false or media off)"
            } else {
                "this server was built without live outputs (feature `live`)"
            },
        )
    }
}

/// `start_mix`: starts a mix, or updates the running one with the same output.
pub async fn start_mix(
    mixer: &Arc<Mixes>,
    caller: &BizCaller,
    req_body: &str,
) -> Result<String, BizError> {
    let mixes = mixer;
    let plan = plan(req_body, &mixes.images)?;
    if !mixes.enabled {
        return Err(Mixes::unavailable());
    }
    run::start_or_update(mixer, caller, plan).await
}

/// `stop_mix`: stops a mix of the caller's room.
pub async fn stop_mix(
    mixer: &Arc<Mixes>,
    caller: &BizCaller,
    req_body: &str,
) -> Result<String, BizError> {
    let key = stop_key(req_body)?;
    if !mixer.enabled {
        return Err(Mixes::unavailable());
    }
    run::stop(mixer, caller, key).await
}

mod run {
    use super::*;
    use crate::rooms::commands::{AdminCmd, RoomCmd, RoomKey};
    use engine::mix::{FlvAudio, MixOutput, Mixer, Rect, RtpCallback, VideoCodec};
    use engine::rtp_in::{probe, Probe};
    use engine::PipelineEvent;
    use liveroom_media::{
        InjectId, InjectPacket, InjectTracks, MediaCodec, SfuHandle, StreamKey, TapId, TapPacket,
    };
    use liveroom_proto::body::{stream_cmd, StreamReq};
    use liveroom_room::Request;
    use std::collections::{HashMap, HashSet};
    use std::time::Duration;
    use tokio::sync::{mpsc, oneshot};

    /// How long an input may take to send its first packet before it counts as missing.
    pub const INPUT_PROBE_TIMEOUT: Duration = Duration::from_secs(3);
    /// How often a mix checks that its owner is still in the room.
    pub const OWNER_CHECK_INTERVAL: Duration = Duration::from_secs(1);
    /// How long the room may take to answer a stream registration.
    const ROOM_TIMEOUT: Duration = Duration::from_secs(5);

    pub struct MixEntry {
        tx: mpsc::Sender<MixCmd>,
        room: RoomKey,
        inputs: Vec<String>,
    }

    /// The answer to a start or update: the output's URLs, signed afresh for apps with
    /// `signed_live_urls`.
    fn answer(mixer: &Mixes, appid: u64, o: &PlannedOutput) -> String {
        let now = mixer.hub.clock.now().unix_ms / 1000;
        play_body(&mixer.urls, appid, o, |s| {
            crate::live::sign::query_for(&mixer.apps, mixer.url_ttl_secs, appid, s, now)
        })
    }

    /// An output's mix (None while one is being started, or after a start failed).
    pub type Slot = Arc<tokio::sync::Mutex<Option<MixEntry>>>;
    type SlotGuard = tokio::sync::OwnedMutexGuard<Option<MixEntry>>;

    /// Locks the slot of `key`, made when `create` (None when there is none to lock, or when a
    /// new one would pass `MAX_MIXES`: then `Err`).
    async fn lock_slot(
        mixer: &Mixes,
        key: &(u64, OutputKey),
        create: bool,
    ) -> Result<Option<SlotGuard>, BizError> {
        loop {
            let slot = {
                let mut map = crate::sync::lock(&mixer.running);
                // Forget ended mixes and failed starts (a slot in use is kept).
                map.retain(|_, s| match s.try_lock() {
                    Ok(e) => e.as_ref().is_some_and(|e| !e.tx.is_closed()),
                    Err(_) => true,
                });
                match map.get(key) {
                    Some(s) => s.clone(),
                    None if !create => return Ok(None),
                    None => {
                        if map.len() >= MAX_MIXES {
                            return Err(failed(format!("at most {MAX_MIXES} mixes run at once")));
                        }
                        let s = Slot::default();
                        map.insert(key.clone(), s.clone());
                        // Locked before the map is released, so no other request forgets it
                        // (a new slot is never locked; if it were, it is waited for below).
                        match s.clone().try_lock_owned() {
                            Ok(guard) => return Ok(Some(guard)),
                            Err(_) => s,
                        }
                    }
                }
            };
            let guard = slot.clone().lock_owned().await;
            let map = crate::sync::lock(&mixer.running);
            // The slot may have been forgotten while this request waited for it.
            if map.get(key).is_some_and(|s| Arc::ptr_eq(s, &slot)) {
                return Ok(Some(guard));
            }
        }
    }

    enum MixCmd {
        Update {
            inputs: Vec<PlannedInput>,
            added: Vec<Tapped>,
            reply: oneshot::Sender<()>,
        },
        Stop {
            reply: oneshot::Sender<()>,
        },
    }

    /// An input's tap, probed.
    struct Tapped {
        stream_id: String,
        tap: TapId,
        rx: mpsc::Receiver<TapPacket>,
        probe: Probe,
    }

    fn failed(msg: impl Into<String>) -> BizError {
        BizError::new(ErrCode::MIX_FAILED, msg)
    }

    fn sfu(mixer: &Mixes) -> Result<SfuHandle, BizError> {
        mixer.sfu.clone().ok_or_else(Mixes::unavailable)
    }

    pub async fn start_or_update(
        mixer: &Arc<Mixes>,
        caller: &BizCaller,
        plan: MixPlan,
    ) -> Result<String, BizError> {
        let room = RoomKey {
            appid: caller.appid,
            room_id: caller.room_id.clone(),
        };
        let key = (caller.appid, plan.key.clone());
        let Some(mut slot) = lock_slot(mixer, &key, true).await? else {
            return Err(failed("no slot for the mix"));
        };
        let published: HashSet<String> = room_streams(mixer, &room)
            .await?
            .into_iter()
            .map(|s| s.0)
            .collect();
        let missing: Vec<&str> = plan
            .inputs
            .iter()
            .map(|i| i.stream_id.as_str())
            .filter(|s| !published.contains(*s))
            .collect();
        if !missing.is_empty() {
            return Err(not_exist(&missing));
        }
        if let Some(entry) = slot.as_mut().filter(|e| !e.tx.is_closed()) {
            if entry.room != room {
                return Err(BizError::new(
                    ErrCode::MIX_NOT_FOUND,
                    "the mix belongs to another room",
                ));
            }
            let new: Vec<&str> = plan
                .inputs
                .iter()
                .map(|i| i.stream_id.as_str())
                .filter(|s| !entry.inputs.iter().any(|e| e == s))
                .collect();
            let added = tap_all(mixer, caller.appid, &new).await?;
            let (reply, done) = oneshot::channel();
            let ids: Vec<String> = plan.inputs.iter().map(|i| i.stream_id.clone()).collect();
            let sent = entry
                .tx
                .send(MixCmd::Update {
                    inputs: plan.inputs,
                    added,
                    reply,
                })
                .await;
            if sent.is_err() || done.await.is_err() {
                return Err(failed("the mix ended during the update"));
            }
            entry.inputs = ids;
            tracing::info!(appid = caller.appid, room = %caller.room_id, user = %caller.id_name, output = ?plan.key, inputs = ?entry.inputs, "mix updated");
            return Ok(answer(mixer, caller.appid, &plan.output));
        }
        if let Some(s) = &plan.output.stream_id {
            if published.contains(s) {
                return Err(BizError::new(ErrCode::STREAM_OWNED_BY_OTHER, s.clone()));
            }
        }
        let ids: Vec<&str> = plan.inputs.iter().map(|i| i.stream_id.as_str()).collect();
        let tapped = tap_all(mixer, caller.appid, &ids).await?;
        let body = answer(mixer, caller.appid, &plan.output);
        let inputs = plan.inputs.iter().map(|i| i.stream_id.clone()).collect();
        let tx = launch(mixer, caller, &room, plan, tapped).await?;
        *slot = Some(MixEntry { tx, room, inputs });
        Ok(body)
    }

    pub async fn stop(
        mixer: &Arc<Mixes>,
        caller: &BizCaller,
        key: OutputKey,
    ) -> Result<String, BizError> {
        let k = (caller.appid, key);
        let mut slot = lock_slot(mixer, &k, false).await?;
        let ours = slot.as_ref().and_then(|s| s.as_ref()).is_some_and(|e| {
            e.room.appid == caller.appid && e.room.room_id == caller.room_id && !e.tx.is_closed()
        });
        let Some(entry) = ours.then(|| slot.as_mut().and_then(|s| s.take())).flatten() else {
            return Err(BizError::new(
                ErrCode::MIX_NOT_FOUND,
                format!("no mix of this room outputs {:?}", k.1),
            ));
        };
        let (reply, done) = oneshot::channel();
        if entry.tx.send(MixCmd::Stop { reply }).await.is_ok() {
            let _ = done.await;
        }
        tracing::info!(appid = caller.appid, room = %caller.room_id, user = %caller.id_name, output = ?k.1, "mix stopped on request");
        Ok(String::new())
    }

    fn not_exist(ids: &[&str]) -> BizError {
        BizError {
            code: ErrCode::MIX_INPUT_NOT_FOUND,
            message: format!("inputs not published in the room: {ids:?}"),
            rsp_body: json!({ "non_exist_streams": ids }).to_string(),
        }
    }

    /// The room's streams as (stream_id, owner).
    async fn room_streams(
        mixer: &Mixes,
        room: &RoomKey,
    ) -> Result<Vec<(String, String)>, BizError> {
        let no_room = || BizError::new(ErrCode::LOGIN_STATE, "room closed");
        let tx = mixer.hub.room(room).ok_or_else(no_room)?;
        let (reply, rx) = oneshot::channel();
        tx.send(RoomCmd::Admin(AdminCmd::Streams(reply)))
            .await
            .map_err(|_| no_room())?;
        let (_, list) = rx.await.map_err(|_| no_room())?;
        Ok(list
            .into_iter()
            .map(|s| (s.stream_id, s.anchor_id_name))
            .collect())
    }

    /// Taps and probes the inputs at once; any that sends nothing is missing.
    async fn tap_all(mixer: &Mixes, appid: u64, ids: &[&str]) -> Result<Vec<Tapped>, BizError> {
        let sfu = sfu(mixer)?;
        let probes = ids.iter().map(|id| {
            let sfu = sfu.clone();
            let key = StreamKey {
                appid,
                stream_id: id.to_string(),
            };
            async move {
                let (tap, mut rx, kinds) = sfu.tap(key.clone()).await?;
                match probe(&mut rx, INPUT_PROBE_TIMEOUT, kinds).await {
                    Some(probe) => Some(Tapped {
                        stream_id: key.stream_id,
                        tap,
                        rx,
                        probe,
                    }),
                    None => {
                        sfu.untap(key, tap).await;
                        None
                    }
                }
            }
        });
        let results = futures_util::future::join_all(probes).await;
        let missing: Vec<&str> = ids
            .iter()
            .zip(&results)
            .filter(|(_, r)| r.is_none())
            .map(|(id, _)| *id)
            .collect();
        if !missing.is_empty() {
            let missing = not_exist(&missing);
            for t in results.into_iter().flatten() {
                untap(&sfu, appid, t.stream_id, t.tap).await;
            }
            return Err(missing);
        }
        Ok(results.into_iter().flatten().collect())
    }

    async fn untap(sfu: &SfuHandle, appid: u64, stream_id: String, tap: TapId) {
        sfu.untap(StreamKey { appid, stream_id }, tap).await;
    }

    fn rect(p: &PlannedInput) -> Rect {
        Rect {
            left: p.rect.0,
            top: p.rect.1,
            width: p.rect.2,
            height: p.rect.3,
        }
    }

    /// Builds the pipeline, injects and registers the output, starts the mix's task.
    async fn launch(
        mixes: &Arc<Mixes>,
        caller: &BizCaller,
        room: &RoomKey,
        plan: MixPlan,
        tapped: Vec<Tapped>,
    ) -> Result<mpsc::Sender<MixCmd>, BizError> {
        let sfu = sfu(mixes)?;
        let appid = caller.appid;
        let o = &plan.output;
        // Video when any input has some; an audio-only mix stays so (the output's tracks are
        // fixed once players have them).
        let has_video = tapped.iter().any(|t| t.probe.video.is_some());
        let video = has_video.then_some(if o.vp8 {
            VideoCodec::Vp8
        } else {
            VideoCodec::H264
        });
        let mut taps: HashMap<String, TapId> = HashMap::new();
        let untap_all = |taps: HashMap<String, TapId>| {
            let sfu = sfu.clone();
            async move {
                for (id, tap) in taps {
                    untap(&sfu, appid, id, tap).await;
                }
            }
        };
        for t in &tapped {
            taps.insert(t.stream_id.clone(), t.tap);
        }
        let mut inject: Option<(InjectId, mpsc::Receiver<()>)> = None;
        if let Some(s) = &o.stream_id {
            let tracks = InjectTracks {
                audio: Some(MediaCodec::Opus),
                video: video.map(|v| v.media_codec()),
            };
            let key = StreamKey {
                appid,
                stream_id: s.clone(),
            };
            match sfu.inject(key, tracks).await {
                Ok(i) => inject = Some(i),
                Err(e) => {
                    untap_all(taps).await;
                    return Err(BizError::new(ErrCode::STREAM_OWNED_BY_OTHER, e.to_string()));
                }
            }
        }
        let inject_id = inject.as_ref().map(|i| i.0);
        let on_rtp: RtpCallback = {
            let sfu = sfu.clone();
            Arc::new(move |p| {
                if let Some(id) = inject_id {
                    sfu.inject_rtp(
                        id,
                        InjectPacket {
                            video: p.video,
                            seq: p.seq,
                            time: p.time,
                            marker: p.marker,
                            payload: Arc::from(p.payload),
                        },
                    );
                }
            })
        };
        let spec = MixOutput {
            video,
            width: o.width,
            height: o.height,
            fps: o.fps,
            bitrate: o.bitrate,
            audio_bitrate: o.audio_bitrate,
            audio_channels: o.audio_channels,
            background_rgb: o.background_rgb,
            background_image: o.background_image.clone(),
            rtp: inject.is_some(),
            rtmp: o.url.clone().map(|u| {
                let a = if o.flv_mp3 {
                    FlvAudio::Mp3
                } else {
                    FlvAudio::Aac
                };
                (u, a)
            }),
        };
        let name = format!("mix-{appid}-{:?}", plan.key);
        let cleanup_inject = |inject: Option<(InjectId, mpsc::Receiver<()>)>| {
            let sfu = sfu.clone();
            async move {
                if let Some((id, _)) = inject {
                    sfu.uninject(id).await;
                }
            }
        };
        let started = Mixer::start(&name, spec, on_rtp);
        let (mut mixer, events) = match started {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(appid, room = %room.room_id, error = %e, "mix pipeline does not start");
                untap_all(taps).await;
                cleanup_inject(inject).await;
                return Err(failed(e.to_string()));
            }
        };
        for (t, p) in tapped.into_iter().zip(&plan.inputs) {
            if let Err(e) = mixer.add_input(&t.stream_id, t.probe, t.rx, rect(p), p.zorder) {
                tracing::warn!(appid, input = %t.stream_id, error = %e, "mix input not added");
                drop(mixer);
                untap_all(taps).await;
                cleanup_inject(inject).await;
                return Err(failed(e.to_string()));
            }
        }
        if let Some(s) = &o.stream_id {
            if let Err(e) =
                stream_cmd_as(mixes, room, &caller.id_name, stream_cmd::LIVE_BEGIN, s).await
            {
                drop(mixer);
                untap_all(taps).await;
                cleanup_inject(inject).await;
                return Err(e);
            }
        }
        tracing::info!(appid, room = %room.room_id, user = %caller.id_name, output = ?plan.key, inputs = ?plan.inputs, "mix started");
        let (tx, rx) = mpsc::channel(8);
        let task = MixTask {
            mixes: mixes.clone(),
            sfu,
            room: room.clone(),
            owner: caller.id_name.clone(),
            output_stream: o.stream_id.clone(),
            mixer,
            taps,
            inject_id,
        };
        tokio::spawn(task.run(rx, events, inject.map(|i| i.1)));
        Ok(tx)
    }

    /// A `stream` request (liveBegin/liveEnd) in the room on behalf of `owner`
    /// (`RoomCmd::RequestAs`).
    async fn stream_cmd_as(
        mixer: &Mixes,
        room: &RoomKey,
        owner: &str,
        sub_cmd: u32,
        stream_id: &str,
    ) -> Result<(), BizError> {
        let gone = || BizError::new(ErrCode::LOGIN_STATE, "not in the room any more");
        let claim = mixer
            .hub
            .claim_of(room.appid, owner)
            .filter(|c| c.room == *room)
            .ok_or_else(gone)?;
        let tx = mixer.hub.room(room).ok_or_else(gone)?;
        let req = Request::Stream(StreamReq {
            sub_cmd,
            stream_msg: json!({"stream_id": stream_id, "extra_info": ""}).to_string(),
        });
        let (reply, answer) = oneshot::channel();
        tx.send(RoomCmd::RequestAs {
            key: claim.key,
            req,
            reply,
        })
        .await
        .map_err(|_| gone())?;
        match tokio::time::timeout(ROOM_TIMEOUT, answer).await {
            Ok(Ok(Ok(_))) => Ok(()),
            Ok(Ok(Err(r))) => Err(BizError::new(
                r.code,
                format!("output stream not registered: {}", r.detail),
            )),
            _ => Err(failed("the room did not answer the stream registration")),
        }
    }

    struct MixTask {
        mixes: Arc<Mixes>,
        sfu: SfuHandle,
        room: RoomKey,
        owner: String,
        output_stream: Option<String>,
        mixer: Mixer,
        taps: HashMap<String, TapId>,
        inject_id: Option<InjectId>,
    }

    impl MixTask {
        async fn run(
            mut self,
            mut cmds: mpsc::Receiver<MixCmd>,
            mut events: mpsc::UnboundedReceiver<PipelineEvent>,
            mut keyframes: Option<mpsc::Receiver<()>>,
        ) {
            let mut check = tokio::time::interval(OWNER_CHECK_INTERVAL);
            let why = loop {
                let keyframe = async {
                    match keyframes.as_mut() {
                        Some(k) => k.recv().await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    cmd = cmds.recv() => match cmd {
                        Some(MixCmd::Update { inputs, added, reply }) => {
                            self.update(inputs, added).await;
                            let _ = reply.send(());
                        }
                        Some(MixCmd::Stop { reply }) => {
                            self.end().await;
                            let _ = reply.send(());
                            return;
                        }
                        None => break "server stopping",
                    },
                    ev = events.recv() => {
                        match ev {
                            Some(PipelineEvent::Error(e)) => {
                                tracing::warn!(appid = self.room.appid, room = %self.room.room_id, error = %e, "mix pipeline failed; mix stopped");
                            }
                            _ => tracing::warn!(appid = self.room.appid, room = %self.room.room_id, "mix pipeline ended"),
                        }
                        break "pipeline ended";
                    }
                    k = keyframe => match k {
                        Some(()) => self.mixer.force_keyframe(),
                        None => keyframes = None,
                    },
                    _ = check.tick() => {
                        let here = self
                            .mixes
                            .hub
                            .claim_of(self.room.appid, &self.owner)
                            .is_some_and(|c| c.room == self.room);
                        if !here {
                            break "its owner left the room";
                        }
                    }
                }
            };
            tracing::info!(appid = self.room.appid, room = %self.room.room_id, user = %self.owner, output = ?self.output_stream, why, "mix stopped");
            self.end().await;
        }

        async fn update(&mut self, inputs: Vec<PlannedInput>, added: Vec<Tapped>) {
            let keep: HashSet<&str> = inputs.iter().map(|i| i.stream_id.as_str()).collect();
            for id in self.mixer.input_ids() {
                if !keep.contains(id.as_str()) {
                    self.mixer.remove_input(&id);
                    if let Some(tap) = self.taps.remove(&id) {
                        untap(&self.sfu, self.room.appid, id, tap).await;
                    }
                }
            }
            for t in added {
                let Some(p) = inputs.iter().find(|i| i.stream_id == t.stream_id) else {
                    untap(&self.sfu, self.room.appid, t.stream_id, t.tap).await;
                    continue;
                };
                self.taps.insert(t.stream_id.clone(), t.tap);
                if let Err(e) = self
                    .mixer
                    .add_input(&t.stream_id, t.probe, t.rx, rect(p), p.zorder)
                {
                    tracing::warn!(input = %t.stream_id, error = %e, "mix input not added");
                }
            }
            for p in &inputs {
                self.mixer.set_layout(&p.stream_id, rect(p), p.zorder);
            }
        }

        async fn end(self) {
            let MixTask {
                mixes,
                sfu,
                room,
                owner,
                output_stream,
                mixer,
                taps,
                inject_id,
            } = self;
            drop(mixer);
            for (id, tap) in taps {
                untap(&sfu, room.appid, id, tap).await;
            }
            if let Some(id) = inject_id {
                sfu.uninject(id).await;
            }
            if let Some(s) = output_stream {
                // Fails harmlessly when the owner has left (the room removed the stream).
                let _ = stream_cmd_as(&mixes, &room, &owner, stream_cmd::LIVE_END, &s).await;
            }
        }
    }
}
