//! Swedish personal identity numbers in free text, so that no record ever carries one.
//!
//! Samverka's records hold names, roles and members, never a personnummer or a
//! samordningsnummer (the number the Swedish Tax Agency gives a person who is not, or not yet,
//! registered as living in Sweden). Support cases, needs and outage notices are written by
//! people who work with the social services' clients, so every free-text field of those kinds is
//! searched with [`find`] and a record holding one is refused before anything is signed.
//!
//! # What counts as a number
//!
//! A maximal run of ASCII digits, optionally split once by `-`, `+` or one space, that reads as
//!
//! - ten digits `YYMMDD` `NNNC` (`811218-9876`, `8112189876`, `811218+9876`), or
//! - twelve digits `CCYYMMDD` `NNNC` with the century `18`, `19` or `20` (`19811218-9876`),
//!
//! where, over the ten digits `YYMMDDNNNC`:
//!
//! - `MM` is a month, `01`–`12`;
//! - `DD` is a day of that month (`29` allowed in February whatever the year, since the ten-digit
//!   form does not say the century), or that day plus 60 for a samordningsnummer (`61`–`91`);
//! - `C` is the Luhn check digit of the nine digits before it (the weights 2, 1, 2, 1, …).
//!
//! The split must come between the date and the four last digits, where people write it. A run
//! that is part of a longer run of digits (an invoice number, a phone number) is not a match, so
//! a thirteen-digit run is never one. A ten-digit mobile number (`07…`) reads as a date and is
//! refused when its last digit happens to be the check digit, one in ten of them. The rules are deliberately wider than the Tax Agency's register (a number that was
//! never issued but has a valid shape is still refused): a false refusal costs a person a rewrite,
//! a missed number puts a client's identity in every member's node for ever.

/// What was found, and where: for an error message that lets the writer find and remove it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    /// The kind of number.
    pub kind: NumberKind,
    /// Its position in the text, counted in characters from 0.
    pub at: usize,
}

/// Which of the two person numbers a match is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberKind {
    /// A personnummer: the day is the day of birth.
    Personnummer,
    /// A samordningsnummer: the day of birth plus 60.
    Samordningsnummer,
}

/// The first personal identity number in `text`, if any (see the module doc for what counts).
pub fn find(text: &str) -> Option<Found> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() || (i > 0 && chars[i - 1].is_ascii_digit()) {
            i += 1;
            continue;
        }
        if let Some(kind) = number_at(&chars[i..]) {
            return Some(Found { kind, at: i });
        }
        i += 1;
    }
    None
}

/// Whether a run starting at `s[0]` (a digit not preceded by one) is a person number.
fn number_at(s: &[char]) -> Option<NumberKind> {
    let run = |from: usize| s[from.min(s.len())..].iter().take_while(|c| c.is_ascii_digit()).count();
    let first = run(0);
    let mut digits: Vec<u32> = s[..first].iter().filter_map(|c| c.to_digit(10)).collect();
    // A split after the date: `YYMMDD-NNNN` or `CCYYMMDD-NNNN`.
    if (first == 6 || first == 8) && matches!(s.get(first), Some('-' | '+' | ' ')) && run(first + 1) == 4 {
        digits.extend(s[first + 1..first + 5].iter().filter_map(|c| c.to_digit(10)));
    }
    let ten = match digits.len() {
        10 => &digits[..],
        12 if matches!((digits[0], digits[1]), (1, 8) | (1, 9) | (2, 0)) => &digits[2..],
        _ => return None,
    };
    let month = ten[2] * 10 + ten[3];
    let day = ten[4] * 10 + ten[5];
    let (kind, day) =
        if day > 60 { (NumberKind::Samordningsnummer, day - 60) } else { (NumberKind::Personnummer, day) };
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 => 29,
        _ => return None,
    };
    if day == 0 || day > days_in_month || !luhn_valid(ten) {
        return None;
    }
    Some(kind)
}

/// Whether ten digits end in the Luhn check digit of the nine before it (every other digit from
/// the first doubled, the digit sum taken): the check of personnummer and organisationsnummer.
pub(crate) fn luhn_valid(ten: &[u32]) -> bool {
    let sum: u32 = ten.iter().enumerate().map(|(i, d)| if i % 2 == 0 { (d * 2) / 10 + (d * 2) % 10 } else { *d }).sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> Option<NumberKind> {
        find(text).map(|f| f.kind)
    }

    #[test]
    fn every_written_form_is_found() {
        // 811218-9876 is the Tax Agency's example personnummer.
        for text in [
            "811218-9876",
            "8112189876",
            "811218+9876",
            "811218 9876",
            "19811218-9876",
            "198112189876",
            "Klienten (811218-9876) ringde",
        ] {
            assert_eq!(kind(text), Some(NumberKind::Personnummer), "{text}");
        }
        assert_eq!(find("Klienten 811218-9876"), Some(Found { kind: NumberKind::Personnummer, at: 9 }));
        assert_eq!(find("åäö 811218-9876").map(|f| f.at), Some(4), "counted in characters, not bytes");
        // 701063-2391: born 1970-10-03, samordningsnummer (day + 60).
        assert_eq!(kind("701063-2391"), Some(NumberKind::Samordningsnummer));
    }

    #[test]
    fn what_is_not_a_person_number_passes() {
        for text in [
            "811218-9875",      // wrong check digit
            "811318-9874",      // month 13
            "810231-9876",      // 31 February
            "811200-9878",      // day 0
            "212000-0142",      // an organisationsnummer (month 20)
            "0701234567",       // a mobile number whose last digit is no check digit
            "1811218-98765",    // part of longer runs
            "2026-11-30",       // a date
            "1 234 567,50 kr",  // an amount
            "ärende 811218-98", // too short after the split
            "17811218-9876",    // no such century
            "",
        ] {
            assert_eq!(find(text), None, "{text}");
        }
    }

    #[test]
    fn a_later_number_is_found_after_a_near_miss() {
        assert_eq!(find("tel 0701234567, pnr 811218-9876").map(|f| f.at), Some(20));
    }
}
