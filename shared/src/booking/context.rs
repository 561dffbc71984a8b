//! Everything booking needs to know about a business, read in one Query: the
//! profile (zone, language, rules, lookup key), services, staff hours and the
//! booking form all have sort keys beginning with `TENANT` in the tenant's
//! partition.

use std::collections::HashMap;

use super::availability::Schedule;
use super::catalog::Service;
use super::form::Question;
use super::horizon::Horizon;
use crate::accounts::user::Tenant;
use crate::auth::policy::TenantPolicy;
use crate::store::{Collection, Record, StoreError};
use crate::tenancy::{TenantScope, UserId};
use crate::Platform;

/// A business as booking sees it.
pub struct TenantContext {
    /// The profile, its policy and lookup key.
    pub tenant: Tenant,
    /// The business's zone: slots, mail and calendar files use it.
    pub tz: chrono_tz::Tz,
    /// All services, active or not.
    pub services: Vec<Service>,
    schedules: HashMap<String, Schedule>,
    /// The booking form's questions.
    pub form: Vec<Question>,
}

impl TenantContext {
    /// Reads the business in one Query; `None` when the tenant has no profile.
    pub async fn load(p: &Platform, scope: &TenantScope) -> Result<Option<Self>, StoreError> {
        let records = p
            .store
            .list_between(scope, Collection::TenantContext, "TENANT", "TENANT~")
            .await?;
        Self::from_records(records)
    }

    fn from_records(records: Vec<Record>) -> Result<Option<Self>, StoreError> {
        let mut profile = None;
        let mut services = Vec::new();
        let mut schedules = HashMap::new();
        let mut form = Vec::new();
        for r in records {
            let sk = r.sort_key()?.to_owned();
            if sk == "TENANT" {
                profile = Some(r);
            } else if sk.starts_with("TENANT#SERVICE#") {
                services.push(super::catalog::service_from(&r)?);
            } else if let Some(staff) = sk.strip_prefix("TENANT#SCHEDULE#") {
                let schedule = serde_json::from_str(r.string("schedule")?)
                    .map_err(|_| StoreError::Integrity)?;
                schedules.insert(staff.to_owned(), schedule);
            } else if sk == "TENANT#FORM" {
                form = serde_json::from_str(r.string("questions")?)
                    .map_err(|_| StoreError::Integrity)?;
            }
        }
        // A closed business (PRIV-3) is gone for booking: its public pages,
        // manage links and reminders stop at once.
        let Some(profile) = profile.filter(|p| p.optional_string("status") != Some("closed"))
        else {
            return Ok(None);
        };
        let tz = profile
            .string("time_zone")?
            .parse()
            .map_err(|_| StoreError::Integrity)?;
        Ok(Some(Self {
            tenant: Tenant {
                policy: TenantPolicy::from_profile(&profile),
                profile,
            },
            tz,
            services,
            schedules,
            form,
        }))
    }

    /// Whether the public may book (the owner verified the business and it is
    /// not cancelled).
    pub fn is_public(&self) -> bool {
        self.tenant.profile.optional_string("status") == Some("active")
    }

    /// The customer-facing booking rules.
    pub fn horizon(&self) -> Horizon {
        Horizon::for_customers(&self.tenant.policy)
    }

    /// An active service by id.
    pub fn bookable_service(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id && s.active)
    }

    /// A staff member's hours (empty when none were set).
    pub fn schedule(&self, staff: &UserId) -> Schedule {
        self.schedules
            .get(staff.as_str())
            .cloned()
            .unwrap_or_default()
    }

    /// The business's language for mail.
    pub fn language(&self) -> crate::i18n::Language {
        language_of(&self.tenant.profile)
    }

    /// Minutes before an appointment at which reminders go out.
    pub fn reminder_offsets(&self) -> Vec<i64> {
        reminder_offsets_of(&self.tenant.profile)
    }
}

/// The business's language from its profile (English when unset).
pub fn language_of(profile: &Record) -> crate::i18n::Language {
    profile
        .optional_string("language")
        .and_then(crate::i18n::Language::from_tag)
        .unwrap_or_default()
}

/// Default reminder: one, a day before.
pub const DEFAULT_REMINDER_OFFSETS: [i64; 1] = [24 * 60];

/// Reminder offsets in minutes from the profile (the default when unset).
pub fn reminder_offsets_of(profile: &Record) -> Vec<i64> {
    if !profile.has("reminder_offsets") {
        return DEFAULT_REMINDER_OFFSETS.to_vec();
    }
    profile
        .strings("reminder_offsets")
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect()
}
