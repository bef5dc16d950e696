//! The contact and the rules its input obeys: a name, a number, and a query for a page of the
//! list. Every value from a client is validated here, so every path into the service accepts
//! and rejects exactly the same input.

use crate::error::Error;
use serde::{Deserialize, Serialize};

/// Longest accepted name, in characters (after trimming).
pub const MAX_NAME_CHARS: usize = 100;
/// Fewest and most digits a number may have (the ITU E.164 maximum is 15).
pub const MIN_DIGITS: usize = 3;
pub const MAX_DIGITS: usize = 15;
/// Most contacts one list page may ask for.
pub const MAX_PAGE: usize = 500;
/// Contacts a list page shows when the query does not say.
const DEFAULT_PAGE: usize = 50;

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

/// A validated query for one page of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageQuery {
    /// Names start with this (leading spaces dropped); empty for all.
    pub prefix: String,
    /// Names sort after this one; `None` for the first page.
    pub after: Option<String>,
    /// 1 to [`MAX_PAGE`].
    pub limit: usize,
}

impl PageQuery {
    /// Checks the raw `prefix`, `after` and `limit` of a list query (each absent or empty is
    /// the default: all names, the first page, 50).
    pub fn parse(
        prefix: Option<&str>,
        after: Option<&str>,
        limit: Option<&str>,
    ) -> Result<PageQuery, Error> {
        let prefix = prefix.unwrap_or("").trim_start();
        let after = after.filter(|a| !a.is_empty());
        let limit = match limit {
            None | Some("") => DEFAULT_PAGE,
            Some(text) => text
                .parse()
                .ok()
                .filter(|n| (1..=MAX_PAGE).contains(n))
                .ok_or_else(|| {
                    Error::BadInput(format!("limit: a whole number from 1 to {MAX_PAGE}"))
                })?,
        };
        if prefix.chars().count() > MAX_NAME_CHARS {
            return Err(Error::BadInput("prefix: too long".into()));
        }
        if after.is_some_and(|a| a.chars().count() > MAX_NAME_CHARS) {
            return Err(Error::BadInput("after: too long".into()));
        }
        Ok(PageQuery {
            prefix: prefix.to_string(),
            after: after.map(str::to_string),
            limit,
        })
    }
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

    #[test]
    fn a_page_query_has_defaults_and_bounds() {
        let query = PageQuery::parse(None, Some(""), None).unwrap();
        assert_eq!(
            (query.prefix.as_str(), query.after, query.limit),
            ("", None, 50)
        );
        let query = PageQuery::parse(Some("  Jo"), Some("Joe"), Some("500")).unwrap();
        assert_eq!(
            (query.prefix.as_str(), query.after.as_deref(), query.limit),
            ("Jo", Some("Joe"), 500)
        );
        for limit in ["0", "501", "-1", "ten"] {
            let err = PageQuery::parse(None, None, Some(limit)).unwrap_err();
            assert_eq!(err.to_string(), "limit: a whole number from 1 to 500");
        }
        let long = "é".repeat(101);
        let err = PageQuery::parse(Some(&long), None, None).unwrap_err();
        assert_eq!(err.to_string(), "prefix: too long");
        let err = PageQuery::parse(None, Some(&long), None).unwrap_err();
        assert_eq!(err.to_string(), "after: too long");
    }
}
