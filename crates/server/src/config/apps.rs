//! The apps the server serves: (appid, app sign, server secret). In dev mode any appid is
//! accepted with the fixed dev credentials.

use crate::config::{Config, PlayScope, DEV_APP_SIGN, DEV_SERVER_SECRET};
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct App {
    pub appid: u64,
    pub app_sign: String,
    pub server_secret: String,
    /// Which streams its logins may play.
    pub play_scope: PlayScope,
    /// Whether its HTTP-FLV/HLS URLs must be signed.
    pub signed_live_urls: bool,
}

#[derive(Debug, Clone)]
pub struct Apps {
    dev: bool,
    by_id: HashMap<u64, App>,
}

impl Apps {
    pub fn from_config(c: &Config) -> Apps {
        let by_id = c
            .apps
            .iter()
            .map(|a| {
                (
                    a.appid,
                    App {
                        appid: a.appid,
                        app_sign: a.app_sign.clone(),
                        server_secret: a.server_secret.clone(),
                        play_scope: a.play_scope,
                        signed_live_urls: a.signed_live_urls.unwrap_or(!c.dev),
                    },
                )
            })
            .collect();
        Apps { dev: c.dev, by_id }
    }

    pub fn get(&self, appid: u64) -> Option<App> {
        if let Some(a) = self.by_id.get(&appid) {
            return Some(a.clone());
        }
        (self.dev && appid != 0).then(|| App {
            appid,
            app_sign: DEV_APP_SIGN.into(),
            server_secret: DEV_SERVER_SECRET.into(),
            play_scope: PlayScope::App,
            signed_live_urls: false,
        })
    }
}
