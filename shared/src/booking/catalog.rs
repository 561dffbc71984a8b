//! What a business offers: services, staff working hours, booking-form
//! questions, and imported busy blocks.

use serde::{Deserialize, Serialize};

use super::availability::{Interval, Schedule};
use crate::http::FieldError;
use crate::store::{
    Attrs, Collection, Condition, Entity, Record, Store, StoreError, TenantKey, TimelineEntry,
    Write,
};
use crate::tenancy::{ItemId, TenantScope, UserId};

/// Why catalog input was refused.
#[derive(Debug)]
pub enum CatalogError {
    /// Input failed validation.
    Invalid(Vec<FieldError>),
    /// No such service or staff member.
    NotFound,
    /// The store failed.
    Store(StoreError),
}

impl From<StoreError> for CatalogError {
    fn from(e: StoreError) -> Self {
        CatalogError::Store(e)
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> CatalogError {
    CatalogError::Invalid(vec![FieldError {
        field,
        message: message.into(),
    }])
}

/// A service as stored and shown.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Service {
    /// Id.
    pub id: String,
    /// Name shown to customers.
    pub name: String,
    /// Appointment length in minutes (5–480).
    pub duration_minutes: i64,
    /// Minutes blocked before.
    pub buffer_before_minutes: i64,
    /// Minutes blocked after.
    pub buffer_after_minutes: i64,
    /// Staff who deliver it.
    pub staff_ids: Vec<String>,
    /// Whether customers can book it.
    pub active: bool,
}

/// `POST /services` and `PATCH /services/{id}` bodies (all fields on create).
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceInput {
    /// Name.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Minutes, multiple of 5, 5–480.
    #[schema(minimum = 5, maximum = 480, multiple_of = 5)]
    pub duration_minutes: Option<i64>,
    /// Minutes, multiple of 5, 0–120.
    #[schema(minimum = 0, maximum = 120, multiple_of = 5)]
    pub buffer_before_minutes: Option<i64>,
    /// Minutes, multiple of 5, 0–120.
    #[schema(minimum = 0, maximum = 120, multiple_of = 5)]
    pub buffer_after_minutes: Option<i64>,
    /// User ids of staff who deliver it.
    pub staff_ids: Option<Vec<String>>,
    /// Bookable?
    pub active: Option<bool>,
}

/// Longest span a booking may block (appointment plus buffers), so that its
/// claims fit in one DynamoDB transaction (≤ 100 writes).
pub const MAX_SPAN_MINUTES: i64 = 480;

pub(crate) fn service_from(r: &Record) -> Result<Service, StoreError> {
    Ok(Service {
        id: r.string("service_id")?.to_owned(),
        name: r.string("name")?.to_owned(),
        duration_minutes: r.number("duration_minutes")?,
        buffer_before_minutes: r.number_or_zero("buffer_before_minutes"),
        buffer_after_minutes: r.number_or_zero("buffer_after_minutes"),
        staff_ids: r.strings("staff_ids"),
        active: r.flag("active"),
    })
}

/// All services of a tenant, active or not.
pub async fn services(store: &Store, scope: &TenantScope) -> Result<Vec<Service>, StoreError> {
    store
        .list_all(scope, Collection::Services)
        .await?
        .iter()
        .map(service_from)
        .collect()
}

/// One service.
pub async fn service(
    store: &Store,
    scope: &TenantScope,
    id: &str,
) -> Result<Option<Service>, StoreError> {
    let Ok(id) = id.parse::<ItemId>() else {
        return Ok(None);
    };
    store
        .get(scope, &TenantKey::new(scope, Entity::Service(id.as_str())))
        .await?
        .as_ref()
        .map(service_from)
        .transpose()
}

async fn check_staff(
    store: &Store,
    scope: &TenantScope,
    ids: &[String],
) -> Result<(), CatalogError> {
    if ids.len() > 50 {
        return Err(invalid("staff_ids", "at most 50 staff members"));
    }
    for id in ids {
        let user: UserId = id
            .parse()
            .map_err(|_| invalid("staff_ids", "contains an unknown user"))?;
        if store
            .get(scope, &TenantKey::new(scope, Entity::User(&user)))
            .await?
            .is_none()
        {
            return Err(invalid("staff_ids", "contains an unknown user"));
        }
    }
    Ok(())
}

fn merged(base: Option<Service>, input: ServiceInput) -> Result<Service, CatalogError> {
    let mut errors = Vec::new();
    let base = base.unwrap_or(Service {
        id: ItemId::generate().to_string(),
        name: String::new(),
        duration_minutes: 0,
        buffer_before_minutes: 0,
        buffer_after_minutes: 0,
        staff_ids: Vec::new(),
        active: true,
    });
    let s = Service {
        name: input.name.map(|n| n.trim().to_owned()).unwrap_or(base.name),
        duration_minutes: input.duration_minutes.unwrap_or(base.duration_minutes),
        buffer_before_minutes: input
            .buffer_before_minutes
            .unwrap_or(base.buffer_before_minutes),
        buffer_after_minutes: input
            .buffer_after_minutes
            .unwrap_or(base.buffer_after_minutes),
        staff_ids: input.staff_ids.unwrap_or(base.staff_ids),
        active: input.active.unwrap_or(base.active),
        id: base.id,
    };
    if s.name.is_empty() || s.name.chars().count() > 100 || s.name.chars().any(char::is_control) {
        errors.push(FieldError {
            field: "name",
            message: "must be 1 to 100 characters".into(),
        });
    }
    if !(5..=480).contains(&s.duration_minutes) || s.duration_minutes % 5 != 0 {
        errors.push(FieldError {
            field: "duration_minutes",
            message: "must be a multiple of 5 from 5 to 480".into(),
        });
    }
    for (field, v) in [
        ("buffer_before_minutes", s.buffer_before_minutes),
        ("buffer_after_minutes", s.buffer_after_minutes),
    ] {
        if !(0..=120).contains(&v) || v % 5 != 0 {
            errors.push(FieldError {
                field,
                message: "must be a multiple of 5 from 0 to 120".into(),
            });
        }
    }
    if s.duration_minutes + s.buffer_before_minutes + s.buffer_after_minutes > MAX_SPAN_MINUTES {
        errors.push(FieldError {
            field: "buffer_after_minutes",
            message: format!(
                "duration and buffers together may block at most {MAX_SPAN_MINUTES} minutes"
            ),
        });
    }
    if errors.is_empty() {
        Ok(s)
    } else {
        Err(CatalogError::Invalid(errors))
    }
}

fn service_attrs(s: &Service) -> Attrs {
    Attrs::new()
        .string("service_id", s.id.clone())
        .string("name", s.name.clone())
        .number("duration_minutes", s.duration_minutes)
        .number("buffer_before_minutes", s.buffer_before_minutes)
        .number("buffer_after_minutes", s.buffer_after_minutes)
        .strings("staff_ids", s.staff_ids.clone())
        .boolean("active", s.active)
}

/// Creates a service; every field is required except buffers and `active`.
pub async fn create_service(
    store: &Store,
    scope: &TenantScope,
    input: ServiceInput,
) -> Result<Service, CatalogError> {
    if input.name.is_none() || input.duration_minutes.is_none() || input.staff_ids.is_none() {
        return Err(invalid(
            "name",
            "name, duration_minutes and staff_ids are required",
        ));
    }
    let s = merged(None, input)?;
    check_staff(store, scope, &s.staff_ids).await?;
    let key = TenantKey::new(scope, Entity::Service(&s.id));
    store
        .transact(vec![Write::Put(
            key,
            service_attrs(&s),
            Condition::NotExists,
        )])
        .await?;
    Ok(s)
}

/// Changes some fields of a service.
pub async fn update_service(
    store: &Store,
    scope: &TenantScope,
    id: &str,
    input: ServiceInput,
) -> Result<Service, CatalogError> {
    let current = service(store, scope, id)
        .await?
        .ok_or(CatalogError::NotFound)?;
    let s = merged(Some(current), input)?;
    check_staff(store, scope, &s.staff_ids).await?;
    let key = TenantKey::new(scope, Entity::Service(&s.id));
    store
        .transact(vec![Write::Put(key, service_attrs(&s), Condition::Exists)])
        .await?;
    Ok(s)
}

/// A staff member's hours (empty when none were set).
pub async fn schedule(
    store: &Store,
    scope: &TenantScope,
    staff: &UserId,
) -> Result<Schedule, StoreError> {
    match store
        .get(scope, &TenantKey::new(scope, Entity::Schedule(staff)))
        .await?
    {
        Some(r) => serde_json::from_str(r.string("schedule")?).map_err(|_| StoreError::Integrity),
        None => Ok(Schedule::default()),
    }
}

/// Replaces a staff member's hours after validation.
pub async fn set_schedule(
    store: &Store,
    scope: &TenantScope,
    staff: &UserId,
    schedule: &Schedule,
) -> Result<(), CatalogError> {
    schedule.validate().map_err(|e| invalid("schedule", e.0))?;
    if schedule.exceptions.len() > 366 {
        return Err(invalid("schedule", "at most 366 exceptions"));
    }
    if store
        .get(scope, &TenantKey::new(scope, Entity::User(staff)))
        .await?
        .is_none()
    {
        return Err(CatalogError::NotFound);
    }
    let json =
        serde_json::to_string(schedule).map_err(|_| CatalogError::Store(StoreError::Integrity))?;
    store
        .transact(vec![Write::Put(
            TenantKey::new(scope, Entity::Schedule(staff)),
            Attrs::new().string("schedule", json),
            Condition::None,
        )])
        .await?;
    Ok(())
}

/// The longest busy block considered when looking back from a window's start.
pub const MAX_BUSY_BLOCK_SECS: i64 = 7 * 86_400;

/// Records a busy block (filled by calendar sync; tests fill it directly). A
/// block longer than a timeline entry may span is stored in pieces, so that
/// one Query of the timeline finds whatever overlaps a window.
pub async fn add_busy_block(
    store: &Store,
    scope: &TenantScope,
    staff: &UserId,
    block: Interval,
    source: &str,
) -> Result<(), StoreError> {
    let end = block
        .end
        .min(block.start.saturating_add(MAX_BUSY_BLOCK_SECS));
    let mut writes = Vec::new();
    let mut start = block.start;
    while start < end {
        let piece_end = end.min(start + crate::store::MAX_TIMELINE_SPAN_SECS);
        let id = ItemId::generate();
        writes.push(Write::Put(
            TenantKey::new(scope, Entity::BusyBlock(staff, start, id.as_str())),
            Attrs::new()
                .number("start", start)
                .number("end", piece_end)
                .string("staff_id", staff.as_str())
                .string("source", source)
                .expires_at(piece_end + 86_400)
                .on_timeline(scope, start, TimelineEntry::Busy(staff, id.as_str())),
            Condition::NotExists,
        ));
        start = piece_end;
    }
    if writes.is_empty() {
        return Ok(());
    }
    store.transact(writes).await
}
