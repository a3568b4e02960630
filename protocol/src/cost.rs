//! The cost key (fördelningsnyckel) and the split of a budget to the öre.
//!
//! A budget times a [`Key`] gives each member's amount in whole öre, summing exactly to the
//! budget, by largest remainder with a total tie-break ([`split`]): every node computes the same
//! invoice basis from the same key, whatever the order the members were given in. Amounts are
//! integers ([`Ore`]); weights are exact decimals ([`Weight`]); nothing is a float. Every key
//! that does not hold together is refused with one [`Violation`] with a stable code.
//! `docs/cost.md` is the normative description of the rule.

use std::cmp::Ordering;
use std::fmt;

/// Most members one key may name (Sweden has 290 kommuner and 21 regions).
pub const MAX_KEY_MEMBERS: usize = 512;
/// Largest budget: 10 000 000 000,00 SEK, in öre. Bounds the exact arithmetic (see `docs/cost.md`).
pub const MAX_AMOUNT_ORE: i64 = 1_000_000_000_000;
/// Largest weight of one member, in whole units (a population, a licence count, a percent).
pub const MAX_WEIGHT_UNITS: i64 = 1_000_000_000;
/// Most decimals a weight may carry; weights are held in millionths.
pub const MAX_WEIGHT_DECIMALS: u32 = 6;
/// Longest member name or id in a key, in bytes.
pub const MAX_MEMBER_BYTES: usize = 128;
/// Longest text parsed as an amount or a weight, in bytes.
pub const MAX_NUMBER_BYTES: usize = 32;
/// How far the percents of a [`Basis::Percent`] key may sum from 100, in millionths of a
/// percentage point: 0.01 points.
pub const PERCENT_TOLERANCE: Weight = Weight(10_000);

/// Millionths per weight unit.
const WEIGHT_SCALE: i64 = 1_000_000;
/// One hundred percent, in millionths.
const HUNDRED_PERCENT: i64 = 100 * WEIGHT_SCALE;

/// An amount in öre (1/100 SEK). Parsed from and printed as SEK with a decimal comma.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Ore(pub i64);

impl Ore {
    /// Parses SEK as people write it: `1 500 000,00`, `1500000.00`, `1500000`, `8,5`. Spaces
    /// (also no-break) group thousands; at most two decimals; not negative; at most
    /// [`MAX_AMOUNT_ORE`].
    pub fn parse_sek(text: &str) -> Result<Ore, Violation> {
        let bad = |reason: &'static str| Violation::BadAmount { text: clip(text), reason };
        let fixed = parse_decimal(text, 2).map_err(bad)?;
        if fixed < 0 {
            return Err(bad("an amount is not negative"));
        }
        if fixed > MAX_AMOUNT_ORE {
            return Err(Violation::AmountTooLarge { ore: fixed, max: MAX_AMOUNT_ORE });
        }
        Ok(Ore(fixed))
    }

    /// The amount as `1500000,00`: decimal comma, two decimals, no grouping (for CSV files).
    pub fn plain(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{},{:02}", abs / 100, abs % 100)
    }
}

impl fmt::Display for Ore {
    /// `1 500 000,00`: thousands grouped by a space, decimal comma (Swedish).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let abs = self.0.unsigned_abs();
        let whole = (abs / 100).to_string();
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
        for (i, digit) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                grouped.push(' ');
            }
            grouped.push(digit);
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}{grouped},{:02}", abs % 100)
    }
}

/// A member's weight in a key: an exact decimal held in millionths (`8,6` is 8 600 000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Weight(i64);

impl Weight {
    /// A whole number of units (a population, a licence count).
    pub fn whole(units: i64) -> Weight {
        Weight(units.saturating_mul(WEIGHT_SCALE))
    }

    /// A weight from millionths of a unit.
    pub fn from_millionths(millionths: i64) -> Weight {
        Weight(millionths)
    }

    /// The weight in millionths of a unit.
    pub fn millionths(self) -> i64 {
        self.0
    }

    /// Parses `8,6`, `40.6`, `1 234`, `-3` (a negative weight parses, and the key refuses it).
    /// At most [`MAX_WEIGHT_DECIMALS`] decimals and [`MAX_WEIGHT_UNITS`] units.
    pub fn parse(text: &str) -> Result<Weight, Violation> {
        let bad = |reason: &'static str| Violation::BadWeight { text: clip(text), reason };
        let fixed = parse_decimal(text, MAX_WEIGHT_DECIMALS).map_err(bad)?;
        if fixed.unsigned_abs() > (MAX_WEIGHT_UNITS * WEIGHT_SCALE).unsigned_abs() {
            return Err(bad("a weight is at most 1 000 000 000"));
        }
        Ok(Weight(fixed))
    }
}

impl fmt::Display for Weight {
    /// The shortest exact decimal with a decimal comma: `8,6`, `100`, `0,000001`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let scale = WEIGHT_SCALE.unsigned_abs();
        let (whole, frac) = (abs / scale, abs % scale);
        if frac == 0 {
            return write!(f, "{sign}{whole}");
        }
        let digits = format!("{frac:06}");
        write!(f, "{sign}{whole},{}", digits.trim_end_matches('0'))
    }
}

/// What a key's weights mean, and so how they are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// Fixed shares in percent: they sum to 100 within [`PERCENT_TOLERANCE`].
    Percent,
    /// Fixed shares as relative weights (any positive total).
    Weights,
    /// Per capita: each weight is the member's population, a whole number.
    PerCapita,
    /// Per licence or user count: each weight is a whole number.
    Licences,
    /// A fixed part (this percent of the budget, 0–100) split equally between the members, and
    /// the rest split by the weights.
    FixedPlusVariable {
        /// The fixed part, in percent of the budget.
        fixed_percent: Weight,
    },
}

impl Basis {
    /// The basis's name in keys and messages.
    pub fn name(self) -> &'static str {
        match self {
            Basis::Percent => "percent",
            Basis::Weights => "weights",
            Basis::PerCapita => "per-capita",
            Basis::Licences => "licences",
            Basis::FixedPlusVariable { .. } => "fixed-plus-variable",
        }
    }
}

/// One member's line in a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The member (a name or a kommunkod), as the key's author writes it.
    pub member: String,
    /// Its weight (a percent, a population, a licence count, a relative weight).
    pub weight: Weight,
}

impl Entry {
    /// An entry.
    pub fn new(member: impl Into<String>, weight: Weight) -> Entry {
        Entry { member: member.into(), weight }
    }
}

/// A checked cost key (fördelningsnyckel): a basis and one weight per member, each member once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    basis: Basis,
    entries: Vec<Entry>,
}

impl Key {
    /// Checks `entries` against `basis`; the first rule broken, in the order of `docs/cost.md`
    /// §3, is returned.
    pub fn new(basis: Basis, entries: Vec<Entry>) -> Result<Key, Violation> {
        if entries.is_empty() {
            return Err(Violation::NoMembers);
        }
        if entries.len() > MAX_KEY_MEMBERS {
            return Err(Violation::TooManyMembers { count: entries.len(), max: MAX_KEY_MEMBERS });
        }
        let mut seen = std::collections::BTreeSet::new();
        for entry in &entries {
            check_entry(basis, entry)?;
            if !seen.insert(entry.member.as_str()) {
                return Err(Violation::DuplicateMember { member: entry.member.clone() });
            }
        }
        let total: i64 = entries.iter().map(|e| e.weight.0).sum();
        if total == 0 {
            return Err(Violation::ZeroTotal);
        }
        match basis {
            Basis::Percent if (total - HUNDRED_PERCENT).abs() > PERCENT_TOLERANCE.0 => {
                Err(Violation::PercentSum { sum: Weight(total), tolerance: PERCENT_TOLERANCE })
            }
            Basis::FixedPlusVariable { fixed_percent } if !(0..=HUNDRED_PERCENT).contains(&fixed_percent.0) => {
                Err(Violation::FixedPartOutOfRange { percent: fixed_percent })
            }
            _ => Ok(Key { basis, entries }),
        }
    }

    /// The key's basis.
    pub fn basis(&self) -> Basis {
        self.basis
    }

    /// The members and their weights, in the order given.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Each member's weight in the combined split, over one common denominator (§2 of
    /// `docs/cost.md`): the weights themselves, or for a fixed part `p·W + (100 − p)·n·wᵢ`.
    fn effective_weights(&self) -> Vec<u128> {
        let weights = self.entries.iter().map(|e| u128::from(e.weight.0.unsigned_abs()));
        match self.basis {
            Basis::FixedPlusVariable { fixed_percent } => {
                let p = u128::from(fixed_percent.0.unsigned_abs());
                let rest = u128::from(HUNDRED_PERCENT.unsigned_abs()) - p;
                let n = self.entries.len() as u128;
                let total: u128 = self.entries.iter().map(|e| u128::from(e.weight.0.unsigned_abs())).sum();
                weights.map(|w| p * total + rest * n * w).collect()
            }
            _ => weights.collect(),
        }
    }
}

fn check_entry(basis: Basis, entry: &Entry) -> Result<(), Violation> {
    if entry.member.trim().is_empty() {
        return Err(Violation::BlankMember);
    }
    if entry.member.len() > MAX_MEMBER_BYTES {
        return Err(Violation::MemberTooLong { member: clip(&entry.member), max: MAX_MEMBER_BYTES });
    }
    if entry.weight.0 < 0 {
        return Err(Violation::NegativeWeight { member: entry.member.clone(), weight: entry.weight });
    }
    if entry.weight.0 > MAX_WEIGHT_UNITS * WEIGHT_SCALE {
        return Err(Violation::WeightTooLarge { member: entry.member.clone(), max: MAX_WEIGHT_UNITS });
    }
    if matches!(basis, Basis::PerCapita | Basis::Licences) && entry.weight.0 % WEIGHT_SCALE != 0 {
        return Err(Violation::NotWhole { member: entry.member.clone(), weight: entry.weight, basis: basis.name() });
    }
    Ok(())
}

/// One member's amount in a split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The member, as the key names it.
    pub member: String,
    /// Its amount, in öre.
    pub amount: Ore,
}

/// A budget split by a key: one line per member in the key's order, summing to the budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// The budget split.
    pub budget: Ore,
    /// Each member's amount, in the key's order.
    pub lines: Vec<Line>,
}

impl Split {
    /// The sum of the lines (equal to the budget: checked when the split is made).
    pub fn total(&self) -> Ore {
        Ore(self.lines.iter().map(|l| l.amount.0).sum())
    }
}

/// Splits `budget` by `key` to the öre, summing exactly to the budget (`docs/cost.md` §2).
///
/// Each member gets the floor of its exact share `budget · wᵢ / W`; the öre left over (fewer
/// than the members) go one each to the members with the largest remainder, ties broken by the
/// larger weight, then by the member's name in ascending byte order. The result depends on the
/// key's set of entries only, never their order.
pub fn split(budget: Ore, key: &Key) -> Result<Split, Violation> {
    if budget.0 < 0 {
        return Err(Violation::NegativeBudget { budget });
    }
    if budget.0 > MAX_AMOUNT_ORE {
        return Err(Violation::AmountTooLarge { ore: budget.0, max: MAX_AMOUNT_ORE });
    }
    let weights = key.effective_weights();
    let total: u128 = weights.iter().sum();
    assert!(total > 0, "a checked key has a positive total weight");
    let b = u128::from(budget.0.unsigned_abs());
    let mut parts: Vec<(u128, u128)> = weights
        .iter()
        .map(|&w| {
            // Bounded by the MAX_* limits: b ≤ 10¹², w ≤ 1.1·10²⁶ (docs/cost.md §4).
            let exact = b.checked_mul(w).expect("MAX_AMOUNT_ORE and MAX_WEIGHT_UNITS bound the product");
            (exact / total, exact % total)
        })
        .collect();
    let floors: u128 = parts.iter().map(|p| p.0).sum();
    let left = usize::try_from(b - floors).expect("fewer öre left over than members");
    assert!(left < weights.len().max(1), "largest remainder leaves fewer öre than members");
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|&i, &j| precedence(&parts, &weights, key, i, j));
    for &i in order.iter().take(left) {
        parts[i].0 += 1;
    }
    let lines = key
        .entries
        .iter()
        .zip(&parts)
        .map(|(entry, &(amount, _))| Line {
            member: entry.member.clone(),
            amount: Ore(i64::try_from(amount).expect("a share is at most the budget")),
        })
        .collect();
    let split = Split { budget, lines };
    assert_eq!(split.total(), budget, "a split sums to its budget");
    Ok(split)
}

/// Who gets a left-over öre first: larger remainder, then larger weight, then smaller name.
fn precedence(parts: &[(u128, u128)], weights: &[u128], key: &Key, i: usize, j: usize) -> Ordering {
    parts[j]
        .1
        .cmp(&parts[i].1)
        .then(weights[j].cmp(&weights[i]))
        .then_with(|| key.entries[i].member.as_bytes().cmp(key.entries[j].member.as_bytes()))
}

/// Parses a non-grouped decimal with at most `decimals` decimals into an integer scaled by
/// 10^`decimals`. Accepts a leading `-`, a decimal comma or point, and spaces between digits.
pub(crate) fn parse_decimal(text: &str, decimals: u32) -> Result<i64, &'static str> {
    if text.len() > MAX_NUMBER_BYTES {
        return Err("too long for a number");
    }
    let trimmed = text.trim();
    let (negative, body) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    let body: String = body.chars().filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}')).collect();
    let (whole, frac) = match body.split_once([',', '.']) {
        Some((w, f)) => (w, f),
        None => (body.as_str(), ""),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err("not a number (digits, then an optional decimal comma)");
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) || (body.len() > whole.len() && frac.is_empty()) {
        return Err("not a number (digits, then an optional decimal comma)");
    }
    if frac.len() > decimals as usize {
        return Err("too many decimals");
    }
    let scale = 10_i64.pow(decimals);
    let whole: i64 = whole.parse().map_err(|_| "too large")?;
    let frac_value: i64 = if frac.is_empty() { 0 } else { frac.parse().map_err(|_| "too large")? };
    let frac_scaled = frac_value * 10_i64.pow(decimals - frac.len() as u32);
    let value = whole.checked_mul(scale).and_then(|w| w.checked_add(frac_scaled)).ok_or("too large")?;
    Ok(if negative { -value } else { value })
}

/// A text cut to [`MAX_MEMBER_BYTES`] at a character boundary, for messages.
fn clip(text: &str) -> String {
    let mut end = text.len().min(MAX_MEMBER_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// Why a key, an amount or a split is refused: one variant per rule of `docs/cost.md` §3, each
/// with a stable [`Violation::code`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    /// The key names no member.
    #[error("the key names no member: add one line per member")]
    NoMembers,
    /// The key names more members than [`MAX_KEY_MEMBERS`].
    #[error("the key names {count} members, more than {max}")]
    TooManyMembers {
        /// Members named.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A member's name is blank.
    #[error("a member's name is blank: every line names its member")]
    BlankMember,
    /// A member's name is longer than [`MAX_MEMBER_BYTES`].
    #[error("the member name {member:?}… is longer than {max} bytes")]
    MemberTooLong {
        /// The start of the name.
        member: String,
        /// The limit.
        max: usize,
    },
    /// A member is named twice.
    #[error("{member} is named twice in the key: merge its lines into one")]
    DuplicateMember {
        /// The member.
        member: String,
    },
    /// A weight is negative.
    #[error("{member} has the negative weight {weight}: a weight is zero or more")]
    NegativeWeight {
        /// The member.
        member: String,
        /// Its weight.
        weight: Weight,
    },
    /// A weight is larger than [`MAX_WEIGHT_UNITS`].
    #[error("{member}'s weight is larger than {max}")]
    WeightTooLarge {
        /// The member.
        member: String,
        /// The limit.
        max: i64,
    },
    /// A per-capita or licence key has a weight with decimals.
    #[error("{member} has the weight {weight}, but a {basis} key counts whole people or licences")]
    NotWhole {
        /// The member.
        member: String,
        /// Its weight.
        weight: Weight,
        /// The key's basis.
        basis: &'static str,
    },
    /// The weights sum to zero.
    #[error("the weights sum to zero: at least one member must carry a share")]
    ZeroTotal,
    /// A percent key does not sum to 100 within [`PERCENT_TOLERANCE`].
    #[error("the percents sum to {sum}, not 100 (within {tolerance} points): correct the shares")]
    PercentSum {
        /// The sum, in percent.
        sum: Weight,
        /// The tolerance, in percentage points.
        tolerance: Weight,
    },
    /// A fixed part is not between 0 and 100 percent.
    #[error("the fixed part is {percent} %, not between 0 and 100")]
    FixedPartOutOfRange {
        /// The fixed part, in percent.
        percent: Weight,
    },
    /// The budget is negative.
    #[error("the budget {budget} SEK is negative")]
    NegativeBudget {
        /// The budget.
        budget: Ore,
    },
    /// An amount is over [`MAX_AMOUNT_ORE`].
    #[error("the amount {} SEK is larger than {} SEK", Ore(*ore), Ore(*max))]
    AmountTooLarge {
        /// The amount, in öre.
        ore: i64,
        /// The limit, in öre.
        max: i64,
    },
    /// A text is not an amount in SEK.
    #[error("{text:?} is not an amount in SEK ({reason}), e.g. 1 500 000,00")]
    BadAmount {
        /// The text (clipped).
        text: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A text is not a weight.
    #[error("{text:?} is not a weight ({reason}), e.g. 8,6 or 1234")]
    BadWeight {
        /// The text (clipped).
        text: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl Violation {
    /// The stable code of the rule broken (for APIs, logs and tests).
    pub fn code(&self) -> &'static str {
        match self {
            Violation::NoMembers => "no_members",
            Violation::TooManyMembers { .. } => "too_many_members",
            Violation::BlankMember => "blank_member",
            Violation::MemberTooLong { .. } => "member_too_long",
            Violation::DuplicateMember { .. } => "duplicate_member",
            Violation::NegativeWeight { .. } => "negative_weight",
            Violation::WeightTooLarge { .. } => "weight_too_large",
            Violation::NotWhole { .. } => "weight_not_whole",
            Violation::ZeroTotal => "zero_total_weight",
            Violation::PercentSum { .. } => "percent_sum",
            Violation::FixedPartOutOfRange { .. } => "fixed_part_out_of_range",
            Violation::NegativeBudget { .. } => "negative_budget",
            Violation::AmountTooLarge { .. } => "amount_too_large",
            Violation::BadAmount { .. } => "bad_amount",
            Violation::BadWeight { .. } => "bad_weight",
        }
    }
}
