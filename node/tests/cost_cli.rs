//! `samverka cost split` transcripts: an operator's key file as Swedish Excel writes it, split by
//! the real binary.

mod support;

use std::path::Path;
use std::process::Output;

use support::{fails, ok, samverka};

fn split(dir: &Path, key: &[u8], extra: &[&str]) -> Output {
    std::fs::write(dir.join("key.csv"), key).expect("write the key file");
    let mut args = vec!["cost", "split", "--key", "key.csv"];
    args.extend_from_slice(extra);
    samverka(dir, &args)
}

#[test]
fn splits_goteborgs_key_from_a_semicolon_file_with_a_header() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let key = "\u{feff}Förvaltning;Andel %\r\nSF Nordost;8,6\r\nSF Centrum;7,0\r\nSF Hisingen;6,3\r\n\
               SF Sydväst;4,2\r\nÄldre samt vård och omsorg;40,6\r\nFunktionsstöd;33,3\r\n";
    std::fs::write(dir.path().join("goteborg.csv"), key).expect("write the key file");
    let out =
        ok(dir.path(), &["cost", "split", "--key", "goteborg.csv", "--amount", "1 234 567,89", "--basis", "percent"]);
    assert_eq!(
        out,
        "SF Nordost;106172,84\nSF Centrum;86419,75\nSF Hisingen;77777,78\nSF Sydväst;51851,85\n\
         Äldre samt vård och omsorg;501234,56\nFunktionsstöd;411111,11\nSumma;1234567,89\n"
    );
}

#[test]
fn splits_webcare_by_its_own_amounts_from_a_windows_1252_file() {
    let dir = tempfile::tempdir().expect("temporary directory");
    // "Ekerö" and "Österåker" in Windows-1252, as Excel's plain "CSV" saves them.
    let mut key = b"Kommun;Belopp\nStockholm;619 891\nNykvarn;6692\nEker".to_vec();
    key.extend_from_slice(&[0xF6]);
    key.extend_from_slice(b";18480\n");
    key.extend_from_slice(&[0xD6]);
    key.extend_from_slice(b"ster");
    key.extend_from_slice(&[0xE5]);
    key.extend_from_slice(b"ker;28539\n");
    let out = split(dir.path(), &key, &["--amount", "673602.00"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8(out.stdout).expect("UTF-8"),
        "Stockholm;619891,00\nNykvarn;6692,00\nEkerö;18480,00\nÖsteråker;28539,00\nSumma;673602,00\n"
    );
}

#[test]
fn a_fixed_part_is_split_equally_first() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let out = split(dir.path(), b"A;1\nB;0\nC;0\nD;0\n", &["--amount", "1000", "--fixed-percent", "40"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "A;700,00\nB;100,00\nC;100,00\nD;100,00\nSumma;1000,00\n");
}

#[test]
fn errors_name_the_line() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let cases: [(&[u8], &str); 6] = [
        (b"Kalix;1x\nBoden;2\n", "key.csv line 1: \"1x\" is not a weight"),
        (b"member;weight\nKalix;1\nBoden;-2\n", "key.csv line 3 is refused: Boden has the negative weight -2"),
        (b"Kalix;1\nBoden;2\nKalix;3\n", "key.csv line 3 is refused: Kalix is named twice"),
        (b"Kalix;1\nBoden;2;3\n", "key.csv line 2: expected `member;weight`, found 3 fields"),
        (b"Kalix;1\nBoden;tva\n", "key.csv line 2: \"tva\" is not a weight"),
        (b"Kalix;0\nBoden;0\n", "the weights sum to zero"),
    ];
    for (key, expected) in cases {
        let out = split(dir.path(), key, &["--amount", "100"]);
        assert!(!out.status.success(), "{expected}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "expected {expected:?} in {stderr:?}");
    }
    let stderr = fails(dir.path(), &["cost", "split", "--key", "key.csv", "--amount", "12,345"]);
    assert!(stderr.contains("\"12,345\" is not an amount in SEK (too many decimals)"), "{stderr}");
    std::fs::write(dir.path().join("p.csv"), "A;50\nB;49,9\n").expect("write");
    let stderr = fails(dir.path(), &["cost", "split", "--key", "p.csv", "--amount", "100", "--basis", "percent"]);
    assert!(stderr.contains("the percents sum to 99,9, not 100"), "{stderr}");
}

#[test]
fn reproduces_webcare_bilaga_4_with_the_issues_command_line() {
    // Seed 004, Bilaga 4: the amounts are the weights (the seed does not state their basis).
    let bilaga_4 = "Kommun;Belopp\nBotkyrka;60 730\nDanderyd;22 806\nEkerö;18 480\nHaninge;56 175\n\
        Huddinge;71 038\nJärfälla;48 282\nLidingö;31 615\nNacka;65 707\nNorrtälje;40 339\nNykvarn;6 692\n\
        Nynäshamn;18 825\nSalem;11 256\nSigtuna;29 641\nSollentuna;47 257\nSolna;50 165\nStockholm;619 891\n\
        Sundbyberg;28 357\nSödertälje;62 887\nTyresö;31 075\nTäby;46 301\nUpplands Väsby;28 827\n\
        Upplands-Bro;17 201\nVallentuna;22 029\nVaxholm;7 990\nVärmdö;27 895\nÖsteråker;28 539\n";
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(dir.path().join("KEY.csv"), bilaga_4).expect("write the key file");
    let out = ok(dir.path(), &["cost", "split", "--key", "KEY.csv", "--amount", "1500000.00"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 27);
    for (line, input) in lines.iter().zip(bilaga_4.lines().skip(1)) {
        let (member, amount) = input.split_once(';').expect("member;amount");
        assert_eq!(*line, format!("{member};{},00", amount.replace(' ', "")));
    }
    assert_eq!(lines[26], "Summa;1500000,00");
}
