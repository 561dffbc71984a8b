//! Item (de)serialisation without exposing SDK types to domain code.

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;

use super::{StoreError, EXPIRES_ATTR, TENANT_ATTR};
use crate::tenancy::TenantId;

/// Attributes to write. Key and tenant attributes are added by the store.
/// Cloneable so a transaction can be built again when it is retried.
#[derive(Clone, Debug, Default)]
pub struct Attrs(Vec<(String, AttributeValue)>);

impl Attrs {
    /// No attributes yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sets `name`, replacing an earlier value for it: the last word counts,
    /// and an update never names one attribute twice.
    fn set(mut self, name: &str, value: AttributeValue) -> Self {
        self.0.retain(|(n, _)| n != name);
        self.0.push((name.into(), value));
        self
    }

    /// A string attribute.
    pub fn string(self, name: &str, value: impl Into<String>) -> Self {
        self.set(name, AttributeValue::S(value.into()))
    }

    /// A number attribute.
    pub fn number(self, name: &str, value: i64) -> Self {
        self.set(name, AttributeValue::N(value.to_string()))
    }

    /// A boolean attribute.
    pub fn boolean(self, name: &str, value: bool) -> Self {
        self.set(name, AttributeValue::Bool(value))
    }

    /// A list of strings (hashes, scopes).
    pub fn strings(self, name: &str, values: Vec<String>) -> Self {
        self.set(
            name,
            AttributeValue::L(values.into_iter().map(AttributeValue::S).collect()),
        )
    }

    /// Removes the attribute (in an update); ignored when creating an item.
    pub fn remove(self, name: &str) -> Self {
        self.set(name, AttributeValue::Null(true))
    }

    /// A binary attribute (sealed fields, wrapped keys).
    pub fn bytes(self, name: &str, value: Vec<u8>) -> Self {
        self.set(name, AttributeValue::B(Blob::new(value)))
    }

    /// The item's expiry; the table's TTL removes it eventually and readers treat
    /// it as absent from this moment on.
    pub fn expires_at(self, unix: i64) -> Self {
        self.number(EXPIRES_ATTR, unix)
    }

    pub(crate) fn into_item(
        self,
        pk: String,
        sk: String,
        tenant: &TenantId,
    ) -> HashMap<String, AttributeValue> {
        let mut item: HashMap<_, _> = self
            .0
            .into_iter()
            .filter(|(_, v)| !matches!(v, AttributeValue::Null(_)))
            .collect();
        item.insert("PK".into(), AttributeValue::S(pk));
        item.insert("SK".into(), AttributeValue::S(sk));
        item.insert(
            TENANT_ATTR.into(),
            AttributeValue::S(tenant.as_str().into()),
        );
        item
    }

    pub(crate) fn into_pairs(self) -> Vec<(String, AttributeValue)> {
        self.0
    }
}

/// An item read back from the table.
#[derive(Clone, Debug)]
pub struct Record(HashMap<String, AttributeValue>);

impl Record {
    pub(crate) fn from_item(item: HashMap<String, AttributeValue>) -> Self {
        Self(item)
    }

    /// A required string attribute.
    pub fn string(&self, name: &str) -> Result<&str, StoreError> {
        match self.0.get(name) {
            Some(AttributeValue::S(s)) => Ok(s),
            _ => Err(StoreError::Integrity),
        }
    }

    /// A string attribute that may be absent.
    pub fn optional_string(&self, name: &str) -> Option<&str> {
        match self.0.get(name) {
            Some(AttributeValue::S(s)) => Some(s),
            _ => None,
        }
    }

    /// A number attribute that may be absent (reads as 0).
    pub fn number_or_zero(&self, name: &str) -> i64 {
        self.number(name).unwrap_or(0)
    }

    /// A list of strings; absent reads as empty.
    pub fn strings(&self, name: &str) -> Vec<String> {
        match self.0.get(name) {
            Some(AttributeValue::L(items)) => items
                .iter()
                .filter_map(|v| v.as_s().ok().cloned())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// A binary attribute that may be absent.
    pub fn optional_bytes(&self, name: &str) -> Option<&[u8]> {
        match self.0.get(name) {
            Some(AttributeValue::B(b)) => Some(b.as_ref()),
            _ => None,
        }
    }

    /// Whether the attribute is present at all (an empty list counts).
    pub fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// The item's sort key.
    pub fn sort_key(&self) -> Result<&str, StoreError> {
        self.string("SK")
    }

    /// A required number attribute.
    pub fn number(&self, name: &str) -> Result<i64, StoreError> {
        match self.0.get(name) {
            Some(AttributeValue::N(n)) => n.parse().map_err(|_| StoreError::Integrity),
            _ => Err(StoreError::Integrity),
        }
    }

    /// A boolean attribute; absent reads as false.
    pub fn flag(&self, name: &str) -> bool {
        matches!(self.0.get(name), Some(AttributeValue::Bool(true)))
    }

    /// A required binary attribute.
    pub fn bytes(&self, name: &str) -> Result<&[u8], StoreError> {
        match self.0.get(name) {
            Some(AttributeValue::B(b)) => Ok(b.as_ref()),
            _ => Err(StoreError::Integrity),
        }
    }

    /// The owning tenant named by the item.
    pub fn tenant_id(&self) -> Result<TenantId, StoreError> {
        TenantId::from_stored(self.string(TENANT_ATTR)?).map_err(|_| StoreError::Integrity)
    }

    /// Whether the item's `expires_at` has passed (TTL deletion is lazy).
    pub fn expired_at(&self, now: i64) -> bool {
        self.number(EXPIRES_ATTR).is_ok_and(|exp| exp <= now)
    }
}
