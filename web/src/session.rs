//! Sign-in without passwords: a person's key lives in their browser (WebCrypto Ed25519,
//! non-extractable, kept in IndexedDB), and signing in is signing a challenge the node issued.
//!
//! # The protocol
//!
//! 1. The sign-in page carries a fresh **challenge**: 32 random bytes, valid for
//!    [`CHALLENGE_TTL`] and usable once. At most [`MAX_CHALLENGES`] are outstanding; issuing one
//!    more forgets the oldest, so nobody can fill the node's memory by asking for pages.
//! 2. The browser signs [`login_message`] — `LOGIN_DOMAIN ‖ federation id ‖ challenge` — and posts
//!    the public key, the challenge and the signature. Binding the federation keeps a signature
//!    made for one federation's node from signing in at another's.
//! 3. The node takes the challenge back (a second use fails), checks the signature strictly, and
//!    asks the roster whether the key is a person's key in force. Only then does it open a
//!    **session**: a random 32-byte token in the cookie [`SESSION_COOKIE`] (`__Host-`, `Secure`,
//!    `HttpOnly`, `SameSite=Strict`, `Path=/`), and a separate random CSRF token that every form
//!    that changes state must carry.
//! 4. A session ends at logout, after [`IDLE_TIMEOUT`] without a request, after
//!    [`ABSOLUTE_TIMEOUT`] in all, or — checked on every request — as soon as the current roster
//!    no longer certifies its key (revoked, expired, or the member removed). At most
//!    [`MAX_SESSIONS`] are held; a new one beyond that ends the one idle longest.
//!
//! # Where sessions are kept
//!
//! In memory, for the check on every request, and — when the node gives a [`Keep`] — in the
//! node's store too, so a restarted node (an upgrade, a crash) keeps everyone signed in. The
//! store holds the SHA-256 of the cookie token ([`SESSION_DOMAIN`]), never the token itself, so
//! a copy of the store signs nobody in; it also holds the key, the CSRF token and the two times.
//! Opening and ending a session are written at once; the last request's time only once it moved
//! by [`SEEN_STEP`], so a busy session does not write on every request (after a restart a
//! session may end up to that much early). Archives (backups) hold records only, never sessions.
//!
//! Session timeouts use the node's wall clock (they must survive a restart); a clock set back
//! only makes a session look younger, and never makes a record valid or not — no wall clock
//! decides anything about records. Challenges stay in memory: they live minutes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::RngCore;
use samverka_protocol::{Hash, PublicKey, Signature};

/// The session cookie's name. The `__Host-` prefix makes browsers refuse it unless it is
/// `Secure`, has `Path=/` and no `Domain`: no other site or subdomain can set or read it.
pub const SESSION_COOKIE: &str = "__Host-samverka_session";
/// Domain separation of the sign-in signature (no record's signing input starts with it).
pub const LOGIN_DOMAIN: &[u8] = b"samverka/v1/login\0";
/// Domain separation of the hash a session is kept under (of its cookie token).
pub const SESSION_DOMAIN: &[u8] = b"samverka/v1/session\0";
/// How long a challenge may be used after it was issued.
pub const CHALLENGE_TTL: Duration = Duration::from_secs(5 * 60);
/// Challenges outstanding at most.
pub const MAX_CHALLENGES: usize = 4096;
/// Sessions held at most.
pub const MAX_SESSIONS: usize = 10_000;
/// A session ends after this long without a request.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// A session ends this long after sign-in, however active.
pub const ABSOLUTE_TIMEOUT: Duration = Duration::from_secs(12 * 60 * 60);
/// A session's last request is written to the [`Keep`] once it moved by this much.
pub const SEEN_STEP: Duration = Duration::from_secs(60);
/// The bytes of a kept session: key ‖ CSRF token ‖ signed in (ms) ‖ last request (ms).
pub const KEPT_BYTES: usize = 32 + 32 + 8 + 8;

/// Why a [`Keep`] failed (the store's error).
pub type KeepError = Box<dyn std::error::Error + Send + Sync>;

/// Where sessions are kept beyond the process (the node's store), each under the hash of its
/// cookie token ([`SESSION_DOMAIN`]) as [`KEPT_BYTES`] bytes. A failure to keep is logged and
/// the session goes on in memory: it costs at most a sign-in after a restart.
pub trait Keep: Send + Sync {
    /// Keeps `bytes` under `id`, replacing what was kept there.
    fn keep(&self, id: &Hash, bytes: &[u8; KEPT_BYTES]) -> Result<(), KeepError>;
    /// Forgets what is kept under `id`.
    fn forget(&self, id: &Hash) -> Result<(), KeepError>;
    /// Everything kept (at most what [`Keep::keep`] was given; anything else is skipped).
    fn kept(&self) -> Result<Vec<(Hash, Vec<u8>)>, KeepError>;
}

/// A challenge for a browser to sign.
pub type Challenge = [u8; 32];

/// The bytes a browser signs to sign in with `challenge` at a node of `federation`.
pub fn login_message(federation: &Hash, challenge: &Challenge) -> Vec<u8> {
    [LOGIN_DOMAIN, &federation.0[..], &challenge[..]].concat()
}

/// A signed-in person's session.
#[derive(Clone, Debug)]
pub struct Session {
    /// The key that signed in.
    pub key: PublicKey,
    /// The token every state-changing form carries (hex).
    pub csrf: String,
    /// Signed in, Unix ms.
    created_ms: i64,
    /// The last request, Unix ms.
    seen_ms: i64,
    /// The last request as kept, Unix ms.
    kept_ms: i64,
}

impl Session {
    fn to_bytes(&self) -> [u8; KEPT_BYTES] {
        let mut out = [0; KEPT_BYTES];
        out[..32].copy_from_slice(&self.key.0);
        let csrf = parse_token(&self.csrf).expect("a session's CSRF token is 32 bytes in hex");
        out[32..64].copy_from_slice(&csrf);
        out[64..72].copy_from_slice(&self.created_ms.to_be_bytes());
        out[72..].copy_from_slice(&self.seen_ms.to_be_bytes());
        out
    }

    fn from_bytes(bytes: &[u8]) -> Option<Session> {
        let bytes: &[u8; KEPT_BYTES] = bytes.try_into().ok()?;
        let int = |at: usize| i64::from_be_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
        let key = PublicKey(bytes[..32].try_into().expect("32 bytes"));
        let seen_ms = int(72);
        Some(Session { key, csrf: hex::encode(&bytes[32..64]), created_ms: int(64), seen_ms, kept_ms: seen_ms })
    }
}

/// Why a sign-in was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    /// The challenge is unknown, used already, or older than [`CHALLENGE_TTL`].
    #[error("the sign-in challenge has expired or was used already")]
    StaleChallenge,
    /// The signature does not verify with the key over the challenge.
    #[error("the signature does not match the key")]
    BadSignature,
    /// The key is not a person's key in force in the current roster.
    #[error("the key is not certified in the current roster")]
    NotCertified,
    /// The form was not what the sign-in page sends.
    #[error("the sign-in form is incomplete")]
    Malformed,
}

impl LoginError {
    /// A stable code, for logs and the texts' catalog keys (`login.error.<code>`).
    pub fn code(self) -> &'static str {
        match self {
            LoginError::StaleChallenge => "stale_challenge",
            LoginError::BadSignature => "bad_signature",
            LoginError::NotCertified => "not_certified",
            LoginError::Malformed => "malformed",
        }
    }
}

/// The node's challenges and sessions.
#[derive(Default)]
pub struct Sessions {
    inner: Mutex<Inner>,
    keep: Option<Box<dyn Keep>>,
}

#[derive(Default)]
struct Inner {
    challenges: HashMap<Challenge, Instant>,
    /// By the hash of the cookie token.
    sessions: HashMap<Hash, Session>,
}

/// Now on the wall clock, Unix ms.
fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

fn session_id(token: &[u8; 32]) -> Hash {
    Hash::of(SESSION_DOMAIN, &[token])
}

fn random32() -> [u8; 32] {
    let mut bytes = [0; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A fresh challenge, valid for [`CHALLENGE_TTL`].
    pub fn challenge(&self) -> Challenge {
        self.challenge_at(Instant::now())
    }

    fn challenge_at(&self, now: Instant) -> Challenge {
        let mut inner = self.lock();
        inner.challenges.retain(|_, issued| now.saturating_duration_since(*issued) < CHALLENGE_TTL);
        if inner.challenges.len() >= MAX_CHALLENGES {
            if let Some(oldest) = inner.challenges.iter().min_by_key(|(_, t)| **t).map(|(c, _)| *c) {
                inner.challenges.remove(&oldest);
            }
        }
        let challenge = random32();
        inner.challenges.insert(challenge, now);
        challenge
    }

    /// Checks a sign-in: takes `challenge` back and verifies `signature` by `key` over
    /// [`login_message`]. The caller then checks the roster and calls [`Sessions::open`].
    pub fn verify(
        &self,
        federation: &Hash,
        key: &PublicKey,
        challenge: &Challenge,
        signature: &Signature,
    ) -> Result<(), LoginError> {
        self.verify_at(federation, key, challenge, signature, Instant::now())
    }

    fn verify_at(
        &self,
        federation: &Hash,
        key: &PublicKey,
        challenge: &Challenge,
        signature: &Signature,
        now: Instant,
    ) -> Result<(), LoginError> {
        let issued = self.lock().challenges.remove(challenge).ok_or(LoginError::StaleChallenge)?;
        if now.saturating_duration_since(issued) >= CHALLENGE_TTL {
            return Err(LoginError::StaleChallenge);
        }
        if !key.verify_strict(&login_message(federation, challenge), signature) {
            return Err(LoginError::BadSignature);
        }
        Ok(())
    }

    /// Sessions kept in `keep`, with the ones still live loaded (the others are forgotten).
    pub fn kept(keep: Box<dyn Keep>) -> Sessions {
        let now = now_ms();
        let mut inner = Inner::default();
        match keep.kept() {
            Ok(all) => {
                for (id, bytes) in all {
                    match Session::from_bytes(&bytes).filter(|s| live(s, now)) {
                        Some(session) if inner.sessions.len() < MAX_SESSIONS => {
                            inner.sessions.insert(id, session);
                        }
                        _ => forget(keep.as_ref(), &id),
                    }
                }
                tracing::info!(sessions = inner.sessions.len(), "sign-in sessions kept from before are open again");
            }
            Err(e) => {
                tracing::warn!(error = %e, "the kept sign-in sessions could not be read: everyone signs in again")
            }
        }
        Sessions { inner: Mutex::new(inner), keep: Some(keep) }
    }

    /// Opens a session for `key`: returns the cookie token (hex) and the session.
    pub fn open(&self, key: PublicKey) -> (String, Session) {
        self.open_at(key, now_ms())
    }

    fn open_at(&self, key: PublicKey, now: i64) -> (String, Session) {
        let mut inner = self.lock();
        let mut ended: Vec<Hash> = inner.sessions.iter().filter(|(_, s)| !live(s, now)).map(|(id, _)| *id).collect();
        for id in &ended {
            inner.sessions.remove(id);
        }
        if inner.sessions.len() >= MAX_SESSIONS {
            if let Some(idlest) = inner.sessions.iter().min_by_key(|(_, s)| s.seen_ms).map(|(id, _)| *id) {
                inner.sessions.remove(&idlest);
                ended.push(idlest);
            }
        }
        let token = random32();
        let session = Session { key, csrf: hex::encode(random32()), created_ms: now, seen_ms: now, kept_ms: now };
        let id = session_id(&token);
        inner.sessions.insert(id, session.clone());
        drop(inner);
        if let Some(keep) = &self.keep {
            for id in &ended {
                forget(keep.as_ref(), id);
            }
            if let Err(e) = keep.keep(&id, &session.to_bytes()) {
                tracing::warn!(error = %e, "a sign-in session could not be kept: it ends if the node restarts");
            }
        }
        (hex::encode(token), session)
    }

    /// The live session of cookie `token`, marked as seen now; `None` (and the session ended)
    /// when it timed out.
    pub fn get(&self, token: &str) -> Option<Session> {
        self.get_at(token, now_ms())
    }

    fn get_at(&self, token: &str, now: i64) -> Option<Session> {
        let id = session_id(&parse_token(token)?);
        let mut inner = self.lock();
        let session = inner.sessions.get_mut(&id)?;
        if !live(session, now) {
            inner.sessions.remove(&id);
            drop(inner);
            if let Some(keep) = &self.keep {
                forget(keep.as_ref(), &id);
            }
            return None;
        }
        session.seen_ms = session.seen_ms.max(now);
        let stale = session.seen_ms.saturating_sub(session.kept_ms) >= millis(SEEN_STEP);
        if stale {
            session.kept_ms = session.seen_ms;
        }
        let session = session.clone();
        drop(inner);
        if let (true, Some(keep)) = (stale, &self.keep) {
            if let Err(e) = keep.keep(&id, &session.to_bytes()) {
                tracing::warn!(error = %e, "a sign-in session's last request could not be kept");
            }
        }
        Some(session)
    }

    /// Ends the session of cookie `token` (logout, or its key is no longer in force).
    pub fn end(&self, token: &str) {
        let Some(token) = parse_token(token) else { return };
        let id = session_id(&token);
        self.lock().sessions.remove(&id);
        if let Some(keep) = &self.keep {
            forget(keep.as_ref(), &id);
        }
    }

    /// Sessions held (for metrics and tests).
    pub fn len(&self) -> usize {
        self.lock().sessions.len()
    }

    /// Whether no session is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).expect("a timeout fits in i64 milliseconds")
}

fn live(s: &Session, now: i64) -> bool {
    now.saturating_sub(s.seen_ms) < millis(IDLE_TIMEOUT) && now.saturating_sub(s.created_ms) < millis(ABSOLUTE_TIMEOUT)
}

fn forget(keep: &dyn Keep, id: &Hash) {
    if let Err(e) = keep.forget(id) {
        tracing::warn!(error = %e, "an ended sign-in session could not be forgotten in the store");
    }
}

fn parse_token(token: &str) -> Option<[u8; 32]> {
    if token.len() != 64 {
        return None;
    }
    hex::decode(token).ok()?.try_into().ok()
}

/// Whether two CSRF tokens are equal, in time independent of where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use samverka_protocol::SigningKey;

    use super::*;

    const FEDERATION: Hash = Hash([9; 32]);

    fn signed(key: &SigningKey, challenge: &Challenge) -> Signature {
        key.sign(&login_message(&FEDERATION, challenge))
    }

    #[test]
    fn a_signed_challenge_signs_in_once() {
        let sessions = Sessions::default();
        let key = SigningKey::from_seed(&[1; 32]);
        let challenge = sessions.challenge();
        let signature = signed(&key, &challenge);
        assert_eq!(sessions.verify(&FEDERATION, &key.public(), &challenge, &signature), Ok(()));
        assert_eq!(
            sessions.verify(&FEDERATION, &key.public(), &challenge, &signature),
            Err(LoginError::StaleChallenge),
            "a challenge is used once"
        );
    }

    #[test]
    fn a_signature_by_another_key_or_for_another_federation_is_refused() {
        let sessions = Sessions::default();
        let (key, other) = (SigningKey::from_seed(&[1; 32]), SigningKey::from_seed(&[2; 32]));
        let challenge = sessions.challenge();
        let by_other = signed(&other, &challenge);
        assert_eq!(sessions.verify(&FEDERATION, &key.public(), &challenge, &by_other), Err(LoginError::BadSignature));
        let challenge = sessions.challenge();
        let elsewhere = key.sign(&login_message(&Hash([8; 32]), &challenge));
        assert_eq!(sessions.verify(&FEDERATION, &key.public(), &challenge, &elsewhere), Err(LoginError::BadSignature));
    }

    #[test]
    fn a_challenge_expires() {
        let sessions = Sessions::default();
        let key = SigningKey::from_seed(&[1; 32]);
        let start = Instant::now();
        let challenge = sessions.challenge_at(start);
        let late = start + CHALLENGE_TTL;
        assert_eq!(
            sessions.verify_at(&FEDERATION, &key.public(), &challenge, &signed(&key, &challenge), late),
            Err(LoginError::StaleChallenge)
        );
    }

    #[test]
    fn outstanding_challenges_are_bounded() {
        let sessions = Sessions::default();
        let now = Instant::now();
        let first = sessions.challenge_at(now);
        for i in 1..=MAX_CHALLENGES {
            sessions.challenge_at(now + Duration::from_millis(i as u64));
        }
        assert_eq!(sessions.lock().challenges.len(), MAX_CHALLENGES);
        assert!(!sessions.lock().challenges.contains_key(&first), "the oldest is forgotten");
    }

    #[test]
    fn sessions_end_when_idle_too_long_and_after_the_absolute_timeout() {
        let sessions = Sessions::default();
        let key = SigningKey::from_seed(&[1; 32]).public();
        let start = 1_800_000_000_000;
        let (token, _) = sessions.open_at(key, start);
        let step = millis(IDLE_TIMEOUT) - 1000;
        let mut now = start;
        while now + step < start + millis(ABSOLUTE_TIMEOUT) {
            now += step;
            assert!(sessions.get_at(&token, now).is_some(), "an active session lives");
        }
        let end = start + millis(ABSOLUTE_TIMEOUT);
        assert!(sessions.get_at(&token, end).is_none(), "but not past the absolute timeout");
        let (token, _) = sessions.open_at(key, start);
        assert!(sessions.get_at(&token, start + millis(IDLE_TIMEOUT)).is_none(), "an idle one ends");
        assert!(sessions.is_empty());
    }

    /// A [`Keep`] in memory, as the node's store keeps sessions.
    #[derive(Clone, Default)]
    struct Memory(std::sync::Arc<Mutex<HashMap<Hash, Vec<u8>>>>);

    impl Memory {
        fn map(&self) -> std::sync::MutexGuard<'_, HashMap<Hash, Vec<u8>>> {
            self.0.lock().expect("not poisoned")
        }
    }

    impl Keep for Memory {
        fn keep(&self, id: &Hash, bytes: &[u8; KEPT_BYTES]) -> Result<(), KeepError> {
            self.map().insert(*id, bytes.to_vec());
            Ok(())
        }
        fn forget(&self, id: &Hash) -> Result<(), KeepError> {
            self.map().remove(id);
            Ok(())
        }
        fn kept(&self) -> Result<Vec<(Hash, Vec<u8>)>, KeepError> {
            Ok(self.map().iter().map(|(k, v)| (*k, v.clone())).collect())
        }
    }

    #[test]
    fn a_kept_session_survives_a_restart_and_its_end_is_kept_too() {
        let store = Memory::default();
        let key = SigningKey::from_seed(&[1; 32]).public();
        let (token, opened) = Sessions::kept(Box::new(store.clone())).open(key);
        assert_eq!(store.map().len(), 1);
        let kept = store.map().keys().copied().collect::<Vec<_>>();
        assert!(
            !kept.iter().any(|id| id.0[..] == hex::decode(&token).expect("hex")[..]),
            "the token itself is not kept"
        );

        let restarted = Sessions::kept(Box::new(store.clone()));
        let session = restarted.get(&token).expect("signed in after the restart");
        assert_eq!((session.key, &session.csrf), (key, &opened.csrf), "the same key and CSRF token");

        restarted.end(&token);
        assert!(store.map().is_empty(), "logout forgets the kept session");
        assert!(Sessions::kept(Box::new(store)).get(&token).is_none());
    }

    #[test]
    fn a_kept_session_that_timed_out_is_forgotten_on_load_and_junk_is_skipped() {
        let store = Memory::default();
        let key = SigningKey::from_seed(&[1; 32]).public();
        let sessions = Sessions::kept(Box::new(store.clone()));
        let (fresh, _) = sessions.open(key);
        let (old, _) = sessions.open_at(key, now_ms() - millis(ABSOLUTE_TIMEOUT));
        store.map().insert(Hash([7; 32]), vec![1, 2, 3]);
        assert_eq!(store.map().len(), 3);

        let restarted = Sessions::kept(Box::new(store.clone()));
        assert!(restarted.get(&old).is_none(), "a session past its absolute timeout stays ended");
        assert!(restarted.get(&fresh).is_some());
        assert_eq!(store.map().len(), 1, "the ended one and the junk are forgotten");
    }

    #[test]
    fn the_last_request_is_kept_only_once_it_moved_by_a_step() {
        let store = Memory::default();
        let sessions = Sessions::kept(Box::new(store.clone()));
        let start = now_ms();
        let (token, _) = sessions.open_at(SigningKey::from_seed(&[1; 32]).public(), start);
        let seen = || {
            let map = store.map();
            Session::from_bytes(map.values().next().expect("one kept")).expect("a session").seen_ms
        };
        sessions.get_at(&token, start + millis(SEEN_STEP) - 1).expect("live");
        assert_eq!(seen(), start, "a request within the step writes nothing");
        sessions.get_at(&token, start + millis(SEEN_STEP)).expect("live");
        assert_eq!(seen(), start + millis(SEEN_STEP));
    }

    #[test]
    fn logout_ends_the_session_and_junk_tokens_find_nothing() {
        let sessions = Sessions::default();
        let (token, session) = sessions.open(SigningKey::from_seed(&[1; 32]).public());
        assert_eq!(session.csrf.len(), 64);
        assert!(sessions.get(&token).is_some());
        sessions.end(&token);
        assert!(sessions.get(&token).is_none());
        for junk in ["", "zz", &"0".repeat(64), &"é".repeat(32)] {
            assert!(sessions.get(junk).is_none());
        }
    }

    #[test]
    fn csrf_tokens_compare_exactly() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "abcd"));
    }
}
