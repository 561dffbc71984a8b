//! Envelope encryption of individual fields (CRY-2, CRY-3, CRY-6).
//!
//! Three layers of keys:
//! - KMS's `DataKey` wraps one **root key per tenant**. The wrapped root lives
//!   in the keystore table, a table of its own that the main table's backups
//!   never contain, so deleting a tenant's entry there (the purge, PRIV-3)
//!   leaves every copy of its data unreadable, backups included (CRY-6). The
//!   KMS encryption context names the tenant, so one tenant's root cannot be
//!   unwrapped as another's.
//! - The root key wraps **data keys**, one per tenant and purpose at a time,
//!   locally (AES-256-GCM, the tenant and purpose as additional data).
//! - A data key seals **fields** with AES-256-GCM; the additional data binds
//!   the tenant id, the purpose, the item key and the field name, so a
//!   ciphertext copied to another field, record or tenant fails to open.
//!
//! Sealed field layout (version 2):
//! `0x02 | len(wrapped data key): u16 BE | wrapped data key | nonce (12) | ciphertext | tag (16)`,
//! where the wrapped data key is `nonce (12) | key ciphertext (32) | tag (16)`
//! under the tenant's root key.
//!
//! Root keys are cached in the warm function for [`MAX_KEY_AGE`], data keys
//! for the same age and at most [`MAX_KEY_USES`] encryptions, so a warm request
//! costs no KMS call: a cold one costs one keystore read and one KMS `Decrypt`
//! per tenant. When KMS or the keystore cannot be reached every operation
//! fails closed with [`CryptoError::Unavailable`].

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::hmac;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;

use super::{hex, random_bytes, CryptoError};
use crate::tenancy::{TenantId, TenantScope};

/// How long a plaintext root or data key may stay in memory.
pub const MAX_KEY_AGE: Duration = Duration::from_secs(300);
/// How many fields one data key may seal before a fresh one is made.
pub const MAX_KEY_USES: u32 = 10_000;
/// How many data keys one warm function keeps at most.
const MAX_CACHED_KEYS: usize = 512;
const FORMAT_V2: u8 = 2;
const TAG_LEN: usize = 16;
/// A data key wrapped under a root key: nonce, key ciphertext, tag.
const WRAPPED_DATA_KEY_LEN: usize = NONCE_LEN + 32 + TAG_LEN;
/// The KMS encryption context's purpose for tenants' root keys.
const ROOT_PURPOSE: &str = "tenant-root";
/// The keystore item's attribute holding the KMS-wrapped root key.
const WRAPPED_ROOT_ATTR: &str = "wrapped_root";

/// What a data key protects; part of the additional data of every value.
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

/// A key in wrapped form: safe to store next to the data it protects.
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

    fn from_bytes(key: &[u8; 32]) -> Self {
        Self(hmac::Key::new(hmac::HMAC_SHA256, key))
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
    /// Unwrapped root keys, per tenant.
    roots: HashMap<TenantId, CachedKey>,
    /// The key currently used to seal new values, per tenant and purpose.
    sealing: HashMap<(TenantId, Purpose), CachedKey>,
    /// Unwrapped keys by (tenant, purpose, wrapped bytes), for opening values.
    opening: HashMap<(TenantId, Purpose, Vec<u8>), CachedKey>,
}

impl KeyCache {
    fn evict_stale(&mut self, now: Instant) {
        self.roots.retain(|_, k| k.fresh(now));
        self.sealing
            .retain(|_, k| k.fresh(now) && k.uses < MAX_KEY_USES);
        self.opening.retain(|_, k| k.fresh(now));
        for len in [self.roots.len(), self.sealing.len(), self.opening.len()] {
            if len > MAX_CACHED_KEYS {
                *self = Self::default();
                return;
            }
        }
    }

    fn forget(&mut self, tenant: &TenantId) {
        self.roots.remove(tenant);
        self.sealing.retain(|(t, _), _| t != tenant);
        self.opening.retain(|(t, _, _), _| t != tenant);
    }
}

/// Envelope encryption under per-tenant root keys held in the keystore
/// table and wrapped by one KMS key, with a bounded key cache.
pub struct Envelope {
    kms: aws_sdk_kms::Client,
    kms_key_id: String,
    dynamodb: aws_sdk_dynamodb::Client,
    keystore_table: String,
    cache: Mutex<KeyCache>,
}

impl std::fmt::Debug for Envelope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Envelope")
            .field("kms_key_id", &self.kms_key_id)
            .field("keystore_table", &self.keystore_table)
            .finish_non_exhaustive()
    }
}

fn context(tenant: &TenantId, purpose: &str) -> HashMap<String, String> {
    HashMap::from([
        ("tenant".to_owned(), tenant.as_str().to_owned()),
        ("purpose".to_owned(), purpose.to_owned()),
    ])
}

fn length_prefixed(label: &[u8], parts: &[&str]) -> Vec<u8> {
    let mut out = label.to_vec();
    for part in parts {
        out.extend_from_slice(&(part.len() as u32).to_be_bytes());
        out.extend_from_slice(part.as_bytes());
    }
    out
}

/// Length-prefixed so that no two different bindings produce the same bytes.
fn aad(tenant: &TenantId, purpose: Purpose, at: &FieldBinding<'_>) -> Vec<u8> {
    length_prefixed(
        b"bookwarden/v2",
        &[tenant.as_str(), purpose.as_str(), at.pk, at.sk, at.field],
    )
}

/// The additional data of a data key wrapped under a tenant's root key.
fn key_aad(tenant: &TenantId, purpose: Purpose) -> Vec<u8> {
    length_prefixed(
        b"bookwarden/data-key/v2",
        &[tenant.as_str(), purpose.as_str()],
    )
}

fn aead_key(key: &[u8; 32]) -> Result<LessSafeKey, CryptoError> {
    Ok(LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, key).map_err(|_| CryptoError::Undecryptable)?,
    ))
}

/// `nonce | ciphertext | tag` of `plaintext` under `key`.
fn aead_seal(key: &[u8; 32], aad: Vec<u8>, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let nonce_bytes: [u8; NONCE_LEN] = random_bytes();
    let mut in_out = plaintext.to_vec();
    aead_key(key)?
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce_bytes),
            Aad::from(aad),
            &mut in_out,
        )
        .map_err(|_| CryptoError::Undecryptable)?;
    let mut out = Vec::with_capacity(NONCE_LEN + in_out.len());
    out.extend_from_slice(&nonce_bytes);
    out.extend_from_slice(&in_out);
    Ok(out)
}

/// Opens `nonce | ciphertext | tag` made by [`aead_seal`].
fn aead_open(key: &[u8; 32], aad: Vec<u8>, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if sealed.len() < NONCE_LEN + TAG_LEN {
        return Err(CryptoError::Undecryptable);
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CryptoError::Undecryptable)?;
    let mut in_out = ciphertext.to_vec();
    let plain = aead_key(key)?
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut in_out,
        )
        .map_err(|_| CryptoError::Undecryptable)?;
    Ok(plain.to_vec())
}

impl Envelope {
    /// `kms_key_id` is the symmetric KMS key that wraps tenants' root keys,
    /// which live in `keystore_table`.
    pub fn new(
        kms: aws_sdk_kms::Client,
        kms_key_id: String,
        dynamodb: aws_sdk_dynamodb::Client,
        keystore_table: String,
    ) -> Self {
        Self {
            kms,
            kms_key_id,
            dynamodb,
            keystore_table,
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
        let sealed = aead_seal(&key, aad(tenant, purpose, &at), plaintext)?;
        let wrapped_len = u16::try_from(wrapped.0.len()).map_err(|_| CryptoError::Unavailable)?;
        let mut out = Vec::with_capacity(3 + wrapped.0.len() + sealed.len());
        out.push(FORMAT_V2);
        out.extend_from_slice(&wrapped_len.to_be_bytes());
        out.extend_from_slice(&wrapped.0);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens a value sealed by [`Envelope::seal`] for exactly this tenant, purpose,
    /// item and field; anything else, or a tenant whose root key was
    /// destroyed, is [`CryptoError::Undecryptable`].
    pub async fn open(
        &self,
        scope: &TenantScope,
        purpose: Purpose,
        at: FieldBinding<'_>,
        sealed: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let (wrapped, sealed_value) = split_sealed(sealed).ok_or(CryptoError::Undecryptable)?;
        let tenant = scope.tenant_id();
        let key = self.unwrap_data_key(tenant, purpose, wrapped).await?;
        aead_open(&key, aad(tenant, purpose, &at), sealed_value)
    }

    /// Creates a tenant's lookup key; store the wrapped form with the tenant.
    pub async fn new_lookup_key(
        &self,
        scope: &TenantScope,
    ) -> Result<(LookupKey, WrappedKey), CryptoError> {
        let tenant = scope.tenant_id();
        let root = self.root_key(tenant, true).await?;
        let key: [u8; 32] = random_bytes();
        let wrapped = WrappedKey(aead_seal(&root, key_aad(tenant, Purpose::Lookup), &key)?);
        self.remember_for_opening(tenant, Purpose::Lookup, &key, &wrapped);
        Ok((LookupKey::from_bytes(&key), wrapped))
    }

    /// Unwraps a tenant's stored lookup key (cached like any data key).
    pub async fn lookup_key(
        &self,
        scope: &TenantScope,
        wrapped: &WrappedKey,
    ) -> Result<LookupKey, CryptoError> {
        let key = self
            .unwrap_data_key(scope.tenant_id(), Purpose::Lookup, &wrapped.0)
            .await?;
        Ok(LookupKey::from_bytes(&key))
    }

    /// Creates the platform's lookup key, for keyed hashes of values that
    /// belong to no tenant yet (a sign-up's address in a rate-limit key); store
    /// the wrapped form. Wrapped by KMS directly under the platform
    /// pseudo-tenant's context: it belongs to no tenant and is never shredded.
    pub async fn new_platform_lookup_key(&self) -> Result<(LookupKey, WrappedKey), CryptoError> {
        let platform = TenantId::platform();
        let (key, wrapped) = self
            .kms_generate(&platform, Purpose::Lookup.as_str())
            .await?;
        self.remember_for_opening(&platform, Purpose::Lookup, &key, &wrapped);
        Ok((LookupKey::from_bytes(&key), wrapped))
    }

    /// Unwraps the platform's stored lookup key (cached like any data key).
    pub async fn platform_lookup_key(
        &self,
        wrapped: &WrappedKey,
    ) -> Result<LookupKey, CryptoError> {
        let platform = TenantId::platform();
        let cached = self.cached_opening(&platform, Purpose::Lookup, &wrapped.0);
        let key = match cached {
            Some(key) => key,
            None => {
                let key = self
                    .kms_unwrap(&platform, Purpose::Lookup.as_str(), &wrapped.0)
                    .await?;
                self.remember_for_opening(&platform, Purpose::Lookup, &key, wrapped);
                key
            }
        };
        Ok(LookupKey::from_bytes(&key))
    }

    /// Destroys a tenant's root key (the purge, PRIV-3): afterwards nothing
    /// sealed for the tenant opens anywhere, in the table or in any backup of
    /// it. Idempotent. Warm functions elsewhere forget their cached copy
    /// within [`MAX_KEY_AGE`].
    pub async fn destroy_tenant_key(&self, tenant: &TenantId) -> Result<(), CryptoError> {
        self.dynamodb
            .delete_item()
            .table_name(&self.keystore_table)
            .key("PK", keystore_pk(tenant))
            .send()
            .await
            .map_err(|e| {
                tracing::error!(error = %aws_sdk_dynamodb::error::DisplayErrorContext(&e), "keystore DeleteItem failed");
                CryptoError::Unavailable
            })?;
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .forget(tenant);
        Ok(())
    }

    /// Whether the tenant still has a root key (read from the keystore, not
    /// the cache).
    pub async fn tenant_key_exists(&self, tenant: &TenantId) -> Result<bool, CryptoError> {
        Ok(self.stored_root(tenant).await?.is_some())
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
        let root = self.root_key(tenant, true).await?;
        let key: [u8; 32] = random_bytes();
        let wrapped = WrappedKey(aead_seal(&root, key_aad(tenant, purpose), &key)?);
        self.remember_for_opening(tenant, purpose, &key, &wrapped);
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        cache.sealing.insert(
            (tenant.clone(), purpose),
            CachedKey::new(key, wrapped.clone(), 1),
        );
        Ok((key, wrapped))
    }

    async fn unwrap_data_key(
        &self,
        tenant: &TenantId,
        purpose: Purpose,
        wrapped: &[u8],
    ) -> Result<[u8; 32], CryptoError> {
        if wrapped.len() != WRAPPED_DATA_KEY_LEN {
            return Err(CryptoError::Undecryptable);
        }
        if let Some(key) = self.cached_opening(tenant, purpose, wrapped) {
            return Ok(key);
        }
        let root = self.root_key(tenant, false).await?;
        let key: [u8; 32] = aead_open(&root, key_aad(tenant, purpose), wrapped)?
            .try_into()
            .map_err(|_| CryptoError::Undecryptable)?;
        self.remember_for_opening(tenant, purpose, &key, &WrappedKey(wrapped.to_vec()));
        Ok(key)
    }

    fn cached_opening(
        &self,
        tenant: &TenantId,
        purpose: Purpose,
        wrapped: &[u8],
    ) -> Option<[u8; 32]> {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        cache.evict_stale(Instant::now());
        cache
            .opening
            .get(&(tenant.clone(), purpose, wrapped.to_vec()))
            .map(|k| k.key)
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

    /// The tenant's root key: cached, else read from the keystore and
    /// unwrapped by KMS; when there is none, made (`create`, for sealing) or
    /// refused as [`CryptoError::Undecryptable`] (opening: nothing sealed for
    /// a tenant without a root key can be opened).
    async fn root_key(&self, tenant: &TenantId, create: bool) -> Result<[u8; 32], CryptoError> {
        {
            let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            cache.evict_stale(Instant::now());
            if let Some(k) = cache.roots.get(tenant) {
                return Ok(k.key);
            }
        }
        let key = match self.stored_root(tenant).await? {
            Some(wrapped) => self.kms_unwrap(tenant, ROOT_PURPOSE, &wrapped).await?,
            None if create => self.create_root(tenant).await?,
            None => return Err(CryptoError::Undecryptable),
        };
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        cache.roots.insert(
            tenant.clone(),
            CachedKey::new(key, WrappedKey(Vec::new()), 0),
        );
        Ok(key)
    }

    async fn stored_root(&self, tenant: &TenantId) -> Result<Option<Vec<u8>>, CryptoError> {
        let out = self
            .dynamodb
            .get_item()
            .table_name(&self.keystore_table)
            .key("PK", keystore_pk(tenant))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| {
                tracing::error!(error = %aws_sdk_dynamodb::error::DisplayErrorContext(&e), "keystore GetItem failed");
                CryptoError::Unavailable
            })?;
        match out.item().and_then(|i| i.get(WRAPPED_ROOT_ATTR)) {
            None => Ok(None),
            Some(AttributeValue::B(b)) => Ok(Some(b.as_ref().to_vec())),
            Some(_) => Err(CryptoError::Undecryptable),
        }
    }

    /// Makes and stores a root key; when another request stored one first,
    /// that one wins and is used.
    async fn create_root(&self, tenant: &TenantId) -> Result<[u8; 32], CryptoError> {
        let (key, wrapped) = self.kms_generate(tenant, ROOT_PURPOSE).await?;
        let put = self
            .dynamodb
            .put_item()
            .table_name(&self.keystore_table)
            .item("PK", keystore_pk(tenant))
            .item(
                WRAPPED_ROOT_ATTR,
                AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(wrapped.0)),
            )
            .item(
                "created_at",
                AttributeValue::N(crate::clock::now_unix().to_string()),
            )
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        match put {
            Ok(_) => Ok(key),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                let stored = self
                    .stored_root(tenant)
                    .await?
                    .ok_or(CryptoError::Unavailable)?;
                self.kms_unwrap(tenant, ROOT_PURPOSE, &stored).await
            }
            Err(e) => {
                tracing::error!(error = %aws_sdk_dynamodb::error::DisplayErrorContext(&e), "keystore PutItem failed");
                Err(CryptoError::Unavailable)
            }
        }
    }

    async fn kms_generate(
        &self,
        tenant: &TenantId,
        purpose: &str,
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

    async fn kms_unwrap(
        &self,
        tenant: &TenantId,
        purpose: &str,
        wrapped: &[u8],
    ) -> Result<[u8; 32], CryptoError> {
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
                    tracing::warn!("kms refused to unwrap a key in this context");
                    CryptoError::Undecryptable
                } else {
                    tracing::error!(error = %aws_sdk_kms::error::DisplayErrorContext(&e), "kms Decrypt failed");
                    CryptoError::Unavailable
                }
            })?;
        out.plaintext()
            .and_then(key_bytes)
            .ok_or(CryptoError::Undecryptable)
    }
}

/// The keystore item of a tenant.
fn keystore_pk(tenant: &TenantId) -> AttributeValue {
    AttributeValue::S(format!("T#{tenant}"))
}

/// A KMS plaintext key as an AES-256 key, if it has the right length.
fn key_bytes(blob: &Blob) -> Option<[u8; 32]> {
    blob.as_ref().try_into().ok()
}

/// The wrapped data key and the sealed value (`nonce | ciphertext | tag`).
fn split_sealed(sealed: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&version, rest) = sealed.split_first()?;
    if version != FORMAT_V2 || rest.len() < 2 {
        return None;
    }
    let wrapped_len = u16::from_be_bytes([rest[0], rest[1]]) as usize;
    let rest = &rest[2..];
    if rest.len() < wrapped_len + NONCE_LEN + TAG_LEN {
        return None;
    }
    Some(rest.split_at(wrapped_len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_or_unknown_versions_do_not_parse() {
        assert!(split_sealed(&[]).is_none());
        assert!(split_sealed(&[1, 0, 0]).is_none());
        assert!(split_sealed(&[2, 0, 4, 1, 2, 3, 4]).is_none());
        let mut ok = vec![2, 0, 1, 9];
        ok.extend_from_slice(&[0; NONCE_LEN + TAG_LEN]);
        assert!(split_sealed(&ok).is_some());
        ok[0] = 1;
        assert!(split_sealed(&ok).is_none(), "version 1 is not read");
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

    #[test]
    fn a_data_key_wrapped_for_one_tenant_or_purpose_does_not_unwrap_for_another() {
        let root: [u8; 32] = random_bytes();
        let (t, u) = (TenantId::generate(), TenantId::generate());
        let key: [u8; 32] = random_bytes();
        let wrapped = aead_seal(&root, key_aad(&t, Purpose::PersonalData), &key).unwrap();
        assert_eq!(wrapped.len(), WRAPPED_DATA_KEY_LEN);
        assert_eq!(
            aead_open(&root, key_aad(&t, Purpose::PersonalData), &wrapped).unwrap(),
            key
        );
        assert!(aead_open(&root, key_aad(&u, Purpose::PersonalData), &wrapped).is_err());
        assert!(aead_open(&root, key_aad(&t, Purpose::Credential), &wrapped).is_err());
        let other_root: [u8; 32] = random_bytes();
        assert!(aead_open(&other_root, key_aad(&t, Purpose::PersonalData), &wrapped).is_err());
    }
}
