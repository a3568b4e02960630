//! The page texts, in catalog files a non-developer can edit (`web/texts/sv.toml`,
//! `web/texts/en.toml`): compiled into the binary, parsed once, looked up by key.
//!
//! A key is the dotted path of a TOML entry (`nav.matters`). Texts may hold named placeholders
//! (`{count}`) filled by [`Catalog::fill`]; code never puts sentences together itself.

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The languages the pages are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// Swedish, the default.
    Sv,
    /// English.
    En,
}

impl Lang {
    /// Every language, the default first.
    pub const ALL: [Lang; 2] = [Lang::Sv, Lang::En];

    /// The language tag (`sv`, `en`), as in `lang="sv"` and `?lang=sv`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }

    /// The language with this tag.
    pub fn parse(tag: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.tag() == tag)
    }

    /// The other language (the one the language link offers).
    pub fn other(self) -> Lang {
        match self {
            Lang::Sv => Lang::En,
            Lang::En => Lang::Sv,
        }
    }

    /// This language's catalog.
    pub fn catalog(self) -> &'static Catalog {
        static SV: OnceLock<Catalog> = OnceLock::new();
        static EN: OnceLock<Catalog> = OnceLock::new();
        let (cell, source) = match self {
            Lang::Sv => (&SV, include_str!("../texts/sv.toml")),
            Lang::En => (&EN, include_str!("../texts/en.toml")),
        };
        cell.get_or_init(|| Catalog::parse(source).expect("the compiled-in catalogs parse (checked by a test)"))
    }
}

/// Why a catalog file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Not TOML.
    #[error("the catalog is not valid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    /// An entry that is neither a text nor a table of texts.
    #[error("catalog entry {0} is not a text")]
    NotText(String),
}

/// The texts of one language, by dotted key.
#[derive(Debug)]
pub struct Catalog {
    texts: BTreeMap<String, String>,
}

/// What a missing key renders as: visible in the page, and found by the pages' test.
pub const MISSING: &str = "⟦saknas⟧";

impl Catalog {
    /// Parses a catalog file.
    pub fn parse(source: &str) -> Result<Catalog, Error> {
        let table: toml::Table = source.parse()?;
        let mut texts = BTreeMap::new();
        flatten("", &table, &mut texts)?;
        Ok(Catalog { texts })
    }

    /// The text for `key`, or [`MISSING`].
    pub fn get(&self, key: &str) -> &str {
        self.texts.get(key).map_or(MISSING, String::as_str)
    }

    /// The text for `key` with each `{name}` replaced by its value.
    pub fn fill(&self, key: &str, values: &[(&str, &str)]) -> String {
        values.iter().fold(self.get(key).to_owned(), |text, (name, value)| text.replace(&format!("{{{name}}}"), value))
    }

    /// The text for `n` of something: `{key}.one` when `n` is 1, else `{key}.other`, with `{n}`
    /// filled in (Swedish and English both have these two forms).
    pub fn count(&self, key: &str, n: usize) -> String {
        let form = if n == 1 { "one" } else { "other" };
        self.fill(&format!("{key}.{form}"), &[("n", &n.to_string())])
    }

    /// Every key, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.texts.keys().map(String::as_str)
    }
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut BTreeMap<String, String>) -> Result<(), Error> {
    for (name, value) in table {
        let key = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
        match value {
            toml::Value::String(text) => {
                out.insert(key, text.clone());
            }
            toml::Value::Table(inner) => flatten(&key, inner, out)?,
            _ => return Err(Error::NotText(key)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogs_parse_and_have_the_same_keys() {
        let sv: Vec<&str> = Lang::Sv.catalog().keys().collect();
        let en: Vec<&str> = Lang::En.catalog().keys().collect();
        let only_sv: Vec<&&str> = sv.iter().filter(|k| !en.contains(k)).collect();
        let only_en: Vec<&&str> = en.iter().filter(|k| !sv.contains(k)).collect();
        assert!(only_sv.is_empty() && only_en.is_empty(), "only in sv: {only_sv:?}; only in en: {only_en:?}");
        assert!(sv.len() > 20, "the catalogs hold the pages' texts");
    }

    #[test]
    fn fills_placeholders_and_marks_missing_keys() {
        let c = Catalog::parse("[a]\nb = \"{n} öppna av {m}\"").expect("parses");
        assert_eq!(c.fill("a.b", &[("n", "3"), ("m", "14")]), "3 öppna av 14");
        assert_eq!(c.get("a.c"), MISSING);
        assert!(matches!(Catalog::parse("a = 1"), Err(Error::NotText(k)) if k == "a"));
        let c =
            Catalog::parse("[open]\none = \"{n} ärende är öppet\"\nother = \"{n} ärenden är öppna\"").expect("parses");
        assert_eq!(c.count("open", 1), "1 ärende är öppet");
        assert_eq!(c.count("open", 0), "0 ärenden är öppna");
        assert_eq!(c.count("open", 2), "2 ärenden är öppna");
    }
}
