//! The stand-in's behaviours of a real cluster, checked against the captures and Riak's
//! protocol: the start-up phase answers byte for byte like `startup.json`, `notfound_ok` and
//! bucket properties through both APIs, fallback reads while a node restarts, injected errors,
//! and the real profile's pacing (its speed itself is shown by `riak-bench`, not asserted here).

use crate::support::riak::{captures, hex, riak_http};
use crate::support::{poll, raw};
use phonebook::store::riak::wire::read_frame;
use riak_standin::{Fault, Profile, Standin, StandinOptions};
use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// One PBC request on a fresh connection: the whole answer frame.
fn pbc(node: &Standin, request: &[u8]) -> Vec<u8> {
    let mut conn = TcpStream::connect(node.pbc_addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    conn.write_all(request).unwrap();
    let (code, body) = read_frame(&mut conn).unwrap();
    let mut frame = ((body.len() + 1) as u32).to_be_bytes().to_vec();
    frame.push(code);
    frame.extend_from_slice(&body);
    frame
}

/// A raw HTTP answer without its `Date` header (the only part that differs by nature).
fn without_date(answer: &str) -> String {
    let lines = answer.split("\r\n").filter(|l| !l.starts_with("Date:"));
    lines.collect::<Vec<_>>().join("\r\n")
}

#[test]
fn a_starting_node_answers_exactly_like_the_captured_start_up() {
    let node = Standin::start(StandinOptions {
        startup: Duration::from_secs(120),
        ..StandinOptions::default()
    })
    .unwrap();
    let all = captures("startup.json");
    let exchanges = all["exchanges"].as_array().unwrap();
    // Until the first successful get: the start-up answers.
    let starting = exchanges.iter().take_while(|e| {
        let ok_get = e["response_hex"]
            .as_str()
            .is_some_and(|h| !h.starts_with("0000001c"));
        e["what"] != "pbc_get" || !ok_get
    });
    let mut checked = 0;
    for ex in starting {
        let what = ex["what"].as_str().unwrap();
        if let Some(request) = ex["request_hex"].as_str() {
            let answer = pbc(&node, &hex(request));
            assert_eq!(answer, hex(ex["response_hex"].as_str().unwrap()), "{what}");
        } else {
            let request = ex["request"].as_str().unwrap();
            let answer = raw(&node.http_addr.to_string(), request.as_bytes());
            let want = without_date(ex["response"].as_str().unwrap());
            assert_eq!(without_date(&answer), want, "{what}");
        }
        checked += 1;
    }
    assert_eq!(
        checked, 5,
        "ping, get, put, HTTP get and ping while starting"
    );
    assert_eq!(
        node.starting_requests(),
        [
            "pbc 9 John Doe",
            "pbc 11 Jane Roe",
            "http GET /buckets/phonebook/keys/John%20Doe",
            "http GET /ping"
        ]
    );
}

#[test]
fn a_node_serves_after_its_start_up_phase_and_again_after_a_resume() {
    let node = Standin::start(StandinOptions {
        // Long enough that the first request comes within it, however loaded the machine.
        startup: Duration::from_secs(3),
        ..StandinOptions::default()
    })
    .unwrap();
    let get = hex("00000016090a0970686f6e65626f6f6b12084a6f686e20446f65");
    assert_eq!(pbc(&node, &get)[4], 0, "an error answer while starting");
    let mut answer = Vec::new();
    poll(Duration::from_secs(10), || {
        answer = pbc(&node, &get);
        answer[4] != 0
    });
    assert_eq!(answer, [0, 0, 0, 1, 10], "not found, once started");
    node.stop();
    node.resume().unwrap();
    assert_eq!(pbc(&node, &get)[4], 0, "starting again after a resume");
    assert_eq!(riak_http(&node, "GET", "/ping", &[], "").0, 404);
}

#[test]
fn bucket_properties_and_notfound_ok_through_both_apis() {
    let node = Standin::start(StandinOptions {
        allow_mult: vec!["multi".into()],
        ..StandinOptions::default()
    })
    .unwrap();
    // RpbGetBucketReq {bucket: "multi"} → RpbGetBucketResp {props {n_val 3, allow_mult, lww}}.
    let props = |bucket: &str| {
        let mut req = vec![
            0,
            0,
            0,
            (bucket.len() + 3) as u8,
            19,
            10,
            bucket.len() as u8,
        ];
        req.extend_from_slice(bucket.as_bytes());
        pbc(&node, &req)
    };
    assert_eq!(props("multi"), hex("00000009140a06080310011800"));
    assert_eq!(props("plain"), hex("00000009140a06080310001800"));
    let (status, _, body) = riak_http(&node, "GET", "/buckets/multi/props", &[], "");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((status, &json["props"]["allow_mult"]), (200, &true.into()));
    let (_, _, body) = riak_http(&node, "GET", "/buckets/plain/props", &[], "");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["props"]["allow_mult"], false);
    // notfound_ok=false (field 6 = 0) of an absent key: still a plain not-found answer.
    let strict = hex("00000009090a016212016b3000");
    assert_eq!(pbc(&node, &strict[..]), [0, 0, 0, 1, 10]);
    let strict_http = "/buckets/b/keys/k?notfound_ok=false";
    assert_eq!(riak_http(&node, "GET", strict_http, &[], "").0, 404);
}

#[test]
fn reads_meet_fallbacks_only_with_notfound_ok_while_a_node_restarts() {
    let options = StandinOptions {
        fallback_rate: 0.2,
        quorum_errors: 2,
        settle: Duration::from_secs(120),
        ..StandinOptions::default()
    };
    let first = Standin::start(options.clone()).unwrap();
    let second = Standin::start(StandinOptions {
        db: Some(first.db()),
        ..options
    })
    .unwrap();
    let json = [("Content-Type", "application/json")];
    riak_http(&first, "PUT", "/buckets/b/keys/k", &json, "{}");
    let count = |query: &str, status: u16| {
        let path = format!("/buckets/b/keys/k{query}");
        let answers = (0..200).map(|_| riak_http(&first, "GET", &path, &[], "").0);
        answers.filter(|s| *s == status).count()
    };
    assert_eq!(count("", 404), 0, "nothing is away yet");
    second.stop();
    let misses = count("", 404);
    assert!((15..70).contains(&misses), "about 20 % fallbacks: {misses}");
    assert_eq!(
        count("?notfound_ok=false", 404),
        0,
        "strict reads never miss"
    );
    second.resume().unwrap();
    assert_eq!(
        count("?notfound_ok=false", 200),
        200,
        "the quorum errors were given"
    );
    let got = count("", 404);
    assert!(got > 0, "settling still meets fallbacks");
}

#[test]
fn injected_errors_answer_for_a_count_and_spare_ping() {
    let node = Standin::start(StandinOptions::default()).unwrap();
    node.inject(Some(Fault {
        message: "overload".into(),
        http_status: 503,
        count: Some(2),
    }));
    let ping = riak_http(&node, "GET", "/ping", &[], "");
    assert_eq!(ping.0, 200);
    let path = "/buckets/b/keys/k";
    let first = riak_http(&node, "GET", path, &[], "");
    assert_eq!((first.0, first.2.as_str()), (503, "Error:\noverload\n"));
    let get = hex("00000016090a0970686f6e65626f6f6b12084a6f686e20446f65");
    assert_eq!(pbc(&node, &get), hex("0000000d000a086f7665726c6f61641000"));
    assert_eq!(riak_http(&node, "GET", path, &[], "").0, 404, "two only");
}

#[test]
fn the_real_profile_paces_answers_without_spinning() {
    let node = Standin::start(StandinOptions {
        profile: Profile::Real,
        ..StandinOptions::default()
    })
    .unwrap();
    let get = hex("00000016090a0970686f6e65626f6f6b12084a6f686e20446f65");
    let mut conn = TcpStream::connect(node.pbc_addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let start = Instant::now();
    for _ in 0..20 {
        conn.write_all(&get).unwrap();
        read_frame(&mut conn).unwrap();
    }
    // A real get costs close to a millisecond: 20 cannot take less than 15 ms.
    assert!(start.elapsed() >= Duration::from_millis(15));
}
