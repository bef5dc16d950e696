//! How to start a stand-in node: its addresses, buckets, cluster, speed and what it does while
//! it starts or while another node of its cluster restarts.

use crate::{Db, Profile};
use std::time::Duration;

/// How to start a node.
#[derive(Clone)]
pub struct StandinOptions {
    /// Address of the Protocol Buffers API; port 0 picks a free port.
    pub pbc: String,
    /// Address of the HTTP API; port 0 picks a free port.
    pub http: String,
    /// Buckets of the default type that keep siblings (`allow_mult=true`).
    pub allow_mult: Vec<String>,
    /// Bucket types to create; like Riak's new types they have `allow_mult=true`.
    pub bucket_types: Vec<String>,
    /// Another node's data ([`crate::Standin::db`]) to form a cluster with it; `None`: a new
    /// cluster. A [`Db::with_ring`] makes the nodes keep replicas (see [`crate::StandinCluster`]).
    pub db: Option<Db>,
    /// Refuse index queries the way a node on the bitcask backend does.
    pub no_2i: bool,
    /// How fast answers come.
    pub profile: Profile,
    /// How long the node answers like a starting node after it starts or resumes.
    pub startup: Duration,
    /// While a node of the cluster is away or settling: the share of reads of existing keys
    /// that meet empty fallbacks (recorded: a few in 10,000).
    pub fallback_rate: f64,
    /// How many of those reads fail with `notfound_ok=false` early in a restart.
    pub quorum_errors: u32,
    /// How long a restarted node's replicas take to catch up after its start-up phase.
    pub settle: Duration,
}

impl Default for StandinOptions {
    fn default() -> Self {
        StandinOptions {
            pbc: "127.0.0.1:0".into(),
            http: "127.0.0.1:0".into(),
            allow_mult: Vec::new(),
            bucket_types: Vec::new(),
            db: None,
            no_2i: false,
            profile: Profile::Fast,
            startup: Duration::ZERO,
            fallback_rate: 0.0,
            quorum_errors: 0,
            settle: Duration::ZERO,
        }
    }
}

impl StandinOptions {
    /// The recorded cluster: paced answers, a 0.5 s start-up phase, 4 in 10,000 fallback reads
    /// and a few quorum failures while a node restarts, 2 s to settle.
    pub fn real() -> StandinOptions {
        StandinOptions {
            profile: Profile::Real,
            startup: Duration::from_millis(500),
            fallback_rate: 0.0004,
            quorum_errors: 3,
            settle: Duration::from_secs(2),
            ..StandinOptions::default()
        }
    }
}
