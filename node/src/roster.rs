//! The roster as the pages change it: a member certifies a person's key — roles and mandate
//! period — in the next roster version, signed in the browser with the member's organisation
//! key (docs/protocol.md §8.2, docs/web.md §3). Federation-wide roles (ordförande, förvaltare)
//! need the roster threshold, so they are certified with `samverka roster propose` instead.

use samverka_protocol::roster::{Change, KeyKind, RosterUpdate};
use samverka_protocol::{Body as _, Kind, PublicKey, RecordId, Role};
use samverka_web::view;

use crate::governance;
use crate::ledger::Ledger;
use crate::offer::{self, undecodable, Context, Made, Making};

/// A key as people tell keys apart: its first 8 hex digits.
pub fn fingerprint(key: &PublicKey) -> String {
    key.to_hex()[..8].to_owned()
}

/// The next roster version certifying the key `certify` names, signed by the organisation key
/// of the member it speaks for: a change the member makes alone, so never of a federation-wide
/// role.
pub fn make(ctx: &Context<'_>, _me: &view::Me, certify: view::Certify) -> Making {
    let view::Certify { member, key, roles, valid, reason } = certify;
    let refusal = |code, detail| Ok(Err(view::Refusal::of_field(code, detail, None)));
    if let Some(role) = roles.iter().find(|r| matches!(r, Role::Ordforande | Role::Forvaltare)) {
        let detail = format!(
            "the role {} is federation-wide: certifying it needs the roster threshold (samverka roster propose)",
            role.swedish()
        );
        return refusal("federation_role", detail);
    }
    let chain = ctx.ledger.chain().ok_or(view::Error::NoFederation)?;
    let current = chain.current();
    let org = current.keys.iter().find(|(_, g)| g.kind == KeyKind::Organisation && g.member == member);
    let Some((org, _)) = org else {
        return refusal(
            "no_organisation_key",
            format!("member {member} has no organisation key in the current roster"),
        );
    };
    let day = |d: Option<String>, end: bool| match d {
        None => Ok(None),
        Some(d) => governance::stockholm_day_ms(&d, end).map(Some).ok_or(d),
    };
    let (valid_from_ms, valid_until_ms) = match (day(valid.0, false), day(valid.1, true)) {
        (Ok(from), Ok(until)) => (from, until),
        (Err(d), _) | (_, Err(d)) => return refusal("bad_date", format!("{d:?} is not a date like 2026-11-23")),
    };
    let kind = KeyKind::Person { roles, valid_from_ms, valid_until_ms };
    let change = Change::CertifyKey { member, key, kind };
    let update = RosterUpdate { version: current.version + 1, previous: current.head, changes: vec![change], reason };
    Ok(Ok(Made { author: Some(*org), ..Made::new(Kind::RosterUpdate, update.to_bytes()) }))
}

/// The roster's offered records: what they say and where they are read.
pub struct Signing;

impl offer::Domain for Signing {
    fn kinds(&self) -> &'static [Kind] {
        &[Kind::RosterUpdate]
    }

    fn subject(&self, ledger: &Ledger, _me: &view::Me, _id: RecordId, _kind: Kind, body: &[u8]) -> offer::Subject {
        let update = RosterUpdate::from_bytes(body).map_err(undecodable)?;
        let chain = ledger.chain().ok_or(view::Error::NoFederation)?;
        let certified = update.changes.iter().find_map(|c| match c {
            Change::CertifyKey { member, key, kind: KeyKind::Person { roles, valid_from_ms, valid_until_ms } } => {
                let person = view::Person {
                    key: *key,
                    roles: roles.clone(),
                    fingerprint: fingerprint(key),
                    valid: (*valid_from_ms, *valid_until_ms),
                };
                Some((governance::member_name(&chain, member), person))
            }
            _ => None,
        });
        let (member, person) =
            certified.ok_or_else(|| view::Error::Read("an offered roster version certifies no person's key".into()))?;
        Ok(view::Subject::Certify { version: update.version, member, person, reason: update.reason })
    }

    fn back(&self, _kind: Kind, _id: &RecordId, _body: &[u8]) -> String {
        "/medlemmar".into()
    }
}
