//! Organisationsnummer: the ten-digit number that names a Swedish organisation, checked so that
//! an outside party is named by it and never by a personnummer.

use super::Violation;

/// Checks `NNNNNN-NNNN`: ten ASCII digits with a hyphen after the sixth, the third digit 2 or
/// more (a personnummer's third digit, its month's first, is 0 or 1: refused as
/// [`Violation::Personnummer`]), and the tenth digit the Luhn check digit of the first nine.
pub fn check_organisationsnummer(number: &str) -> Result<(), Violation> {
    let b = number.as_bytes();
    let shaped = b.len() == 11 && b[6] == b'-' && b.iter().enumerate().all(|(i, c)| i == 6 || c.is_ascii_digit());
    if !shaped {
        return Err(Violation::BadOrganisationsnummer);
    }
    let digits: Vec<u32> = b.iter().filter(|c| c.is_ascii_digit()).map(|c| u32::from(c - b'0')).collect();
    if digits[2] < 2 {
        return Err(Violation::Personnummer);
    }
    if !crate::identity::luhn_valid(&digits) {
        return Err(Violation::BadOrganisationsnummer);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organisationsnummer() {
        // Region Stockholm, Stockholms stad, Luleå kommun.
        for ok in ["232100-0016", "212000-0142", "212000-2726"] {
            assert_eq!(check_organisationsnummer(ok), Ok(()), "{ok}");
        }
        for bad in ["232100-0017", "2321000016", "232100 0016", "232100-001", "23210a-0016", ""] {
            assert_eq!(check_organisationsnummer(bad), Err(Violation::BadOrganisationsnummer), "{bad}");
        }
        // A personnummer-shaped number (month 12) is refused as such, check digit or not.
        assert_eq!(check_organisationsnummer("811218-9876"), Err(Violation::Personnummer));
    }
}
