//! The read models of the agreement pages: what the node answers about the agreements
//! (överenskommelser) it holds. Status, signatures, notice ends and deadlines are computed by the
//! node (`samverka_protocol::agreement`); the pages only render them.

use samverka_protocol::{Hash, MemberId, RecordId, Role};

/// An agreement version in a listing.
#[derive(Clone, Debug)]
pub struct AgreementRow {
    /// The agreement record's id.
    pub id: RecordId,
    /// Its title.
    pub title: String,
    /// The system it covers.
    pub system: String,
    /// How many parties it has.
    pub parties: usize,
    /// How many of them have signed.
    pub signed: usize,
    /// Its status's name: `utkast`, `under-signering`, `gallande`, `andrat`, `uppsagt`, `upphort`.
    pub status: &'static str,
    /// The day the status names, when it names one (in force since, ends, ended).
    pub status_day: Option<String>,
    /// The next notice deadline, when in force: the last day to give notice and the end it reaches.
    pub deadline: Option<(String, String)>,
    /// When it was drafted (claimed record time, ms since the epoch).
    pub time_ms: i64,
}

/// A party to an agreement, with its signature if given.
#[derive(Clone, Debug)]
pub struct PartyView {
    /// The member's or the outside party's name.
    pub name: String,
    /// The member, for a member party.
    pub member: Option<MemberId>,
    /// The organisationsnummer, for an outside party.
    pub organisationsnummer: Option<String>,
    /// Its signature, if any.
    pub signature: Option<SignatureView>,
    /// The day its withdrawal (utträde) takes effect, if given.
    pub withdrawn: Option<String>,
}

/// A signature (or notice) on an agreement: who signed, for whom, when.
#[derive(Clone, Debug)]
pub struct SignatureView {
    /// The signature record.
    pub record: RecordId,
    /// The first 8 hex digits of the signatory's key.
    pub fingerprint: String,
    /// The member the key speaks for, by name.
    pub member: String,
    /// The key's roles at the roster version the record names.
    pub roles: Vec<Role>,
    /// The claimed signing time, ms since the epoch.
    pub time_ms: i64,
}

/// A notice (uppsägning) with the end the rule gives it.
#[derive(Clone, Debug)]
pub struct NoticeView {
    /// Who gave it.
    pub signature: SignatureView,
    /// The party's name.
    pub party: String,
    /// The day given.
    pub given: String,
    /// The last day in force.
    pub ends: String,
}

/// An annex (bilaga): name, size and content hash.
#[derive(Clone, Debug)]
pub struct Annex {
    /// Its name.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// The hash of its content.
    pub hash: Hash,
}

/// What a party's firmatecknare does to an agreement version in the browser.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgreementAct {
    /// Signs its text.
    Sign,
    /// Gives notice (uppsägning): the agreement ends for every party.
    Notice,
    /// Withdraws the member (utträde): the others stay bound.
    Withdrawal,
}

/// What the signed-in person may do to an agreement version, as the node judges it now (it
/// judges again, by every rule, when the record is prepared).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Acts {
    /// Sign for their member's party: a firmatecknare of a party that has not signed, while the
    /// version is not yet signed by all.
    pub sign: bool,
    /// Give notice for their member's party while the version is in force: the last day in force
    /// if notice is given today.
    pub notice: Option<String>,
    /// Withdraw their member while the version is in force: the day the withdrawal takes effect
    /// if given today.
    pub withdraw: Option<String>,
}

/// A member's withdrawal (utträde) from an agreement, while the member is still in the roster:
/// the styrgrupp decides the roster change (a matter of kind medlemskap), which the members then
/// sign (`samverka roster propose`).
#[derive(Clone, Debug)]
pub struct Withdrawing {
    /// The agreement as listed.
    pub agreement: AgreementRow,
    /// The withdrawing member, by name.
    pub member: String,
    /// The member's last day bound by the agreement.
    pub bound_until: String,
}

/// An agreement version in full.
#[derive(Clone, Debug)]
pub struct AgreementView {
    /// As in the list.
    pub row: AgreementRow,
    /// The first day in force.
    pub start: String,
    /// The last day, or `None`: tills vidare.
    pub end: Option<String>,
    /// The notice period in months.
    pub notice_months: u8,
    /// Whether notice ends it only at a year end.
    pub at_year_end: bool,
    /// Every party, signed or not.
    pub parties: Vec<PartyView>,
    /// The annexes.
    pub annexes: Vec<Annex>,
    /// The text.
    pub text: String,
    /// The version it amends, if any.
    pub amends: Option<RecordId>,
    /// Its chain of versions, oldest first: id, title, claimed time, status name.
    pub history: Vec<(RecordId, String, i64, &'static str)>,
    /// Notices given on any version of its chain.
    pub notices: Vec<NoticeView>,
    /// The adopted decisions that name it: matter id and title.
    pub decisions: Vec<(RecordId, String)>,
    /// What the signed-in person may do to it (nothing when no one is signed in).
    pub acts: Acts,
}

/// What a party's firmatecknare asks to sign on an agreement version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Action {
    /// The agreement version.
    pub agreement: RecordId,
    /// What the party does.
    pub act: AgreementAct,
}

impl From<Action> for super::Action {
    fn from(a: Action) -> super::Action {
        super::Action::Agreement(a)
    }
}
