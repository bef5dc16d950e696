//! The small CSV dialect of the data files: a header row, comma-separated fields, `\n` line ends.
//!
//! Fields holding a comma, a quote or a line break are quoted (`"` doubled inside), as RFC 4180
//! says; the reader accepts that and `\r\n`. Hand-written because the files are tiny and flat, and
//! because the writer's exact bytes are part of the data sets' reproducibility.

use crate::error::{io_context, Error, Result};
use std::io::Write;
use std::path::Path;

/// Writes one row, quoting fields that need it.
pub fn write_row(out: &mut impl Write, fields: &[&str]) -> std::io::Result<()> {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        if field.contains([',', '"', '\n', '\r']) {
            write!(out, "\"{}\"", field.replace('"', "\"\""))?;
        } else {
            out.write_all(field.as_bytes())?;
        }
    }
    out.write_all(b"\n")
}

/// A buffered writer to `path`, or to stdout when there is none.
pub fn create(path: Option<&Path>) -> Result<Box<dyn Write>> {
    Ok(match path {
        Some(path) => {
            let file = std::fs::File::create(path).map_err(io_context(path.display()))?;
            Box::new(std::io::BufWriter::new(file))
        }
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    })
}

/// Reads a file whose first row must be exactly `header`; returns the other rows, each with
/// exactly as many fields as the header.
pub fn read(path: &Path, header: &[&str]) -> Result<Vec<Vec<String>>> {
    let text = std::fs::read_to_string(path).map_err(io_context(path.display()))?;
    parse(&text, header).map_err(|e| Error::new(format!("{}: {e}", path.display())))
}

/// Parses CSV text; see [`read`].
pub fn parse(text: &str, header: &[&str]) -> Result<Vec<Vec<String>>> {
    let mut rows = records(text)?.into_iter();
    match rows.next() {
        Some(first) if first == header => {}
        Some(first) => {
            return Err(Error::new(format!(
                "the header is {first:?}, expected {header:?}"
            )))
        }
        None => return Err(Error::new("empty file (no header)")),
    }
    rows.enumerate()
        .map(|(i, row)| {
            if row.len() == header.len() {
                Ok(row)
            } else {
                Err(Error::new(format!(
                    "row {}: {} fields, expected {}",
                    i + 2,
                    row.len(),
                    header.len()
                )))
            }
        })
        .collect()
}

/// Splits text into records of fields; blank lines are skipped.
fn records(text: &str) -> Result<Vec<Vec<String>>> {
    let mut rows = Vec::new();
    let (mut row, mut field) = (Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                if row != [""] {
                    rows.push(std::mem::take(&mut row));
                }
                row.clear();
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(Error::new("a quoted field is never closed"));
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_with_quoting() {
        let mut out = Vec::new();
        write_row(&mut out, &["name", "number"]).unwrap();
        write_row(&mut out, &["Åsa Öberg", "+46701234567"]).unwrap();
        write_row(&mut out, &["Doe, \"Jr\"", "112"]).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "name,number\nÅsa Öberg,+46701234567\n\"Doe, \"\"Jr\"\"\",112\n"
        );
        let rows = parse(&text, &["name", "number"]).unwrap();
        assert_eq!(rows[1], ["Doe, \"Jr\"", "112"]);
        let crlf = parse("name,number\r\nA,1\r\n\r\nB,2", &["name", "number"]).unwrap();
        assert_eq!(crlf, [["A", "1"], ["B", "2"]]);
    }

    #[test]
    fn bad_files_are_refused() {
        assert!(parse("", &["a"]).is_err());
        assert!(parse("x,y\n", &["name", "number"]).is_err());
        assert!(parse("a,b\n1\n", &["a", "b"]).is_err());
        assert!(parse("a,b\n\"1,2\n", &["a", "b"]).is_err());
    }
}
