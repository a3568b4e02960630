//! Hashes, keys and signatures: SHA-256 with domain separation, ed25519 with strict verification
//! (single or in batches, under one rule).

use std::fmt;

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha512};

/// Domain-separation prefixes. Every hash and signature input starts with one, so bytes signed or
/// hashed for one purpose can never be replayed as another.
pub mod domain {
    /// Prefix of the bytes an author (and every countersigner) signs: the canonical header.
    pub const HEADER: &[u8] = b"samverka/v1/header\0";
    /// Prefix of the record id: hash of header bytes and the author's signature.
    pub const RECORD_ID: &[u8] = b"samverka/v1/record-id\0";
    /// Prefix of a body hash.
    pub const BODY: &[u8] = b"samverka/v1/body\0";
    /// Prefix of a paper's (document's) content hash.
    pub const PAPER: &[u8] = b"samverka/v1/paper\0";
}

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The all-zero hash: the federation field of the charter, which cannot name itself.
    pub const ZERO: Hash = Hash([0; 32]);

    /// Hashes the concatenation of `parts` after a domain prefix.
    pub fn of(domain: &[u8], parts: &[&[u8]]) -> Hash {
        let mut h = Sha256::new();
        h.update(domain);
        for p in parts {
            h.update(p);
        }
        Hash(h.finalize().into())
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hex digits.
    pub fn from_hex(s: &str) -> Result<Hash, hex::FromHexError> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out)?;
        Ok(Hash(out))
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", &self.to_hex()[..12])
    }
}

/// An ed25519 public key (32 bytes, compressed Edwards point).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PublicKey(pub [u8; 32]);

impl PublicKey {
    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hex digits.
    pub fn from_hex(s: &str) -> Result<PublicKey, hex::FromHexError> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out)?;
        Ok(PublicKey(out))
    }

    /// Verifies `sig` over `message` under Samverka's strict rule (see [`verify_batch`] and
    /// docs/protocol.md §4): canonical encodings, no small-order key or `R`, `S < L`, and the
    /// cofactored equation `[8][S]B = [8]R + [8][k]A`. One rule for single and batch checks, so
    /// every node accepts exactly the same signatures however it groups them.
    pub fn verify_strict(&self, message: &[u8], sig: &Signature) -> bool {
        let Some(key) = self.point() else { return false };
        let Some(check) = Prepared::new(self, message, sig) else { return false };
        let discrepancy = EdwardsPoint::vartime_double_scalar_mul_basepoint(&check.k, &-key, &check.s) - check.r;
        discrepancy.mul_by_cofactor().is_identity()
    }

    /// The key as a curve point, if its encoding is canonical and it is not of small order.
    /// Points already decompressed come from [`KEY_POINTS`]: a federation's few thousand keys
    /// sign again and again, and decompressing is a square root in the field.
    fn point(&self) -> Option<EdwardsPoint> {
        let cache = || KEY_POINTS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(point) = cache().get(&self.0) {
            return Some(*point);
        }
        let point = strict_point(&self.0)?;
        let mut points = cache();
        if points.len() >= MAX_KEY_POINTS {
            points.clear();
        }
        points.insert(self.0, point);
        Some(point)
    }

    /// Same key in ed25519-dalek's type, or `None` if the bytes are not a valid point.
    pub fn to_dalek(&self) -> Option<ed25519_dalek::VerifyingKey> {
        ed25519_dalek::VerifyingKey::from_bytes(&self.0).ok()
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "key:{}", &self.to_hex()[..12])
    }
}

/// An ed25519 signature (64 bytes), encoded as 64 raw bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature(pub [u8; 64]);

impl Serialize for Signature {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple;
        let mut t = s.serialize_tuple(64)?;
        for b in &self.0 {
            t.serialize_element(b)?;
        }
        t.end()
    }
}

impl<'de> Deserialize<'de> for Signature {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Signature;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("64 signature bytes")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Signature, A::Error> {
                let mut out = [0u8; 64];
                for (i, b) in out.iter_mut().enumerate() {
                    *b = seq.next_element()?.ok_or_else(|| serde::de::Error::invalid_length(i, &self))?;
                }
                Ok(Signature(out))
            }
        }
        d.deserialize_tuple(64, V)
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sig:{}", &hex::encode(self.0)[..12])
    }
}

impl Signature {
    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

/// A private ed25519 key. Created from 32 secret bytes; generation (randomness) is the node's job.
#[derive(Clone)]
pub struct SigningKey(ed25519_dalek::SigningKey);

impl SigningKey {
    /// The key whose secret scalar is derived from `seed`.
    pub fn from_seed(seed: &[u8; 32]) -> SigningKey {
        SigningKey(ed25519_dalek::SigningKey::from_bytes(seed))
    }

    /// The 32 secret bytes, for writing to the key file of the one place that holds this key.
    pub fn to_seed(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The matching public key.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key().to_bytes())
    }

    /// Signs `message`.
    pub fn sign(&self, message: &[u8]) -> Signature {
        use ed25519_dalek::Signer;
        Signature(self.0.sign(message).to_bytes())
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({:?})", self.public())
    }
}

/// Decompresses a point under the strict rule: the encoding must be canonical (`y < p`) and the
/// point must not be of small order.
/// Most decompressed keys the cache of key points holds (160 bytes each): far more than a federation's
/// keys; when full it starts again empty, so keys from anywhere cannot grow it.
pub const MAX_KEY_POINTS: usize = 16_384;

/// Keys whose encoding [`strict_point`] accepted, decompressed (only valid points go in).
static KEY_POINTS: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<[u8; 32], EdwardsPoint>>> =
    std::sync::LazyLock::new(Default::default);

fn strict_point(bytes: &[u8; 32]) -> Option<EdwardsPoint> {
    // y ≥ p = 2^255 − 19 is a non-canonical encoding of y − p.
    let high_ones = bytes[31] & 0x7f == 0x7f && bytes[1..31].iter().all(|b| *b == 0xff);
    if high_ones && bytes[0] >= 0xed {
        return None;
    }
    let point = CompressedEdwardsY(*bytes).decompress()?;
    (!point.is_small_order()).then_some(point)
}

/// One signature's parts, checked for encoding and ready for the verification equation.
struct Prepared {
    r: EdwardsPoint,
    s: Scalar,
    k: Scalar,
}

impl Prepared {
    fn new(key: &PublicKey, message: &[u8], sig: &Signature) -> Option<Prepared> {
        let r_bytes: [u8; 32] = sig.0[..32].try_into().expect("32 bytes");
        let s_bytes: [u8; 32] = sig.0[32..].try_into().expect("32 bytes");
        let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes))?;
        let r = strict_point(&r_bytes)?;
        let mut h = Sha512::new();
        h.update(r_bytes);
        h.update(key.0);
        h.update(message);
        let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
        Some(Prepared { r, s, k })
    }
}

/// One signature to check in a batch.
#[derive(Clone, Copy, Debug)]
pub struct SignedMessage<'a> {
    /// The signer's key.
    pub key: &'a PublicKey,
    /// The signed bytes.
    pub message: &'a [u8],
    /// The signature.
    pub signature: &'a Signature,
}

/// Whether every signature in `items` is valid under [`PublicKey::verify_strict`]'s rule.
///
/// Checks `[8](Σ zᵢRᵢ + Σ (zᵢkᵢ)Aᵢ − (Σ zᵢSᵢ)B) = 0` in one multiscalar multiplication, with
/// 128-bit weights `zᵢ` derived by SHA-512 from every item of the batch (so the function is
/// deterministic and pure, and an invalid signature passes only if its author can predict a hash).
/// Valid signatures always pass (the cofactored equation holds for each); a batch holding an
/// invalid one fails except with probability about 2⁻¹²⁸. When it fails, check the items one by
/// one to find which.
pub fn verify_batch(items: &[SignedMessage<'_>]) -> bool {
    let mut prepared = Vec::with_capacity(items.len());
    let mut transcript = Sha512::new();
    transcript.update(b"samverka/v1/batch-weights\0");
    for item in items {
        let Some(point) = item.key.point() else { return false };
        let Some(check) = Prepared::new(item.key, item.message, item.signature) else { return false };
        transcript.update(item.key.0);
        transcript.update(item.signature.0);
        transcript.update(check.k.as_bytes());
        prepared.push((point, check));
    }
    let seed: [u8; 64] = transcript.finalize().into();
    let mut scalars = Vec::with_capacity(2 * items.len() + 1);
    let mut points = Vec::with_capacity(2 * items.len() + 1);
    let mut s_sum = Scalar::ZERO;
    for (i, (key, check)) in prepared.iter().enumerate() {
        let z = weight(&seed, i);
        s_sum += z * check.s;
        scalars.push(z);
        points.push(check.r);
        scalars.push(z * check.k);
        points.push(*key);
    }
    scalars.push(-s_sum);
    points.push(curve25519_dalek::constants::ED25519_BASEPOINT_POINT);
    EdwardsPoint::vartime_multiscalar_mul(&scalars, &points).mul_by_cofactor().is_identity()
}

/// The `i`th 128-bit batch weight drawn from `seed`.
fn weight(seed: &[u8; 64], i: usize) -> Scalar {
    let mut h = Sha512::new();
    h.update(seed);
    h.update((i as u64).to_be_bytes());
    let digest = h.finalize();
    let mut wide = [0u8; 32];
    wide[..16].copy_from_slice(&digest[..16]);
    Scalar::from_bytes_mod_order(wide)
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::EIGHT_TORSION;

    fn signed(i: u8) -> (PublicKey, Vec<u8>, Signature) {
        let key = SigningKey::from_seed(&[i; 32]);
        let message = format!("message {i}").into_bytes();
        let sig = key.sign(&message);
        (key.public(), message, sig)
    }

    /// A signature over `message` by seed `i` whose `R` carries a small-order component: only
    /// the signer can make one (the nonce is the signer's), and only the cofactored equation
    /// accepts it.
    fn with_torsion(i: u8, message: &[u8]) -> Signature {
        let a = ed25519_dalek::SigningKey::from_bytes(&[i; 32]).to_scalar();
        let r = Scalar::from_bytes_mod_order([i.wrapping_add(1); 32]);
        let big_r = curve25519_dalek::constants::ED25519_BASEPOINT_POINT * r + EIGHT_TORSION[1];
        let key = SigningKey::from_seed(&[i; 32]).public();
        let mut h = Sha512::new();
        h.update(big_r.compress().as_bytes());
        h.update(key.0);
        h.update(message);
        let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(big_r.compress().as_bytes());
        out[32..].copy_from_slice((r + k * a).as_bytes());
        Signature(out)
    }

    fn batch_of(items: &[(PublicKey, Vec<u8>, Signature)]) -> bool {
        let items: Vec<_> =
            items.iter().map(|(key, message, signature)| SignedMessage { key, message, signature }).collect();
        verify_batch(&items)
    }

    #[test]
    fn honest_signatures_verify_singly_and_in_batches() {
        let items: Vec<_> = (0..70).map(signed).collect();
        assert!(items.iter().all(|(k, m, s)| k.verify_strict(m, s)));
        assert!(batch_of(&items));
        assert!(batch_of(&items[..1]));
        assert!(batch_of(&[]));
    }

    #[test]
    fn one_bad_signature_fails_the_batch_and_its_own_check() {
        let mut items: Vec<_> = (0..20).map(signed).collect();
        items[7].1.push(b'!');
        assert!(!batch_of(&items));
        assert!(!items[7].0.verify_strict(&items[7].1, &items[7].2));
        // Two signatures swapped between messages: each is a valid signature, of something else.
        let mut items: Vec<_> = (0..4).map(signed).collect();
        let (a, b) = (items[0].2, items[1].2);
        items[0].2 = b;
        items[1].2 = a;
        assert!(!batch_of(&items));
    }

    #[test]
    fn a_torsion_component_in_r_is_judged_alike_singly_and_in_batches() {
        // The cofactored equation accepts it (unlike ed25519-dalek's cofactorless
        // `verify_strict`); what matters is that batch and single checks agree. Adding torsion
        // to someone else's `R` changes `k` and breaks the signature, so only the signer can
        // make such a variant, and the record id does not cover the signature anyway.
        let (key, message, sig) = signed(3);
        let variant = with_torsion(3, &message);
        assert!(key.verify_strict(&message, &variant));
        let dalek = key.to_dalek().expect("a key");
        assert!(dalek.verify_strict(&message, &ed25519_dalek::Signature::from_bytes(&variant.0)).is_err());
        let mut tampered = sig;
        let r = CompressedEdwardsY(sig.0[..32].try_into().expect("32 bytes")).decompress().expect("a point");
        tampered.0[..32].copy_from_slice((r + EIGHT_TORSION[1]).compress().as_bytes());
        assert!(!key.verify_strict(&message, &tampered));
        let mut items: Vec<_> = (10..15).map(signed).collect();
        items.push((key, message.clone(), variant));
        assert!(batch_of(&items));
        items.push((key, message, tampered));
        assert!(!batch_of(&items));
    }

    #[test]
    fn non_canonical_and_small_order_encodings_are_refused() {
        let (key, message, sig) = signed(5);
        // S + L: the same scalar, not reduced.
        let mut unreduced = sig;
        let s = Scalar::from_canonical_bytes(sig.0[32..].try_into().expect("32 bytes")).expect("canonical");
        let mut wide = [0u8; 33];
        let l: [u8; 32] = hex::decode("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
            .expect("hex")
            .try_into()
            .expect("32 bytes");
        let mut carry = 0u16;
        for i in 0..32 {
            let v = u16::from(s.as_bytes()[i]) + u16::from(l[i]) + carry;
            wide[i] = v as u8;
            carry = v >> 8;
        }
        unreduced.0[32..].copy_from_slice(&wide[..32]);
        assert!(!key.verify_strict(&message, &unreduced));
        assert!(!batch_of(&[(key, message.clone(), unreduced)]));
        // A small-order R, and a small-order key.
        let mut small_r = sig;
        small_r.0[..32].copy_from_slice(EIGHT_TORSION[2].compress().as_bytes());
        assert!(!key.verify_strict(&message, &small_r));
        let identity = PublicKey(EIGHT_TORSION[0].compress().to_bytes());
        assert!(!identity.verify_strict(&message, &sig));
        // y = p: a non-canonical encoding of y = 0.
        let mut p = [0xffu8; 32];
        p[0] = 0xed;
        p[31] = 0x7f;
        assert!(strict_point(&p).is_none());
        assert!(strict_point(&key.0).is_some());
    }

    #[test]
    fn a_cached_key_point_is_the_point_and_an_invalid_key_is_never_cached() {
        let (key, message, sig) = signed(6);
        assert_eq!(key.point(), strict_point(&key.0));
        assert_eq!(key.point(), strict_point(&key.0), "the second time from the cache");
        assert!(KEY_POINTS.lock().expect("not poisoned").contains_key(&key.0));
        let identity = PublicKey(EIGHT_TORSION[0].compress().to_bytes());
        for _ in 0..2 {
            assert!(identity.point().is_none());
            assert!(!identity.verify_strict(&message, &sig));
        }
        assert!(!KEY_POINTS.lock().expect("not poisoned").contains_key(&identity.0));
    }
}
