//! The contact: the one record phonebook stores, and the rules a valid one obeys.
//!
//! Validation lives here, and only here, so every path into the service (the form, JSON, the
//! aliases, the tools) accepts and rejects exactly the same input.

use crate::error::Error;
use serde::{Deserialize, Serialize};

/// Longest accepted name, in characters (after trimming).
pub const MAX_NAME_CHARS: usize = 100;
/// Fewest and most digits a number may have (the ITU E.164 maximum is 15).
pub const MIN_DIGITS: usize = 3;
pub const MAX_DIGITS: usize = 15;

/// A validated contact. Fields are serialized in this order: `name`, then `number`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub number: String,
}

impl Contact {
    /// Validates raw input and returns the contact in its stored (normalized) form.
    pub fn parse(name: &str, number: &str) -> Result<Contact, Error> {
        Ok(Contact {
            name: parse_name(name)?,
            number: parse_number(number)?,
        })
    }

    /// The contact as its canonical JSON object, `{"name":..,"number":..}`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a struct of two strings always serializes")
    }
}

/// Trims a name and checks it: 1 to 100 characters, no control characters, no `/`.
///
/// `/` is refused because the name is the last segment of `/contacts/{name}`; a name holding one
/// could be stored but never read back through a plain URL.
pub fn parse_name(raw: &str) -> Result<String, Error> {
    let name = raw.trim();
    let chars = name.chars().count();
    if chars == 0 {
        return Err(Error::BadInput("name: must not be empty".into()));
    }
    if chars > MAX_NAME_CHARS {
        return Err(Error::BadInput(format!(
            "name: at most {MAX_NAME_CHARS} characters, got {chars}"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::BadInput(
            "name: must not contain control characters".into(),
        ));
    }
    if name.contains('/') {
        return Err(Error::BadInput("name: must not contain '/'".into()));
    }
    Ok(name.to_string())
}

/// Normalizes a number (drops spaces, dashes, dots and parentheses) and checks that what is left
/// is an optional leading `+` and 3 to 15 digits.
pub fn parse_number(raw: &str) -> Result<String, Error> {
    let number: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let digits = number.strip_prefix('+').unwrap_or(&number);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::BadInput(
            "number: only digits, an optional leading '+', spaces, dashes, dots and parentheses"
                .into(),
        ));
    }
    if !(MIN_DIGITS..=MAX_DIGITS).contains(&digits.len()) {
        return Err(Error::BadInput(format!(
            "number: {MIN_DIGITS} to {MAX_DIGITS} digits, got {}",
            digits.len()
        )));
    }
    Ok(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(parse_name("  Åsa Öberg ").unwrap(), "Åsa Öberg");
        assert!(parse_name("   ").is_err());
        assert!(parse_name("a/b").is_err());
        assert!(parse_name("tab\there").is_err());
        assert!(parse_name(&"é".repeat(100)).is_ok());
        assert!(parse_name(&"é".repeat(101)).is_err());
    }

    #[test]
    fn numbers_are_normalized_and_checked() {
        assert_eq!(parse_number("+358 40-805.32(54)").unwrap(), "+358408053254");
        assert_eq!(parse_number("112").unwrap(), "112");
        assert!(parse_number("12").is_err());
        assert!(parse_number(&"1".repeat(16)).is_err());
        assert!(parse_number("+").is_err());
        assert!(parse_number("++123").is_err());
        assert!(parse_number("12a45").is_err());
        assert!(parse_number("١٢٣٤").is_err(), "only ASCII digits");
    }

    #[test]
    fn json_has_name_then_number() {
        let c = Contact::parse("John Doe", "+358408053254").unwrap();
        assert_eq!(
            c.to_json(),
            r#"{"name":"John Doe","number":"+358408053254"}"#
        );
    }
}
