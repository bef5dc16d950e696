//! Small helpers for parsing subcommand options with lexopt, shared by every subcommand.

use crate::error::{Error, Result};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// The option's value as UTF-8 text.
pub fn text(parser: &mut lexopt::Parser) -> Result<String> {
    parser
        .value()?
        .into_string()
        .map_err(|v| Error::new(format!("{v:?} is not valid UTF-8")))
}

/// The option's value as a path.
pub fn path(parser: &mut lexopt::Parser) -> Result<PathBuf> {
    Ok(PathBuf::from(parser.value()?))
}

/// The option's value parsed as a number (or anything else `FromStr`), named in the error.
pub fn number<T: FromStr>(parser: &mut lexopt::Parser, option: &str) -> Result<T> {
    let value = text(parser)?;
    value
        .parse()
        .map_err(|_| Error::new(format!("--{option}: {value:?} is not a valid number")))
}

/// The option's value as a duration: `500ms`, `10s`, `2m`, or plain seconds.
pub fn duration(parser: &mut lexopt::Parser, option: &str) -> Result<Duration> {
    let value = text(parser)?;
    parse_duration(&value).ok_or_else(|| {
        Error::new(format!(
            "--{option}: {value:?} is not a duration (e.g. 500ms, 10s, 2m)"
        ))
    })
}

/// Parses `500ms`, `10s`, `2m` or a plain number of seconds (fractions allowed).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (digits, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 0.001)
    } else if let Some(s) = text.strip_suffix('s') {
        (s, 1.0)
    } else if let Some(m) = text.strip_suffix('m') {
        (m, 60.0)
    } else {
        (text, 1.0)
    };
    let value: f64 = digits.trim().parse().ok()?;
    (value.is_finite() && value >= 0.0).then(|| Duration::from_secs_f64(value * scale))
}

/// The value of an option that must be given.
pub fn required<T>(value: Option<T>, option: &str) -> Result<T> {
    value.ok_or_else(|| Error::new(format!("--{option} is required (see --help)")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_several_units() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("10s"), Some(Duration::from_secs(10)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("-1s"), None);
        assert_eq!(parse_duration("soon"), None);
    }
}
