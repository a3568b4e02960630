//! Pages of a long list (`?sida=2`): which rows one page shows, that in words, and the links to
//! the pages before and after — for `/support`, `/behov`, `/diariet` and `/sammantraden`, whose
//! lists grow with the federation (10 000 diary rows at national scale). The page number is read
//! leniently: anything but a number from 1 shows the first page, since a link cannot be mistyped
//! into harm.

use std::ops::Range;

use crate::catalog::Catalog;

/// One page of a list.
#[derive(Debug, PartialEq, Eq)]
pub struct Pager {
    /// The rows the page shows, by index in the whole list.
    pub rows: Range<usize>,
    /// Which rows, in words ("Visar 101–200 av 3 000."), when the list has more than one page.
    pub shown: Option<String>,
    /// The page before, if any.
    pub previous: Option<String>,
    /// The page after, if any.
    pub next: Option<String>,
}

impl Pager {
    /// Page `sida` (from 1, as typed in the address) of a list of `total` rows, `per_page` a
    /// page; `link(n)` is the address of page `n`. A page beyond the last shows the last, as
    /// `/arenden` does.
    pub fn new(
        t: &Catalog,
        total: usize,
        sida: Option<&str>,
        per_page: usize,
        link: impl Fn(usize) -> String,
    ) -> Pager {
        let pages = total.div_ceil(per_page.max(1)).max(1);
        let sida = sida.and_then(|s| s.trim().parse::<usize>().ok()).unwrap_or(1).clamp(1, pages);
        let first = (sida - 1).saturating_mul(per_page).min(total);
        let last = first.saturating_add(per_page).min(total);
        let shown = (total > per_page && first < last).then(|| {
            let n = |k: usize| crate::locale::grouped(k as u64);
            t.fill("pager.shown", &[("from", &n(first + 1)), ("to", &n(last)), ("count", &n(total))])
        });
        Pager {
            rows: first..last,
            shown,
            previous: (sida > 1).then(|| link(sida - 1)),
            next: (last < total).then(|| link(sida + 1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;

    fn page(total: usize, sida: Option<&str>) -> Pager {
        Pager::new(Lang::Sv.catalog(), total, sida, 100, |n| format!("/x?sida={n}"))
    }

    #[test]
    fn pages_a_list_and_links_its_neighbours() {
        let one = page(250, None);
        assert_eq!(one.rows, 0..100);
        assert_eq!(one.shown.as_deref(), Some("Visar 1–100 av 250."));
        assert_eq!((one.previous, one.next.as_deref()), (None, Some("/x?sida=2")));
        let three = page(250, Some("3"));
        assert_eq!(three.rows, 200..250);
        assert_eq!((three.previous.as_deref(), three.next), (Some("/x?sida=2"), None));
    }

    #[test]
    fn a_short_list_has_no_pages_and_a_bad_number_shows_the_first() {
        assert_eq!(page(40, None), Pager { rows: 0..40, shown: None, previous: None, next: None });
        assert_eq!(page(250, Some("abc")).rows, 0..100);
        assert_eq!(page(250, Some("0")).rows, 0..100);
        let beyond = page(250, Some("9"));
        assert_eq!((beyond.rows, beyond.previous.as_deref()), (200..250, Some("/x?sida=2")), "the last page");
    }
}
