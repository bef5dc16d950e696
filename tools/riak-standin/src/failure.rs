//! Why a ring cluster could not do a request, as Riak says it: the error term of an
//! `RpbErrorResp`, and the HTTP answer with its recorded status, headers and text.

use crate::response::Response;

/// Why the cluster could not do a request: Riak's error terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    Timeout,
    RVal(u32, u32),
    PrVal(u32, u32),
    WVal(u32, u32),
    DwVal(u32, u32),
    PwVal(u32, u32),
    /// Replicas reachable, replicas needed.
    Insufficient(u32, u32),
    NValViolation(u32),
}

impl Failure {
    /// The `RpbErrorResp` message, as Riak formats the term.
    pub fn pbc(self) -> String {
        match self {
            Failure::Timeout => "timeout".into(),
            Failure::RVal(want, got) => format!("{{r_val_unsatisfied,{want},{got}}}"),
            Failure::PrVal(want, got) => format!("{{pr_val_unsatisfied,{want},{got}}}"),
            Failure::WVal(want, got) => format!("{{w_val_unsatisfied,{want},{got}}}"),
            Failure::DwVal(want, got) => format!("{{dw_val_unsatisfied,{want},{got}}}"),
            Failure::PwVal(want, got) => format!("{{pw_val_unsatisfied,{want},{got}}}"),
            Failure::Insufficient(have, need) => {
                format!("{{insufficient_vnodes,{have},need,{need}}}")
            }
            Failure::NValViolation(n) => format!("{{n_val_violation,{n}}}"),
        }
    }

    /// The HTTP answer: 503 with Riak's text (a write's answer carries `Vary` and, for a
    /// primary-quorum failure, the request's content type, as recorded).
    pub fn http(self, write: Option<&str>) -> Response {
        let (status, text) = match self {
            Failure::Timeout => (503, "request timed out\n".to_string()),
            Failure::RVal(want, got) => (503, format!("R-value unsatisfied: {got}/{want}\n")),
            Failure::PrVal(want, got) => (503, format!("PR-value unsatisfied: {got}/{want}\n")),
            Failure::WVal(want, got) => (503, format!("W-value unsatisfied: {got}/{want}\n")),
            Failure::DwVal(want, got) => (503, format!("DW-value unsatisfied: {got}/{want}\n")),
            Failure::PwVal(want, got) => (503, format!("PW-value unsatisfied: {got}/{want}\n")),
            Failure::Insufficient(have, need) => (
                503,
                format!("Insufficient vnodes: {have} available, {need} needed\n"),
            ),
            Failure::NValViolation(n) => (
                400,
                format!("Specified w/dw/pw/r/pr values invalid for bucket n value of {n}\n"),
            ),
        };
        let content_type = match (write, self) {
            (Some(ct), Failure::PwVal(..)) => ct,
            _ => "text/plain",
        };
        Response::riak(status, content_type, text, write.is_some())
    }
}
