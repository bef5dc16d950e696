//! The configuration file as written: its sections and keys, each rejecting unknown keys (a
//! typo must not be silently ignored), and their `Default`s, the one place the defaults are
//! written (the shipped `phonebook.toml` is checked against them key for key).

use serde::Deserialize;

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawFile {
    pub(super) server: RawServer,
    pub(super) store: RawStore,
    pub(super) cache: RawCache,
    pub(super) auth: RawAuth,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawServer {
    pub(super) mode: String,
    pub(super) threads: usize,
    pub(super) listen: String,
    pub(super) max_body_bytes: usize,
    pub(super) max_header_bytes: usize,
    pub(super) read_timeout_ms: u64,
    pub(super) write_timeout_ms: u64,
    pub(super) max_connections: usize,
    pub(super) max_queued: usize,
    pub(super) queue_timeout_ms: u64,
    pub(super) allowed_hosts: Vec<String>,
    pub(super) trusted_origins: Vec<String>,
}

impl Default for RawServer {
    fn default() -> Self {
        RawServer {
            mode: "debug".into(),
            threads: 16,
            listen: "127.0.0.1:8080".into(),
            max_body_bytes: 16 * 1024,
            max_header_bytes: 8 * 1024,
            read_timeout_ms: 5_000,
            write_timeout_ms: 5_000,
            max_connections: 1_000,
            max_queued: 64,
            queue_timeout_ms: 1_000,
            allowed_hosts: Vec::new(),
            trusted_origins: Vec::new(),
        }
    }
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawStore {
    pub(super) url: String,
    pub(super) bucket: String,
    pub(super) timeout_ms: u64,
    pub(super) pool_size: usize,
    pub(super) write: String,
    pub(super) notfound_ok: bool,
    pub(super) riak_timeout_ms: u64,
    pub(super) r: String,
    pub(super) pr: String,
    pub(super) basic_quorum: bool,
    pub(super) w: String,
    pub(super) dw: String,
    pub(super) pw: String,
    pub(super) second_try: bool,
}

impl Default for RawStore {
    fn default() -> Self {
        RawStore {
            url: "embedded:data/phonebook.redb".into(),
            bucket: "phonebook".into(),
            timeout_ms: 600,
            pool_size: 0,
            write: "auto".into(),
            notfound_ok: false,
            riak_timeout_ms: 200,
            r: "quorum".into(),
            pr: "default".into(),
            basic_quorum: false,
            w: "quorum".into(),
            dw: "quorum".into(),
            pw: "default".into(),
            second_try: true,
        }
    }
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawCache {
    pub(super) url: String,
    pub(super) ttl_secs: u32,
    pub(super) timeout_ms: u64,
    pub(super) pool_size: usize,
}

impl Default for RawCache {
    fn default() -> Self {
        RawCache {
            url: "off".into(),
            ttl_secs: 10,
            timeout_ms: 150,
            pool_size: 0,
        }
    }
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawAuth {
    pub(super) htpasswd: String,
    pub(super) reads: bool,
}
