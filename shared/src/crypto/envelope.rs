//! Envelope encryption of individual fields (CRY-2, CRY-3, CRY-6).
//!
//! A field is sealed with AES-256-GCM under a data key that KMS generated for one
//! tenant and one purpose (the KMS encryption context names both, so a data key
//! wrapped for one tenant cannot be unwrapped for another). The additional
//! authenticated data binds the tenant id, the item key and the field name, so a
//! ciphertext copied to another field, record or tenant fails to open.
//!
//! Sealed field layout (version 1):
//! `0x01 | len(wrapped key): u16 BE | wrapped key | nonce (12) | ciphertext | tag (16)`.
//!
//! Data keys are cached in the warm function for [`MAX_KEY_AGE`] and at most
//! [`MAX_KEY_USES`] encryptions, so a warm request costs no KMS call. When KMS
//! cannot be reached every operation fails closed with
//! [`CryptoError::Unavailable`].

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::hmac;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;

use super::{hex, random_bytes, CryptoError};
use crate::tenancy::{TenantId, TenantScope};

/// How long a plaintext data key may stay in memory.
pub const MAX_KEY_AGE: Duration = Duration::from_secs(300);
/// How many fields one data key may seal before a fresh one is requested.
pub const MAX_KEY_USES: u32 = 10_000;
/// How many data keys one warm function keeps at most.
const MAX_CACHED_KEYS: usize = 512;
const FORMAT_V1: u8 = 1;

/// What a data key protects; part of the KMS encryption context.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// Personal data of users and end customers.
    PersonalData,
    /// Secrets whose value is needed later (calendar tokens, TOTP seeds).
    Credential,
    /// The tenant's HMAC key for blind-index lookups (keyed email hashes).
    Lookup,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::PersonalData => "personal-data",
            Purpose::Credential => "credential",
            Purpose::Lookup => "lookup",
        }
    }
}

/// Where a sealed value lives: it is bound to exactly this item and field.
#[derive(Clone, Copy, Debug)]
pub struct FieldBinding<'a> {
    /// Partition key of the item holding the value.
    pub pk: &'a str,
    /// Sort key of the item holding the value.
    pub sk: &'a str,
    /// Attribute name of the value.
    pub field: &'a str,
}

/// A data key as KMS returned it wrapped: safe to store next to the data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrappedKey(pub Vec<u8>);

/// A tenant's key for keyed hashes of lookup values (an email's blind index), so
/// no plaintext email ever appears in a key.
pub struct LookupKey(hmac::Key);

impl LookupKey {
    /// Hex HMAC-SHA256 of an already normalised value.
    pub fn digest(&self, value: &str) -> String {
        hex(hmac::sign(&self.0, value.as_bytes()).as_ref())
    }

    /// A key from fixed bytes, for unit tests of code that hashes with one.
    #[cfg(test)]
    pub(crate) fn for_tests(secret: &[u8]) -> Self {
        Self(hmac::Key::new(hmac::HMAC_SHA256, secret))
    }
}

struct CachedKey {
    key: [u8; 32],
    wrapped: WrappedKey,
    created: Instant,
    uses: u32,
}

impl CachedKey {
    fn new(key: [u8; 32], wrapped: WrappedKey, uses: u32) -> Self {
        Self {
            key,
            wrapped,
            created: Instant::now(),
            uses,
        }
    }

    fn fresh(&self, now: Instant) -> bool {
        now.duration_since(self.created) < MAX_KEY_AGE
    }
}

#[derive(Default)]
struct KeyCache {
    /// The key currently used to seal new values, per tenant and purpose.
    sealing: HashMap<(TenantId, Purpose), CachedKey>,
    /// Unwrapped keys by (tenant, purpose, wrapped bytes), for opening values.
    opening: HashMap<(TenantId, Purpose, Vec<u8>), CachedKey>,
}

impl KeyCache {
    fn evict_stale(&mut self, now: Instant) {
        self.sealing
            .retain(|_, k| k.fresh(now) && k.uses < MAX_KEY_USES);
        self.opening.retain(|_, k| k.fresh(now));
        if self.opening.len() > MAX_CACHED_KEYS {
            self.opening.clear();
        }
        if self.sealing.len() > MAX_CACHED_KEYS {
            self.sealing.clear();
        }
    }
}

/// Envelope encryption backed by one KMS key, with a bounded data-key cache.
pub struct Envelope {
    kms: aws_sdk_kms::Client,
    kms_key_id: String,
    cache: Mutex<KeyCache>,
}

impl std::fmt::Debug for Envelope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Envelope")
            .field("kms_key_id", &self.kms_key_id)
            .finish_non_exhaustive()
    }
}

fn context(tenant: &TenantId, purpose: Purpose) -> HashMap<String, String> {
    HashMap::from([
        ("tenant".to_owned(), tenant.as_str().to_owned()),
        ("purpose".to_owned(), purpose.as_str().to_owned()),
    ])
}

/// Length-prefixed so that no two different bindings produce the same bytes.
fn aad(tenant: &TenantId, purpose: Purpose, at: &FieldBinding<'_>) -> Vec<u8> {
    let mut out = b"bookwarden/v1".to_vec();
    for part in [tenant.as_str(), purpose.as_str(), at.pk, at.sk, at.field] {
        out.extend_from_slice(&(part.len() as u32).to_be_bytes());
        out.extend_from_slice(part.as_bytes());
    }
    out
}

fn aead_key(key: &[u8; 32]) -> Result<LessSafeKey, CryptoError> {
    Ok(LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, key).map_err(|_| CryptoError::Undecryptable)?,
    ))
}

impl Envelope {
    /// `kms_key_id` is the symmetric key that wraps data keys.
    pub fn new(kms: aws_sdk_kms::Client, kms_key_id: String) -> Self {
        Self {
            kms,
            kms_key_id,
            cache: Mutex::new(KeyCache::default()),
        }
    }

    /// Seals `plaintext` for one field of one item of the scope's tenant.
    pub async fn seal(
        &self,
        scope: &TenantScope,
        purpose: Purpose,
        at: FieldBinding<'_>,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let tenant = scope.tenant_id();
        let (key, wrapped) = self.sealing_key(tenant, purpose).await?;
        let nonce_bytes: [u8; NONCE_LEN] = random_bytes();
        let mut in_out = plaintext.to_vec();
        aead_key(&key)?
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(aad(tenant, purpose, &at)),
                &mut in_out,
            )
            .map_err(|_| CryptoError::Undecryptable)?;
        let wrapped_len = u16::try_from(wrapped.0.len()).map_err(|_| CryptoError::Unavailable)?;
        let mut out = Vec::with_capacity(3 + wrapped.0.len() + NONCE_LEN + in_out.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&wrapped_len.to_be_bytes());
        out.extend_from_slice(&wrapped.0);
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&in_out);
        Ok(out)
    }

    /// Opens a value sealed by [`Envelope::seal`] for exactly this tenant, purpose,
    /// item and field; anything else is [`CryptoError::Undecryptable`].
    pub async fn open(
        &self,
        scope: &TenantScope,
        purpose: Purpose,
        at: FieldBinding<'_>,
        sealed: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let (wrapped, nonce, ciphertext) =
            split_sealed(sealed).ok_or(CryptoError::Undecryptable)?;
        let tenant = scope.tenant_id();
        let key = self.unwrap_key(tenant, purpose, wrapped).await?;
        let mut in_out = ciphertext.to_vec();
        let plain = aead_key(&key)?
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad(tenant, purpose, &at)),
                &mut in_out,
            )
            .map_err(|_| CryptoError::Undecryptable)?;
        Ok(plain.to_vec())
    }

    /// Creates a tenant's lookup key; store the wrapped form with the tenant.
    pub async fn new_lookup_key(
        &self,
        scope: &TenantScope,
    ) -> Result<(LookupKey, WrappedKey), CryptoError> {
        let (key, wrapped) = self.generate(scope.tenant_id(), Purpose::Lookup).await?;
        self.remember_for_opening(scope.tenant_id(), Purpose::Lookup, &key, &wrapped);
        Ok((LookupKey(hmac::Key::new(hmac::HMAC_SHA256, &key)), wrapped))
    }

    /// Unwraps a tenant's stored lookup key (cached like any data key).
    pub async fn lookup_key(
        &self,
        scope: &TenantScope,
        wrapped: &WrappedKey,
    ) -> Result<LookupKey, CryptoError> {
        let key = self
            .unwrap_key(scope.tenant_id(), Purpose::Lookup, &wrapped.0)
            .await?;
        Ok(LookupKey(hmac::Key::new(hmac::HMAC_SHA256, &key)))
    }

    /// Creates the platform's lookup key, for keyed hashes of values that
    /// belong to no tenant yet (a sign-up's address in a rate-limit key); store
    /// the wrapped form. Bound to the platform pseudo-tenant's KMS context.
    pub async fn new_platform_lookup_key(&self) -> Result<(LookupKey, WrappedKey), CryptoError> {
        let platform = TenantId::platform();
        let (key, wrapped) = self.generate(&platform, Purpose::Lookup).await?;
        self.remember_for_opening(&platform, Purpose::Lookup, &key, &wrapped);
        Ok((LookupKey(hmac::Key::new(hmac::HMAC_SHA256, &key)), wrapped))
    }

    /// Unwraps the platform's stored lookup key (cached like any data key).
    pub async fn platform_lookup_key(
        &self,
        wrapped: &WrappedKey,
    ) -> Result<LookupKey, CryptoError> {
        let key = self
            .unwrap_key(&TenantId::platform(), Purpose::Lookup, &wrapped.0)
            .await?;
        Ok(LookupKey(hmac::Key::new(hmac::HMAC_SHA256, &key)))
    }

    async fn sealing_key(
        &self,
        tenant: &TenantId,
        purpose: Purpose,
    ) -> Result<([u8; 32], WrappedKey), CryptoError> {
        {
            let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            cache.evict_stale(Instant::now());
            if let Some(k) = cache.sealing.get_mut(&(tenant.clone(), purpose)) {
                k.uses += 1;
                return Ok((k.key, k.wrapped.clone()));
            }
        }
        let (key, wrapped) = self.generate(tenant, purpose).await?;
        self.remember_for_opening(tenant, purpose, &key, &wrapped);
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        cache.sealing.insert(
            (tenant.clone(), purpose),
            CachedKey::new(key, wrapped.clone(), 1),
        );
        Ok((key, wrapped))
    }

    fn remember_for_opening(
        &self,
        tenant: &TenantId,
        purpose: Purpose,
        key: &[u8; 32],
        wrapped: &WrappedKey,
    ) {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        cache.opening.insert(
            (tenant.clone(), purpose, wrapped.0.clone()),
            CachedKey::new(*key, wrapped.clone(), 0),
        );
    }

    async fn generate(
        &self,
        tenant: &TenantId,
        purpose: Purpose,
    ) -> Result<([u8; 32], WrappedKey), CryptoError> {
        let out = self
            .kms
            .generate_data_key()
            .key_id(&self.kms_key_id)
            .key_spec(DataKeySpec::Aes256)
            .set_encryption_context(Some(context(tenant, purpose)))
            .send()
            .await
            .map_err(|e| {
                tracing::error!(error = %aws_sdk_kms::error::DisplayErrorContext(&e), "kms GenerateDataKey failed");
                CryptoError::Unavailable
            })?;
        let key: [u8; 32] = out
            .plaintext()
            .and_then(key_bytes)
            .ok_or(CryptoError::Unavailable)?;
        let wrapped = out
            .ciphertext_blob()
            .ok_or(CryptoError::Unavailable)?
            .as_ref()
            .to_vec();
        Ok((key, WrappedKey(wrapped)))
    }

    async fn unwrap_key(
        &self,
        tenant: &TenantId,
        purpose: Purpose,
        wrapped: &[u8],
    ) -> Result<[u8; 32], CryptoError> {
        let cache_key = (tenant.clone(), purpose, wrapped.to_vec());
        {
            let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            cache.evict_stale(Instant::now());
            if let Some(k) = cache.opening.get(&cache_key) {
                return Ok(k.key);
            }
        }
        let out = self
            .kms
            .decrypt()
            .key_id(&self.kms_key_id)
            .ciphertext_blob(Blob::new(wrapped))
            .set_encryption_context(Some(context(tenant, purpose)))
            .send()
            .await
            .map_err(|e| {
                let refused = e
                    .as_service_error()
                    .is_some_and(|s| s.is_invalid_ciphertext_exception() || s.is_incorrect_key_exception());
                if refused {
                    tracing::warn!("kms refused to unwrap a data key in this context");
                    CryptoError::Undecryptable
                } else {
                    tracing::error!(error = %aws_sdk_kms::error::DisplayErrorContext(&e), "kms Decrypt failed");
                    CryptoError::Unavailable
                }
            })?;
        let key: [u8; 32] = out
            .plaintext()
            .and_then(key_bytes)
            .ok_or(CryptoError::Undecryptable)?;
        self.remember_for_opening(tenant, purpose, &key, &WrappedKey(wrapped.to_vec()));
        Ok(key)
    }
}

/// A KMS plaintext data key as an AES-256 key, if it has the right length.
fn key_bytes(blob: &Blob) -> Option<[u8; 32]> {
    blob.as_ref().try_into().ok()
}

fn split_sealed(sealed: &[u8]) -> Option<(&[u8], [u8; NONCE_LEN], &[u8])> {
    let (&version, rest) = sealed.split_first()?;
    if version != FORMAT_V1 || rest.len() < 2 {
        return None;
    }
    let wrapped_len = u16::from_be_bytes([rest[0], rest[1]]) as usize;
    let rest = &rest[2..];
    if rest.len() < wrapped_len + NONCE_LEN + 16 {
        return None;
    }
    let (wrapped, rest) = rest.split_at(wrapped_len);
    let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
    Some((wrapped, nonce.try_into().ok()?, ciphertext))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_or_unknown_versions_do_not_parse() {
        assert!(split_sealed(&[]).is_none());
        assert!(split_sealed(&[2, 0, 0]).is_none());
        assert!(split_sealed(&[1, 0, 4, 1, 2, 3, 4]).is_none());
        let mut ok = vec![1, 0, 1, 9];
        ok.extend_from_slice(&[0; NONCE_LEN + 16]);
        assert!(split_sealed(&ok).is_some());
    }

    #[test]
    fn bindings_never_collide() {
        let t = TenantId::generate();
        let a = aad(
            &t,
            Purpose::PersonalData,
            &FieldBinding {
                pk: "ab",
                sk: "c",
                field: "f",
            },
        );
        let b = aad(
            &t,
            Purpose::PersonalData,
            &FieldBinding {
                pk: "a",
                sk: "bc",
                field: "f",
            },
        );
        assert_ne!(a, b);
    }
}
