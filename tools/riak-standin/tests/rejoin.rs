//! A stopped node's timed return, as the recorded restart went: first the fallbacks serve its
//! replicas (fresh values), then its own vnodes serve their old copies (stale values), then
//! the handoff gives them what the fallbacks got, and nothing stale is read again.

mod support;

use riak_standin::Rejoin;
use std::time::{Duration, Instant};
use support::*;

#[test]
fn a_restarted_node_reads_fresh_then_stale_in_its_window_then_fresh_for_good() {
    let cluster = cluster();
    let keys: Vec<String> = (0..400).map(|i| format!("r{i}")).collect();
    write_all(&cluster, 0, &keys, 1);
    cluster.stop(1);
    write_all(&cluster, 0, &keys, 2);
    // Wide windows: time itself is under test here.
    let (vnodes_after, handoff) = (Duration::from_millis(300), Duration::from_millis(900));
    let restarted = Instant::now();
    cluster
        .restart_with(
            1,
            Rejoin {
                vnodes_after,
                handoff,
            },
        )
        .unwrap();
    let addr = cluster.node(1).pbc_addr;
    let mut stale = 0;
    // Each key read once (a read repairs it), through the returning node with r=1: its own
    // replica answers first once its vnodes are back.
    for key in &keys {
        let start = restarted.elapsed();
        let frame = get_frame(key, &[(3, 1), (6, 0)]);
        let (answer, _) = pbc(addr, &frame, Duration::from_secs(10)).expect("an answer");
        let end = restarted.elapsed();
        let meaning = pbc_meaning(&answer);
        if meaning == format!("found {}", value(key, 1)) {
            stale += 1;
            assert!(
                end >= vnodes_after && start < handoff,
                "{key} stale at {start:?}..{end:?}"
            );
        } else {
            assert_eq!(meaning, format!("found {}", value(key, 2)), "{key}");
        }
        if start > handoff + Duration::from_millis(300) {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(stale > 0, "stale values were read in the window");
    assert!(
        restarted.elapsed() > handoff,
        "the reads went past the handoff"
    );
}
