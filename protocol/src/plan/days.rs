//! Person-days (persondagar) as an exact fixed-point quantity: hundredths of a day, so that the
//! seeds' half days (`0,5 dagar`) are held exactly and no float ever prices a plan.

use std::fmt;
use std::ops::Add;

use serde::{Deserialize, Serialize};

use crate::cost::Ore;

/// Hundredths per person-day.
const SCALE: u64 = 100;

/// A number of person-days, held in hundredths of a day (`12,5` days is `Days(1250)`). Encodes as
/// one varint of the hundredths (`docs/plans.md` §1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Days(pub u64);

impl Days {
    /// No days.
    pub const ZERO: Days = Days(0);

    /// A whole number of days.
    pub const fn whole(days: u64) -> Days {
        Days(days * SCALE)
    }

    /// The days in hundredths of a day.
    pub const fn hundredths(self) -> u64 {
        self.0
    }

    /// Parses days as people write them: `12`, `12,5`, `0.25`, `1 234,5`. At most two decimals,
    /// not negative. The caller bounds the value.
    pub fn parse(text: &str) -> Result<Days, &'static str> {
        let value = crate::cost::parse_decimal(text, 2)?;
        u64::try_from(value).map(Days).map_err(|_| "person-days are not negative")
    }

    /// What these days cost at `rate` öre a day, rounded to the öre half to even
    /// (`docs/plans.md` §2): exact whenever `hundredths × rate` is a multiple of 100.
    pub fn price(self, rate: u64) -> Ore {
        let exact = u128::from(self.0) * u128::from(rate);
        let (whole, rest) = (exact / u128::from(SCALE), exact % u128::from(SCALE));
        let half = u128::from(SCALE) / 2;
        let up = rest > half || (rest == half && whole % 2 == 1);
        let ore = whole + u128::from(up);
        Ore(i64::try_from(ore).expect("bounded person-days and day rates give an amount within i64"))
    }
}

impl Add for Days {
    type Output = Days;

    fn add(self, other: Days) -> Days {
        Days(self.0 + other.0)
    }
}

impl fmt::Display for Days {
    /// The shortest exact decimal with a decimal comma: `26`, `12,5`, `0,25` (no grouping).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, frac) = (self.0 / SCALE, self.0 % SCALE);
        match frac {
            0 => write!(f, "{whole}"),
            f10 if f10 % 10 == 0 => write!(f, "{whole},{}", f10 / 10),
            _ => write!(f, "{whole},{frac:02}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_half_and_quarter_days() {
        for (text, hundredths, shown) in
            [("12", 1200, "12"), ("12,5", 1250, "12,5"), ("0.25", 25, "0,25"), ("1 234,50", 123_450, "1234,5")]
        {
            let d = Days::parse(text).expect("a number of days");
            assert_eq!(d, Days(hundredths));
            assert_eq!(d.to_string(), shown);
        }
        assert!(Days::parse("-1").is_err());
        assert!(Days::parse("0,125").is_err());
        assert!(Days::parse("tolv").is_err());
    }

    #[test]
    fn prices_exactly_or_half_to_even() {
        assert_eq!(Days(50).price(560_000), Ore(280_000));
        // 0,01 day × 1,50 kr = 1,5 öre → 2; 0,01 × 2,50 kr = 2,5 öre → 2; 0,01 × 2,51 = 2,51 → 3.
        assert_eq!(Days(1).price(150), Ore(2));
        assert_eq!(Days(1).price(250), Ore(2));
        assert_eq!(Days(1).price(251), Ore(3));
        assert_eq!(Days(1).price(249), Ore(2));
    }
}
