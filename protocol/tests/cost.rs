//! The cost key and the split to the öre: the two seed cases (WebCare's Bilaga 4, Göteborg's
//! key), the tie-break, properties of the split, and one test per `cost::Violation`.

use std::collections::BTreeMap;

use proptest::prelude::*;
use samverka_protocol::cost::{
    split, Basis, Entry, Key, Ore, Violation, Weight, MAX_AMOUNT_ORE, MAX_KEY_MEMBERS, MAX_MEMBER_BYTES,
    PERCENT_TOLERANCE,
};

/// WebCare, Bilaga 4 (seed 004): what each of the 26 kommuner is invoiced a year, in whole SEK.
const WEBCARE_BILAGA_4: [(&str, i64); 26] = [
    ("Botkyrka", 60_730),
    ("Danderyd", 22_806),
    ("Ekerö", 18_480),
    ("Haninge", 56_175),
    ("Huddinge", 71_038),
    ("Järfälla", 48_282),
    ("Lidingö", 31_615),
    ("Nacka", 65_707),
    ("Norrtälje", 40_339),
    ("Nykvarn", 6_692),
    ("Nynäshamn", 18_825),
    ("Salem", 11_256),
    ("Sigtuna", 29_641),
    ("Sollentuna", 47_257),
    ("Solna", 50_165),
    ("Stockholm", 619_891),
    ("Sundbyberg", 28_357),
    ("Södertälje", 62_887),
    ("Tyresö", 31_075),
    ("Täby", 46_301),
    ("Upplands Väsby", 28_827),
    ("Upplands-Bro", 17_201),
    ("Vallentuna", 22_029),
    ("Vaxholm", 7_990),
    ("Värmdö", 27_895),
    ("Österåker", 28_539),
];

/// Göteborg's key for vård och omsorg (seed 001), in percent.
const GOTEBORG: [(&str, &str); 6] = [
    ("Socialförvaltning Nordost", "8,6"),
    ("Socialförvaltning Centrum", "7,0"),
    ("Socialförvaltning Hisingen", "6,3"),
    ("Socialförvaltning Sydväst", "4,2"),
    ("Äldre samt vård- och omsorgsförvaltningen", "40,6"),
    ("Förvaltning för funktionsstöd", "33,3"),
];

fn sek(text: &str) -> Ore {
    Ore::parse_sek(text).expect("a valid amount")
}

fn w(text: &str) -> Weight {
    Weight::parse(text).expect("a valid weight")
}

fn amounts(split: &samverka_protocol::cost::Split) -> BTreeMap<String, i64> {
    split.lines.iter().map(|l| (l.member.clone(), l.amount.0)).collect()
}

fn goteborg() -> Key {
    Key::new(Basis::Percent, GOTEBORG.iter().map(|(m, p)| Entry::new(*m, w(p))).collect()).expect("the seed's key")
}

#[test]
fn webcare_bilaga_4_is_reproduced_to_the_ore_from_its_own_amounts() {
    // The seed does not state the basis of Bilaga 4 (the amounts track population at about
    // 0,71 SEK per inhabitant, but the population figures and their date are not in it), so the
    // amounts themselves are the weights: the split must give each kommun exactly its amount.
    let total: i64 = WEBCARE_BILAGA_4.iter().map(|(_, a)| a).sum();
    assert_eq!(total, 1_500_000, "the seed's amounts sum to the budget");
    let entries = WEBCARE_BILAGA_4.iter().map(|(m, a)| Entry::new(*m, Weight::whole(*a))).collect();
    let key = Key::new(Basis::Weights, entries).expect("the seed's key");
    let split = split(sek("1 500 000,00"), &key).expect("splits");
    assert_eq!(split.lines.len(), 26);
    for ((member, amount), line) in WEBCARE_BILAGA_4.iter().zip(&split.lines) {
        assert_eq!(&line.member, member);
        assert_eq!(line.amount, Ore(amount * 100), "{member}");
    }
    assert_eq!(split.total(), sek("1500000.00"));
}

#[test]
fn webcare_key_splits_a_raised_budget_exactly() {
    // The same key applied to a budget raised by 3,7 %: 1 555 500,00 SEK, still to the öre.
    let entries = WEBCARE_BILAGA_4.iter().map(|(m, a)| Entry::new(*m, Weight::whole(*a))).collect();
    let key = Key::new(Basis::Weights, entries).expect("the seed's key");
    let split = split(sek("1 555 500,00"), &key).expect("splits");
    assert_eq!(split.total(), sek("1 555 500,00"));
    let stockholm = &split.lines[15];
    assert_eq!((stockholm.member.as_str(), stockholm.amount), ("Stockholm", sek("642 826,97")));
}

#[test]
fn stockholms_share_over_its_14_stadsdelar_breaks_ties_by_name() {
    // Bilaga 4 notes "44 278 kr/stadsdel": 619 891 SEK over 14 stadsdelsområden. Every exact
    // share is 44 277,928571…: twelve öre are left over, all remainders and weights tie, so the
    // twelve first names in byte order get them, and Älvsjö and Östermalm (Ä, Ö sort last) do not.
    let names = [
        "Rinkeby-Kista",
        "Spånga-Tensta",
        "Hässelby-Vällingby",
        "Bromma",
        "Kungsholmen",
        "Norrmalm",
        "Östermalm",
        "Södermalm",
        "Enskede-Årsta-Vantör",
        "Skarpnäck",
        "Farsta",
        "Älvsjö",
        "Hägersten-Liljeholmen",
        "Skärholmen",
    ];
    let key = Key::new(Basis::Weights, names.iter().map(|n| Entry::new(*n, Weight::whole(1))).collect())
        .expect("equal weights");
    let split = split(sek("619 891"), &key).expect("splits");
    for line in &split.lines {
        let expected =
            if ["Älvsjö", "Östermalm"].contains(&line.member.as_str()) { "44 277,92" } else { "44 277,93" };
        assert_eq!(line.amount, sek(expected), "{}", line.member);
    }
    assert_eq!(split.total(), sek("619 891,00"));
}

#[test]
fn goteborgs_key_splits_a_round_budget_exactly() {
    let split = split(sek("1 000 000"), &goteborg()).expect("splits");
    let expected = ["86 000,00", "70 000,00", "63 000,00", "42 000,00", "406 000,00", "333 000,00"];
    for (line, amount) in split.lines.iter().zip(expected) {
        assert_eq!(line.amount.to_string(), amount, "{}", line.member);
    }
}

#[test]
fn goteborgs_key_gives_left_over_ore_to_the_largest_remainders() {
    // 1 234 567,89 SEK: exact shares end in ,…854 (Nordost), ,…230, ,…707 (Hisingen), ,…138,
    // ,…334 and ,…737 (funktionsstöd) öre; three öre are left over, for the three largest.
    let split = split(sek("1 234 567,89"), &goteborg()).expect("splits");
    let got: Vec<String> = split.lines.iter().map(|l| l.amount.to_string()).collect();
    assert_eq!(got, ["106 172,84", "86 419,75", "77 777,78", "51 851,85", "501 234,56", "411 111,11"]);
    assert_eq!(split.total(), sek("1 234 567,89"));
}

#[test]
fn equal_remainders_go_to_the_larger_weight_before_the_name() {
    // 2 öre over weights 1 and 3: exact shares 0,5 and 1,5; remainders tie, the larger weight wins.
    let key = Key::new(Basis::Weights, vec![Entry::new("a", w("1")), Entry::new("b", w("3"))]).expect("key");
    let split = split(Ore(2), &key).expect("splits");
    assert_eq!(split.lines.iter().map(|l| l.amount.0).collect::<Vec<_>>(), [0, 2]);
}

#[test]
fn fixed_part_is_split_equally_and_the_rest_by_weight() {
    // 40 % of 1 000,00 SEK equally over four members (100,00 each), 60 % by weights 1:0:0:0.
    let basis = Basis::FixedPlusVariable { fixed_percent: w("40") };
    let entries =
        vec![Entry::new("A", w("1")), Entry::new("B", w("0")), Entry::new("C", w("0")), Entry::new("D", w("0"))];
    let split = split(sek("1000"), &Key::new(basis, entries).expect("key")).expect("splits");
    let got: Vec<i64> = split.lines.iter().map(|l| l.amount.0).collect();
    assert_eq!(got, [70_000, 10_000, 10_000, 10_000]);
}

#[test]
fn per_capita_and_licence_keys_split_by_whole_counts() {
    for basis in [Basis::PerCapita, Basis::Licences] {
        let key = Key::new(basis, vec![Entry::new("Luleå", w("79 000")), Entry::new("Boden", w("28 000"))])
            .expect("whole counts");
        let split = split(sek("107 000"), &key).expect("splits");
        assert_eq!(amounts(&split)["Luleå"], 7_900_000);
    }
}

#[test]
fn amounts_parse_and_print_in_swedish_and_plain_forms() {
    for text in ["1 500 000,00", "1500000.00", "1500000", "1\u{a0}500\u{a0}000,0"] {
        assert_eq!(Ore::parse_sek(text), Ok(Ore(150_000_000)), "{text}");
    }
    assert_eq!(Ore(150_000_000).to_string(), "1 500 000,00");
    assert_eq!(Ore(150_000_000).plain(), "1500000,00");
    assert_eq!(Ore(5).to_string(), "0,05");
    assert_eq!(Ore(123_456).to_string(), "1 234,56");
    assert_eq!(w("8,6").to_string(), "8,6");
    assert_eq!(w("40.60").to_string(), "40,6");
    for bad in ["", "1,234", "1,", ",5", "12a", "1.000.000", "--1"] {
        assert_eq!(Ore::parse_sek(bad).map_err(|v| v.code()), Err("bad_amount"), "{bad:?}");
    }
}

// ---- One test per violation, asserting the exact variant. ----

fn key(basis: Basis, entries: &[(&str, &str)]) -> Result<Key, Violation> {
    Key::new(basis, entries.iter().map(|(m, x)| Entry::new(*m, w(x))).collect())
}

#[test]
fn rejects_a_key_without_members() {
    assert_eq!(key(Basis::Weights, &[]), Err(Violation::NoMembers));
}

#[test]
fn rejects_more_members_than_max_key_members() {
    let entries = (0..=MAX_KEY_MEMBERS).map(|i| Entry::new(format!("m{i}"), Weight::whole(1))).collect();
    let got = Key::new(Basis::Weights, entries);
    assert_eq!(got, Err(Violation::TooManyMembers { count: MAX_KEY_MEMBERS + 1, max: MAX_KEY_MEMBERS }));
    assert_eq!(got.map_err(|v| v.code()), Err("too_many_members"));
}

#[test]
fn rejects_a_blank_member() {
    assert_eq!(key(Basis::Weights, &[(" ", "1")]), Err(Violation::BlankMember));
}

#[test]
fn rejects_a_member_name_over_max_member_bytes() {
    let long = "x".repeat(MAX_MEMBER_BYTES + 1);
    let got = key(Basis::Weights, &[(&long, "1")]);
    assert!(matches!(got, Err(Violation::MemberTooLong { max: MAX_MEMBER_BYTES, .. })), "{got:?}");
}

#[test]
fn rejects_a_member_named_twice() {
    let got = key(Basis::Weights, &[("Kalix", "1"), ("Boden", "2"), ("Kalix", "3")]);
    assert_eq!(got, Err(Violation::DuplicateMember { member: "Kalix".into() }));
}

#[test]
fn rejects_a_negative_weight() {
    let got = key(Basis::Weights, &[("Kalix", "1"), ("Boden", "-2")]);
    assert_eq!(got, Err(Violation::NegativeWeight { member: "Boden".into(), weight: w("-2") }));
    assert_eq!(
        got.map_err(|v| v.to_string()),
        Err("Boden has the negative weight -2: a weight is zero or more".into())
    );
}

#[test]
fn rejects_a_weight_over_max_weight_units() {
    let got = Key::new(Basis::Weights, vec![Entry::new("Kalix", Weight::from_millionths(i64::MAX))]);
    assert!(matches!(got, Err(Violation::WeightTooLarge { .. })), "{got:?}");
    assert_eq!(Weight::parse("1000000001").map_err(|v| v.code()), Err("bad_weight"));
}

#[test]
fn rejects_decimals_in_a_per_capita_key() {
    let got = key(Basis::PerCapita, &[("Kalix", "16 000,5")]);
    assert_eq!(got, Err(Violation::NotWhole { member: "Kalix".into(), weight: w("16000,5"), basis: "per-capita" }));
}

#[test]
fn rejects_weights_summing_to_zero() {
    assert_eq!(key(Basis::Weights, &[("Kalix", "0"), ("Boden", "0")]), Err(Violation::ZeroTotal));
}

#[test]
fn rejects_percents_not_summing_to_100_within_the_tolerance() {
    let got = key(Basis::Percent, &[("A", "8,6"), ("B", "7,0"), ("C", "84,3")]);
    assert_eq!(got, Err(Violation::PercentSum { sum: w("99,9"), tolerance: PERCENT_TOLERANCE }));
    assert_eq!(
        got.map_err(|v| v.to_string()),
        Err("the percents sum to 99,9, not 100 (within 0,01 points): correct the shares".into())
    );
    assert!(key(Basis::Percent, &[("A", "33,333"), ("B", "33,333"), ("C", "33,333")]).is_ok(), "99,999 is within");
}

#[test]
fn rejects_a_fixed_part_over_100_percent() {
    let got = key(Basis::FixedPlusVariable { fixed_percent: w("100,5") }, &[("A", "1")]);
    assert_eq!(got, Err(Violation::FixedPartOutOfRange { percent: w("100,5") }));
}

#[test]
fn rejects_a_negative_budget() {
    assert_eq!(split(Ore(-1), &goteborg()), Err(Violation::NegativeBudget { budget: Ore(-1) }));
    assert_eq!(Ore::parse_sek("-5").map_err(|v| v.code()), Err("bad_amount"));
}

#[test]
fn rejects_a_budget_over_max_amount_ore() {
    let over = Ore(MAX_AMOUNT_ORE + 1);
    assert_eq!(split(over, &goteborg()), Err(Violation::AmountTooLarge { ore: over.0, max: MAX_AMOUNT_ORE }));
    assert_eq!(Ore::parse_sek("10 000 000 000,01").map_err(|v| v.code()), Err("amount_too_large"));
}

#[test]
fn rejects_text_that_is_not_a_weight() {
    let got = Weight::parse("8,6%");
    assert!(matches!(&got, Err(Violation::BadWeight { text, .. }) if text == "8,6%"), "{got:?}");
    assert_eq!(Weight::parse("0,0000001").map_err(|v| v.code()), Err("bad_weight"));
}

// ---- Properties. ----

/// Members `m0..mN` with weights in millionths (some zero), at least one positive.
fn entries() -> impl Strategy<Value = Vec<Entry>> {
    prop::collection::vec(prop_oneof![Just(0_i64), 1_i64..1_000_000_000_000], 1..40).prop_filter_map(
        "a positive total",
        |weights| {
            (weights.iter().any(|x| *x > 0)).then(|| {
                weights
                    .iter()
                    .enumerate()
                    .map(|(i, x)| Entry::new(format!("m{i}"), Weight::from_millionths(*x)))
                    .collect()
            })
        },
    )
}

fn budget() -> impl Strategy<Value = Ore> {
    prop_oneof![0_i64..1_000, 0_i64..=MAX_AMOUNT_ORE].prop_map(Ore)
}

/// Each member's weight in the split, as `docs/cost.md` §2 defines it.
fn effective(basis: Basis, entries: &[Entry]) -> Vec<u128> {
    let ws: Vec<u128> = entries.iter().map(|e| e.weight.millionths() as u128).collect();
    match basis {
        Basis::FixedPlusVariable { fixed_percent } => {
            let p = fixed_percent.millionths() as u128;
            let total: u128 = ws.iter().sum();
            let n = ws.len() as u128;
            ws.iter().map(|w| p * total + (100_000_000 - p) * n * w).collect()
        }
        _ => ws,
    }
}

fn basis() -> impl Strategy<Value = Basis> {
    prop_oneof![
        Just(Basis::Weights),
        (0_i64..=100_000_000).prop_map(|p| Basis::FixedPlusVariable { fixed_percent: Weight::from_millionths(p) })
    ]
}

proptest! {
    #[test]
    fn a_split_sums_exactly_to_the_budget(entries in entries(), budget in budget(), basis in basis()) {
        let key = Key::new(basis, entries).expect("a valid key");
        prop_assert_eq!(split(budget, &key).expect("splits").total(), budget);
    }

    #[test]
    fn each_amount_is_within_one_ore_of_its_exact_share(entries in entries(), budget in budget(), basis in basis()) {
        let ws = effective(basis, &entries);
        let total: u128 = ws.iter().sum();
        let key = Key::new(basis, entries).expect("a valid key");
        let split = split(budget, &key).expect("splits");
        for (line, w) in split.lines.iter().zip(ws) {
            let exact = budget.0 as u128 * w; // the exact share times `total`
            let amount = line.amount.0 as u128 * total;
            // amount is the floor or the ceiling of exact / total.
            prop_assert!(amount + total > exact && amount < exact + total, "{} off by an öre or more", line.member);
        }
    }

    #[test]
    fn a_split_is_the_same_for_any_order_of_members(
        (entries, shuffled) in entries().prop_flat_map(|e| (Just(e.clone()), Just(e).prop_shuffle())),
        budget in budget(),
        basis in basis(),
    ) {
        let a = split(budget, &Key::new(basis, entries).expect("a valid key")).expect("splits");
        let b = split(budget, &Key::new(basis, shuffled).expect("a valid key")).expect("splits");
        prop_assert_eq!(amounts(&a), amounts(&b));
    }

    #[test]
    fn a_split_is_stable_under_a_key_scaled_by_a_constant(entries in entries(), budget in budget(), k in 1_i64..1000) {
        let scaled = entries.iter().map(|e| Entry::new(e.member.clone(), Weight::from_millionths(e.weight.millionths() * k))).collect();
        let a = split(budget, &Key::new(Basis::Weights, entries).expect("a valid key")).expect("splits");
        let b = split(budget, &Key::new(Basis::Weights, scaled).expect("a valid key")).expect("splits");
        prop_assert_eq!(a, b);
    }

    #[test]
    fn parsing_prints_back_what_it_read(ore in 0_i64..=MAX_AMOUNT_ORE) {
        prop_assert_eq!(Ore::parse_sek(&Ore(ore).to_string()), Ok(Ore(ore)));
        prop_assert_eq!(Ore::parse_sek(&Ore(ore).plain()), Ok(Ore(ore)));
    }
}

#[test]
fn the_largest_key_and_budget_split_without_overflow() {
    // The bound of docs/cost.md §4: MAX_KEY_MEMBERS members at the largest weight but one, a
    // fixed part with every decimal, the largest budget.
    let entries = (0..MAX_KEY_MEMBERS)
        .map(|i| Entry::new(format!("m{i:03}"), w(if i == 0 { "999999999,999999" } else { "1000000000" })))
        .collect();
    let basis = Basis::FixedPlusVariable { fixed_percent: w("33,333333") };
    let split = split(Ore(MAX_AMOUNT_ORE), &Key::new(basis, entries).expect("within the limits")).expect("splits");
    assert_eq!(split.total(), Ore(MAX_AMOUNT_ORE));
}
