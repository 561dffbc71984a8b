//! Booking-form questions a tenant adds (BOOK-4); answers are sealed with the
//! booking (CRY-2).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::http::FieldError;
use crate::store::{Attrs, Condition, Entity, Store, StoreError, TenantKey, Write};
use crate::tenancy::TenantScope;

/// At most this many questions.
pub const MAX_QUESTIONS: usize = 10;

/// One question.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Stable id (letters, digits, underscores; ≤ 32).
    #[schema(min_length = 1, max_length = 32, pattern = "^[A-Za-z0-9_]+$")]
    pub id: String,
    /// Label shown to customers.
    #[schema(min_length = 1, max_length = 200)]
    pub label: String,
    /// `short_text` (≤ 200), `long_text` (≤ 2000) or `choice`.
    #[schema(example = "long_text")]
    pub kind: String,
    /// Whether an answer is required.
    #[serde(default)]
    pub required: bool,
    /// Options for `choice`.
    #[serde(default)]
    pub options: Vec<String>,
}

/// The current questions.
pub async fn questions(store: &Store, scope: &TenantScope) -> Result<Vec<Question>, StoreError> {
    match store
        .get(scope, &TenantKey::new(scope, Entity::BookingForm))
        .await?
    {
        Some(r) => serde_json::from_str(r.string("questions")?).map_err(|_| StoreError::Integrity),
        None => Ok(Vec::new()),
    }
}

fn check(questions: &[Question]) -> Result<(), Vec<FieldError>> {
    let err = |m: String| {
        Err(vec![FieldError {
            field: "questions",
            message: m,
        }])
    };
    if questions.len() > MAX_QUESTIONS {
        return err(format!("at most {MAX_QUESTIONS} questions"));
    }
    let mut ids: Vec<&str> = questions.iter().map(|q| q.id.as_str()).collect();
    ids.sort_unstable();
    if ids.windows(2).any(|w| w[0] == w[1]) {
        return err("question ids must be unique".into());
    }
    for q in questions {
        let id_ok = !q.id.is_empty()
            && q.id.len() <= 32
            && q.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        let label_ok = !q.label.trim().is_empty() && q.label.chars().count() <= 200;
        let kind_ok = match q.kind.as_str() {
            "short_text" | "long_text" => q.options.is_empty(),
            "choice" => {
                (2..=20).contains(&q.options.len())
                    && q.options
                        .iter()
                        .all(|o| !o.trim().is_empty() && o.chars().count() <= 100)
            }
            _ => false,
        };
        if !(id_ok && label_ok && kind_ok) {
            return err(format!(
                "question {:?} is malformed (id, label, kind or options)",
                q.id.chars().take(32).collect::<String>()
            ));
        }
    }
    Ok(())
}

/// Replaces the questions after validation.
pub async fn set_questions(
    store: &Store,
    scope: &TenantScope,
    questions: &[Question],
) -> Result<(), Result<Vec<FieldError>, StoreError>> {
    check(questions).map_err(Ok)?;
    let json = serde_json::to_string(questions).map_err(|_| Err(StoreError::Integrity))?;
    store
        .transact(vec![Write::Put(
            TenantKey::new(scope, Entity::BookingForm),
            Attrs::new().string("questions", json),
            Condition::None,
        )])
        .await
        .map_err(Err)
}

/// Checks answers against the questions: known ids, required present, lengths, choices.
pub fn check_answers(
    questions: &[Question],
    answers: &BTreeMap<String, String>,
) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    for id in answers.keys() {
        if !questions.iter().any(|q| &q.id == id) {
            errors.push(FieldError {
                field: "answers",
                message: "contains an answer to an unknown question".into(),
            });
            break;
        }
    }
    for q in questions {
        match answers.get(&q.id).map(|a| a.trim()) {
            None | Some("") if q.required => errors.push(FieldError {
                field: "answers",
                message: format!("{} is required", q.id),
            }),
            Some(a) if !a.is_empty() => {
                let ok = match q.kind.as_str() {
                    "short_text" => a.chars().count() <= 200 && !a.chars().any(char::is_control),
                    "long_text" => a.chars().count() <= 2000,
                    _ => q.options.iter().any(|o| o == a),
                };
                if !ok {
                    errors.push(FieldError {
                        field: "answers",
                        message: format!("{} is too long or not an option", q.id),
                    });
                }
            }
            _ => {}
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
