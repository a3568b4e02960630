//! Swedish conventions for what the pages show: dates `2026-11-30` and times `14.30` in
//! Europe/Stockholm, amounts `1 234 567,50 kr`, and names sorted with å, ä, ö after z.

use std::cmp::Ordering;

/// A claimed record time (ms since the epoch) as a date in Europe/Stockholm, `2026-11-30`.
pub fn date(time_ms: i64) -> String {
    zoned(time_ms).map_or_else(|| String::from("–"), |z| z.date().to_string())
}

/// A claimed record time as date and time in Europe/Stockholm, `2026-11-30 14.30`.
pub fn date_time(time_ms: i64) -> String {
    zoned(time_ms).map_or_else(|| String::from("–"), |z| format!("{} {:02}.{:02}", z.date(), z.hour(), z.minute()))
}

fn zoned(time_ms: i64) -> Option<jiff::Zoned> {
    let ts = jiff::Timestamp::from_millisecond(time_ms).ok()?;
    ts.in_tz("Europe/Stockholm").ok()
}

/// An amount in öre as kronor the Swedish way: `1 234 567,50 kr` (a no-break space between
/// thousands, as the typographic rules want).
pub fn kronor(ore: i64) -> String {
    let sign = if ore < 0 { "−" } else { "" };
    let ore = ore.unsigned_abs();
    format!("{sign}{},{:02} kr", grouped(ore / 100), ore % 100)
}

/// Person-days in hundredths of a day as people write them: `1 234`, `12,5`, `0,25` (whole
/// days grouped by no-break spaces, a decimal comma only when there is a fraction).
pub fn days(hundredths: u64) -> String {
    let (whole, frac) = (grouped(hundredths / 100), hundredths % 100);
    match frac {
        0 => whole,
        f if f % 10 == 0 => format!("{whole},{}", f / 10),
        f => format!("{whole},{f:02}"),
    }
}

/// A whole number with thousands separated by no-break spaces: `1 234 567`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    out
}

/// Compares names in Swedish alphabetical order: case-insensitive, å ä ö after z (and æ/ø as
/// ä/ö, ü as y, é as e, as Svenska Akademiens ordlista sorts them).
pub fn compare(a: &str, b: &str) -> Ordering {
    key(a).cmp(&key(b)).then_with(|| a.cmp(b))
}

fn key(s: &str) -> Vec<u32> {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'å' => 'z' as u32 + 1,
            'ä' | 'æ' => 'z' as u32 + 2,
            'ö' | 'ø' => 'z' as u32 + 3,
            'ü' => 'y' as u32,
            'é' | 'è' => 'e' as u32,
            other => other as u32,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_the_swedish_way() {
        assert_eq!(kronor(123_456_750), "1\u{a0}234\u{a0}567,50 kr");
        assert_eq!(kronor(5), "0,05 kr");
        assert_eq!(kronor(-100_000), "−1\u{a0}000,00 kr");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1\u{a0}000");
        assert_eq!(days(123_450), "1\u{a0}234,5");
        assert_eq!(days(25), "0,25");
        assert_eq!(days(2_600), "26");
    }

    #[test]
    fn dates_and_times_are_in_stockholm_time() {
        // 2026-11-30 13:30 UTC is 14.30 in Stockholm (winter time).
        let ms = 1_796_045_400_000;
        assert_eq!(date(ms), "2026-11-30");
        assert_eq!(date_time(ms), "2026-11-30 14.30");
    }

    #[test]
    fn a_a_and_o_with_rings_and_dots_sort_after_z() {
        let mut names = vec!["Övertorneå kommun", "Älvsbyns kommun", "Arjeplogs kommun", "Zinkgruvan", "Åre kommun"];
        names.sort_by(|a, b| compare(a, b));
        assert_eq!(names, ["Arjeplogs kommun", "Zinkgruvan", "Åre kommun", "Älvsbyns kommun", "Övertorneå kommun"]);
    }
}
