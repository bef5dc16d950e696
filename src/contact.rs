//! The contact and the rules its input obeys: a name, a number, and a query for a page of the
//! list. Every value from a client is validated here, so every path into the service accepts
//! and rejects exactly the same input. Why each name rule exists: docs/names.md.

use crate::error::Error;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory as Gc, UnicodeEmoji, UnicodeGeneralCategory};
use unicode_segmentation::UnicodeSegmentation;

/// Longest accepted name, in user-perceived characters (grapheme clusters, after trimming).
pub const MAX_NAME_GRAPHEMES: usize = 100;
/// Longest accepted name in UTF-8 bytes: a Riak key stays small and its percent-encoded URL
/// well inside the request-head limit (memcached keys over 250 bytes are hashed in any case).
pub const MAX_NAME_BYTES: usize = 400;
/// Most combining marks in a row on one character (more stack over the rows around).
pub const MAX_MARKS: usize = 4;
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

/// A name a client asked for: its stored form, and the spelling as given when that differs
/// (a contact saved before names were normalized is still found by it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    pub name: String,
    pub as_given: Option<String>,
}

impl Lookup {
    /// Validates a name to read or delete (the same rules as [`parse_name`]).
    pub fn parse(raw: &str) -> Result<Lookup, Error> {
        let name = parse_name(raw)?;
        let given = raw.trim();
        let as_given = (given != name).then(|| given.to_string());
        Ok(Lookup { name, as_given })
    }
}

fn bad_name(why: impl Into<String>) -> Error {
    Error::BadInput(format!("name: {}", why.into()))
}

/// Trims a name, puts it in Unicode NFC with each run of spaces as one U+0020, and checks it:
/// something visible, at most [`MAX_NAME_GRAPHEMES`] characters and [`MAX_NAME_BYTES`] bytes,
/// not `.` or `..`, no `/`, and no character that hides, reorders or fakes text. Letter case
/// is kept: "anna" and "Anna" are two contacts.
///
/// `/`, `.` and `..` are refused because the name is the last segment of `/contacts/{name}`:
/// such a name could be stored but never read back through a plain URL.
pub fn parse_name(raw: &str) -> Result<String, Error> {
    let name = spaces_folded(&raw.trim().nfc().collect::<String>());
    if name.is_empty() {
        return Err(bad_name("must not be empty"));
    }
    let graphemes = name.graphemes(true).count();
    if graphemes > MAX_NAME_GRAPHEMES {
        return Err(bad_name(format!(
            "at most {MAX_NAME_GRAPHEMES} characters, got {graphemes}"
        )));
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(bad_name(format!(
            "at most {MAX_NAME_BYTES} bytes of UTF-8, got {}",
            name.len()
        )));
    }
    if name == "." || name == ".." {
        return Err(bad_name("must not be \".\" or \"..\""));
    }
    if name.contains('/') {
        return Err(bad_name("must not contain '/'"));
    }
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if let Some(why) = refused(c, chars.get(i.wrapping_sub(1)), chars.get(i + 1)) {
            return Err(bad_name(format!(
                "must not contain {why} (U+{:04X})",
                u32::from(c)
            )));
        }
    }
    if marks_in_a_row(&chars) > MAX_MARKS {
        return Err(bad_name(format!(
            "at most {MAX_MARKS} combining marks on one character"
        )));
    }
    if !chars.iter().any(|&c| visible(c)) {
        return Err(bad_name("must have a visible character"));
    }
    Ok(name)
}

/// Each run of spaces (a no-break space, an ideographic space...) as one plain space.
fn spaces_folded(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let space = |c: char| c.general_category() == Gc::SpaceSeparator;
    for word in name.split(space).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Why a character is refused where it stands (between `before` and `after`), if it is.
fn refused(c: char, before: Option<&char>, after: Option<&char>) -> Option<&'static str> {
    let emoji = |c: Option<&char>| c.is_some_and(|&c| !c.is_ascii() && c.is_emoji_char());
    match c {
        '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{061C}' => return Some("a bidirectional control"),
        // A zero-width joiner joins emoji (a family, a rainbow flag), never letters.
        '\u{200D}' if (emoji(before) || before == Some(&'\u{FE0F}')) && emoji(after) => {
            return None
        }
        // A zero-width non-joiner between two letters is spelling (Persian, Indic scripts).
        '\u{200C}'
            if before.is_some_and(|c| c.is_alphabetic())
                && after.is_some_and(|c| c.is_alphabetic()) =>
        {
            return None
        }
        // Tag characters only in an emoji tag sequence (a subdivision flag).
        '\u{E0020}'..='\u{E007F}' if emoji(before) || before.is_some_and(|&b| is_tag(b)) => {
            return None
        }
        '\u{3164}' | '\u{FFA0}' => return Some("a Hangul filler"),
        _ => {}
    }
    if is_noncharacter(c) {
        return Some("a noncharacter");
    }
    match c.general_category() {
        Gc::Control => Some("a control character"),
        Gc::Format => Some("an invisible format character"),
        Gc::LineSeparator | Gc::ParagraphSeparator => Some("a line or paragraph separator"),
        Gc::PrivateUse => Some("a private-use character"),
        Gc::Unassigned => Some("an unassigned code point"),
        _ => None,
    }
}

fn is_tag(c: char) -> bool {
    matches!(c, '\u{E0020}'..='\u{E007F}')
}

/// The 66 code points Unicode reserves as never being characters.
fn is_noncharacter(c: char) -> bool {
    let c = u32::from(c);
    (0xFDD0..=0xFDEF).contains(&c) || c & 0xFFFE == 0xFFFE
}

/// The longest run of combining marks (nonspacing or enclosing) in the name.
fn marks_in_a_row(chars: &[char]) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for c in chars {
        let mark = matches!(c.general_category(), Gc::NonspacingMark | Gc::EnclosingMark);
        run = if mark { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

/// Whether a character draws something: not a space, a mark, a format character, or one of
/// the letters that are blank by design (Hangul fillers) or the blank Braille pattern.
fn visible(c: char) -> bool {
    let blank = matches!(
        c.general_category(),
        Gc::SpaceSeparator
            | Gc::NonspacingMark
            | Gc::EnclosingMark
            | Gc::Format
            | Gc::Control
            | Gc::LineSeparator
            | Gc::ParagraphSeparator
    );
    !blank && !matches!(c, '\u{115F}' | '\u{1160}' | '\u{2800}')
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
        // The prefix in the form names are stored in, so any spelling of it finds them.
        let prefix: String = prefix.unwrap_or("").trim_start().nfc().collect();
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
        if prefix.len() > MAX_NAME_BYTES {
            return Err(Error::BadInput("prefix: too long".into()));
        }
        if after.is_some_and(|a| a.len() > MAX_NAME_BYTES) {
            return Err(Error::BadInput("after: too long".into()));
        }
        Ok(PageQuery {
            prefix,
            after: after.map(str::to_string),
            limit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reason `parse_name` gives for refusing `raw`.
    fn refusal(raw: &str) -> String {
        parse_name(raw).unwrap_err().to_string()
    }

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
    fn every_spelling_of_a_name_is_stored_in_nfc() {
        let nfc = "\u{C5}sa";
        for (spelling, raw) in [
            ("NFC", nfc),
            ("NFD: A and U+030A COMBINING RING ABOVE", "A\u{30A}sa"),
            ("U+212B ANGSTROM SIGN", "\u{212B}sa"),
        ] {
            assert_eq!(parse_name(raw).unwrap(), nfc, "{spelling}");
        }
        let lookup = Lookup::parse("\u{212B}sa").unwrap();
        assert_eq!(lookup.name, nfc);
        assert_eq!(
            lookup.as_given.as_deref(),
            Some("\u{212B}sa"),
            "the old key"
        );
        assert_eq!(Lookup::parse(nfc).unwrap().as_given, None);
    }

    #[test]
    fn spaces_fold_into_one_and_case_stays() {
        for (what, raw) in [
            ("U+00A0 NO-BREAK SPACE", "John\u{A0}Doe"),
            ("two spaces", "John  Doe"),
            ("U+3000 IDEOGRAPHIC SPACE", "John\u{3000}Doe"),
        ] {
            assert_eq!(parse_name(raw).unwrap(), "John Doe", "{what}");
        }
        assert_eq!(parse_name("john doe").unwrap(), "john doe", "case is kept");
    }

    #[test]
    fn length_is_counted_in_graphemes_with_a_byte_cap() {
        let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}";
        assert!(
            parse_name(&family.repeat(15)).is_ok(),
            "15 people, 375 bytes"
        );
        assert_eq!(
            refusal(&family.repeat(17)),
            "name: at most 400 bytes of UTF-8, got 425"
        );
        assert!(
            parse_name(&"\u{1F600}".repeat(100)).is_ok(),
            "100 emoji, 400 bytes"
        );
        assert_eq!(
            refusal(&"\u{1F600}".repeat(101)),
            "name: at most 100 characters, got 101"
        );
        assert_eq!(
            refusal(&"e\u{301}".repeat(101)),
            "name: at most 100 characters, got 101",
            "NFC makes each one character"
        );
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
        let long = "é".repeat(201);
        let err = PageQuery::parse(Some(&long), None, None).unwrap_err();
        assert_eq!(err.to_string(), "prefix: too long");
        let err = PageQuery::parse(None, Some(&long), None).unwrap_err();
        assert_eq!(err.to_string(), "after: too long");
    }
}
