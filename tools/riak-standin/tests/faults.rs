//! The recorded exchanges of a real 2-node Riak KV cluster with one node stopped, restarting
//! and hung, replayed against a 2-node stand-in ring: every answer as recorded (PBC frames byte
//! for byte where they carry no vclock, HTTP answers but for the date), through both APIs.
//!
//! The phases are driven as on the real cluster: 140 keys written, node 1 stopped, the keys
//! overwritten, node 1 restarted (fallbacks serve it, then its own stale replicas, then the
//! handoff), node 1 hung. The requests' 2,000 ms timeouts are replayed as 250 ms.

mod support;

use serde_json::Value;
use std::time::Duration;
use support::*;

/// The replayed request timeout, and how much later than it an answer may come.
const TIMEOUT_MS: u64 = 250;
const SLACK: Duration = Duration::from_millis(1_500);

#[test]
fn the_recorded_fault_phases_answer_as_recorded() {
    let faults = faults();
    let cluster = cluster();
    let keys: Vec<String> = (0..60)
        .map(|i| format!("k{i}"))
        .chain((0..80).map(|i| format!("c{i}")))
        .collect();
    write_all(&cluster, 0, &keys, 1);
    let mut phase = String::new();
    for exchange in faults["exchanges"].as_array().unwrap() {
        let name = exchange["name"].as_str().unwrap();
        let now = exchange["phase"].as_str().unwrap();
        if now != phase {
            enter(&cluster, now, &keys);
            phase = now.to_string();
        }
        match name {
            "bucket_props" => continue,
            // The race of the recorded reads that met the empty fallbacks first.
            "get_default_fresh_key" => cluster.set_fallbacks_first(1.0),
            _ => cluster.set_fallbacks_first(0.0),
        }
        if name.starts_with("first_default_stale")
            || name.starts_with("first_r1_notfound_ok_false_stale")
        {
            cluster.join_vnodes(1);
        }
        if name == "get_deleted_key_after_return" {
            cluster.hand_off(1);
        }
        if name == "get_after_resume" {
            cluster.restart(1, Duration::ZERO).unwrap();
        }
        replay(&cluster, exchange);
    }
}

/// What the recording did between its phases.
fn enter(cluster: &riak_standin::StandinCluster, phase: &str, keys: &[String]) {
    match phase {
        "node2_stopped" => cluster.stop(1),
        "node2_restarting" => {
            // Overwritten while node 1 was away; k2 and k4 were deleted then.
            let live: Vec<String> = keys[..60]
                .iter()
                .filter(|k| *k != "k2" && *k != "k4")
                .cloned()
                .collect();
            write_all(cluster, 0, &live, 2);
            let rejoin = riak_standin::Rejoin {
                vnodes_after: Duration::from_secs(3600),
                handoff: Duration::from_secs(3600),
            };
            cluster.restart_with(1, rejoin).unwrap();
        }
        "node2_frozen" => cluster.hang(1),
        _ => {}
    }
}

fn replay(cluster: &riak_standin::StandinCluster, exchange: &Value) {
    let name = format!(
        "{} {} {}",
        exchange["phase"], exchange["api"], exchange["name"]
    );
    let node = cluster.node(node_of_port(exchange["port"].as_u64().unwrap()));
    let recorded_ms = exchange["elapsed_ms"].as_f64().unwrap();
    let never = recorded_ms > 50_000.0;
    let timed_out = recorded_ms > 1_000.0;
    let wait = if never {
        Duration::from_millis(600)
    } else {
        Duration::from_secs(10)
    };
    let elapsed = if exchange["api"] == "pbc" {
        let request = shorten_pbc(&hex(exchange["request_hex"].as_str().unwrap()));
        let answer = pbc(node.pbc_addr, &request, wait);
        if never {
            assert!(answer.is_none(), "{name}: waits for Riak's 60 s default");
            return;
        }
        let (frame, elapsed) = answer.unwrap_or_else(|| panic!("{name}: no answer"));
        let want = hex(exchange["responses"][0]["hex"].as_str().unwrap());
        if want[4] == 10 && want.len() > 5 {
            assert_eq!(pbc_meaning(&frame), pbc_meaning(&want), "{name}");
        } else {
            assert_eq!(frame, want, "{name}: the recorded bytes");
        }
        elapsed
    } else {
        let request = exchange["request"].as_str().unwrap();
        let request = request.replace("timeout=2000", &format!("timeout={TIMEOUT_MS}"));
        let answer = http(node.http_addr, &request, wait);
        if never {
            assert!(answer.is_none(), "{name}: waits for Riak's 60 s default");
            return;
        }
        let (response, elapsed) = answer.unwrap_or_else(|| panic!("{name}: no answer"));
        let want = exchange["response"].as_str().unwrap();
        let head = |r: &str| r.lines().next().unwrap_or_default().to_string();
        let body = |r: &str| r.split_once("\r\n\r\n").map(|(_, b)| b.to_string());
        if exchange["status"] == 200 || want.contains("X-Riak-Deleted") {
            assert_eq!(head(&response), head(want), "{name}");
            assert_eq!(body(&response), body(want), "{name}");
            let deleted = want.contains("X-Riak-Deleted: true");
            assert_eq!(response.contains("X-Riak-Deleted: true"), deleted, "{name}");
        } else {
            assert_eq!(
                undated(&response),
                undated(want),
                "{name}: the recorded bytes"
            );
        }
        elapsed
    };
    if timed_out {
        let timeout = Duration::from_millis(TIMEOUT_MS);
        assert!(
            elapsed >= timeout && elapsed < timeout + SLACK,
            "{name}: {elapsed:?}"
        );
    } else {
        assert!(elapsed < SLACK, "{name}: {elapsed:?}");
    }
}

/// The request with its 2,000 ms timeout (field 10 of a get, 12 of a put) made 250 ms: the
/// same varint length, so the frame keeps its length.
fn shorten_pbc(frame: &[u8]) -> Vec<u8> {
    let mut out = frame.to_vec();
    let n = out.len();
    if n > 3 && (out[n - 3] == 0x50 || out[n - 3] == 0x60) && out[n - 2..] == [0xd0, 0x0f] {
        out[n - 2..].copy_from_slice(&[0xfa, 0x01]);
    }
    out
}
