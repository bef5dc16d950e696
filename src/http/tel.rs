//! A number as the pages show it (inside the `tel:` link of `page::tel_link`): grouped the way
//! its country writes it, from libphonenumber's metadata. The stored value and the JSON never
//! change; only what a person reads does.

use phonenumber::Mode;

/// The number grouped for reading (`+358 40 8053254`) when it has a country code that
/// libphonenumber knows and is valid there; as stored otherwise (a local number has no
/// country to group it by).
pub(crate) fn grouped(number: &str) -> String {
    if !number.starts_with('+') {
        return number.to_string();
    }
    match phonenumber::parse(None, number) {
        Ok(parsed) if phonenumber::is_valid(&parsed) => {
            parsed.format().mode(Mode::International).to_string()
        }
        _ => number.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_where_their_country_is_known() {
        for (stored, shown) in [
            ("+358408053254", "+358 40 8053254"),
            ("+14155552671", "+1 415-555-2671"),
            ("+442079460958", "+44 20 7946 0958"),
        ] {
            assert_eq!(grouped(stored), shown, "{stored}");
        }
    }

    #[test]
    fn other_numbers_show_as_stored() {
        for stored in ["112", "0408053254", "+999123456", "+358123"] {
            assert_eq!(grouped(stored), stored);
        }
    }
}
