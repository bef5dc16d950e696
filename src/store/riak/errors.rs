//! Riak's error answers, sorted into what they mean for the request: the one place that
//! classifies them. A node that does not serve yet (starting) counts as down, an answer that
//! means "not now" as unavailable, anything else as final. The classes and the answers in each:
//! docs/riak-cluster.md, "Error answers".

use super::Fail;

/// Words in Riak's error messages that mean "not now" rather than "not this".
const TRANSIENT: [&str; 10] = [
    "timeout",
    "insufficient_vnodes",
    "all_nodes_down",
    "overload",
    "r_val_unsatisfied",
    "w_val_unsatisfied",
    "pr_val_unsatisfied",
    "pw_val_unsatisfied",
    "dw_val_unsatisfied",
    "R-value unsatisfied",
];

fn transient(text: &str) -> bool {
    TRANSIENT.iter().any(|word| text.contains(word))
}

/// An `RpbErrorResp` message, classified.
pub(crate) fn pbc_error(addr: &str, msg: String) -> Fail {
    let msg = format!("{addr}: {msg}");
    if msg.contains("Unknown message code") {
        Fail::Down(msg)
    } else if transient(&msg) {
        Fail::Unavailable(msg)
    } else {
        Fail::Riak(msg)
    }
}

/// An HTTP answer with a status the request did not expect, classified.
pub(crate) fn http_error(addr: &str, status: u16, content_type: &str, body: &str) -> Fail {
    let msg = format!("{addr}: HTTP {status}: {}", body.trim());
    let riak_text = content_type.starts_with("text/plain");
    match status {
        404 if !riak_text => Fail::Down(msg),
        502..=504 => Fail::Unavailable(msg),
        500 if transient(body) || body.trim().is_empty() => Fail::Unavailable(msg),
        _ => Fail::Riak(msg),
    }
}

/// Whether a 404 is Riak's "no such key" (text/plain `not found`, or a tombstone).
pub(crate) fn is_not_found(content_type: &str, body: &[u8], deleted: bool) -> bool {
    deleted || (content_type.starts_with("text/plain") && body.trim_ascii() == b"not found")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(fail: Fail) -> &'static str {
        match fail {
            Fail::Down(_) => "down",
            Fail::Unavailable(_) => "unavailable",
            Fail::Riak(_) => "final",
            Fail::Busy(_) => "other",
        }
    }

    #[test]
    fn pbc_errors_fall_in_three_classes() {
        let cases = [
            ("Unknown message code: 9", "down"),
            ("timeout", "unavailable"),
            ("{insufficient_vnodes,0,need,2}", "unavailable"),
            ("all_nodes_down", "unavailable"),
            ("overload", "unavailable"),
            ("{r_val_unsatisfied,2,1}", "unavailable"),
            ("bad vclock", "final"),
            ("no_type", "final"),
        ];
        for (msg, want) in cases {
            assert_eq!(class(pbc_error("n", msg.into())), want, "{msg}");
        }
    }

    #[test]
    fn the_recorded_cluster_answers_of_a_node_fault_are_unavailable_never_down() {
        // faults.json: what a node relays while another is stopped or hung.
        for msg in [
            "timeout",
            "{r_val_unsatisfied,2,1}",
            "{pw_val_unsatisfied,2,1}",
        ] {
            assert_eq!(class(pbc_error("n", msg.into())), "unavailable", "{msg}");
        }
        for body in [
            "request timed out\n",
            "R-value unsatisfied: 1/2\n",
            "PW-value unsatisfied: 1/2\n",
            "Insufficient vnodes: 0 available, 2 needed\n",
        ] {
            let fail = http_error("n", 503, "text/plain", body);
            assert_eq!(class(fail), "unavailable", "{body}");
        }
    }

    #[test]
    fn http_errors_fall_in_three_classes() {
        let html = "text/html";
        let text = "text/plain";
        assert_eq!(class(http_error("n", 404, html, "<HTML>")), "down");
        assert_eq!(
            class(http_error("n", 404, text, "Unknown bucket type")),
            "final"
        );
        assert_eq!(
            class(http_error("n", 503, text, "request timed out")),
            "unavailable"
        );
        assert_eq!(class(http_error("n", 502, html, "")), "unavailable");
        assert_eq!(class(http_error("n", 504, html, "")), "unavailable");
        assert_eq!(
            class(http_error("n", 500, text, "Error:\noverload")),
            "unavailable"
        );
        assert_eq!(class(http_error("n", 500, text, "Error:\nbadarg")), "final");
        assert_eq!(class(http_error("n", 500, text, "")), "unavailable", "HEAD");
        assert_eq!(class(http_error("n", 400, text, "bad vclock")), "final");
        assert!(is_not_found(text, b"not found\n", false));
        assert!(is_not_found(html, b"", true), "a tombstone");
        assert!(!is_not_found(html, b"<HTML>", false));
        assert!(!is_not_found(text, b"Unknown bucket type: x", false));
    }
}
