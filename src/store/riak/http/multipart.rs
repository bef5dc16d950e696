//! The `multipart/mixed` body of Riak's 300 Multiple Choices: one part per sibling, each with
//! its `Last-Modified` (which decides the newest); tombstone parts are left out. Hand-written
//! because it is small and exact.

use super::Sibling;

/// The `boundary` parameter of a `multipart/mixed` content type.
pub(crate) fn boundary(content_type: &str) -> Option<String> {
    let (mime, params) = content_type.split_once(';')?;
    if !mime.trim().eq_ignore_ascii_case("multipart/mixed") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

/// The live siblings of a multipart body: each part is headers, a blank line, the value.
pub(crate) fn multipart(body: &[u8], boundary: &str) -> Vec<Sibling> {
    let delimiter = format!("--{boundary}");
    let mut out = Vec::new();
    // The first piece is the preamble; a piece starting with "--" follows the last part.
    for part in split(body, delimiter.as_bytes()).skip(1) {
        if part.starts_with(b"--") {
            break;
        }
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let Some(blank) = find(part, b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..blank]);
        let value = &part[blank + 4..];
        let value = value.strip_suffix(b"\r\n").unwrap_or(value);
        let mut modified = 0;
        let mut deleted = false;
        for line in head.lines() {
            let Some((name, v)) = line.split_once(':') else {
                continue;
            };
            match name.trim().to_ascii_lowercase().as_str() {
                "last-modified" => modified = crate::httpdate::parse(v.trim()).unwrap_or(0),
                "x-riak-deleted" => deleted = v.trim() == "true",
                _ => {}
            }
        }
        if !deleted {
            out.push(Sibling {
                value: value.to_vec(),
                modified,
            });
        }
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn split<'a>(mut hay: &'a [u8], sep: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        match find(hay, sep) {
            Some(at) => {
                let piece = &hay[..at];
                hay = &hay[at + sep.len()..];
                Some(piece)
            }
            None => {
                done = true;
                Some(hay)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_parse() {
        let ct = "multipart/mixed; boundary=KmVQ02EREdnTwSfr0WHlZg4Skue";
        assert_eq!(boundary(ct).as_deref(), Some("KmVQ02EREdnTwSfr0WHlZg4Skue"));
        assert_eq!(boundary("text/plain"), None);
    }
}
